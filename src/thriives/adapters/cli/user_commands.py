"""``thriives user ...``: list, disable and enable, role and team, password reset, tokens,
sessions. Each change asks why (``--reason``) and is audited as made from the command line."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import typer
from rich.console import Console

from thriives.bootstrap import Container
from thriives.domain.accounts import Actor, Role
from thriives.domain.errors import DomainError

console = Console(stderr=True)
# Whoever runs the command holds the database's keys; the audit names the command line.
COMMAND_LINE = Actor(0, "cli", Role.ADMIN, "command line")
Reason = typer.Option(..., "--reason", help="Why: recorded in the audit log")


def register(user_app: typer.Typer, container_of: Callable[[], Container]) -> None:
    def run(action: Callable[[Container, datetime], Any]) -> Any:
        container = container_of()
        try:
            return action(container, datetime.now(UTC))
        except (DomainError, PermissionError) as error:
            field = getattr(error, "field", None)
            console.print(f"[red]{field + ': ' if field else ''}{getattr(error, 'message', error)}[/red]")
            raise typer.Exit(2) from error
        finally:
            container.close()

    @user_app.command("list")
    def user_list() -> None:
        """List the users: role, team, state and open sessions."""
        for user in run(lambda c, now: c.user_admin.users(COMMAND_LINE, now)):
            state = "enabled" if user["active"] else "disabled"
            if user["must_change_password"]:
                state += ", must choose a new password"
            team = user["team"] or "-"
            typer.echo(f"{user['username']}\t{user['role']}\t{team}\t{state}\t{user['sessions']} session(s)")

    @user_app.command("disable")
    def user_disable(username: str, reason: str = Reason) -> None:
        """Disable an account: no log-in, tokens stop working, sessions end now."""
        run(lambda c, now: c.user_admin.disable(COMMAND_LINE, username, reason, now))
        console.print(f"{username} disabled; sessions ended")

    @user_app.command("enable")
    def user_enable(username: str, reason: str = Reason) -> None:
        """Enable a disabled account again."""
        run(lambda c, now: c.user_admin.enable(COMMAND_LINE, username, reason, now))
        console.print(f"{username} enabled")

    @user_app.command("role")
    def user_role(
        username: str, role: Role = typer.Argument(..., help="The new role"), reason: str = Reason
    ) -> None:
        """Change a user's role; their sessions end so the new role holds at once."""
        run(lambda c, now: c.user_admin.change_role(COMMAND_LINE, username, role.value, reason, now))
        console.print(f"{username} is now {role.value}; sessions ended")

    @user_app.command("team")
    def user_team(
        username: str,
        team: str = typer.Argument("", help="The watch or team (empty: none)"),
        reason: str = Reason,
    ) -> None:
        """Change the watch or team a user works in."""
        run(lambda c, now: c.user_admin.change_team(COMMAND_LINE, username, team, reason, now))
        console.print(f"{username} team: {team or 'none'}")

    @user_app.command("reset-password")
    def user_reset_password(username: str, reason: str = Reason) -> None:
        """Give a one-time password (printed once); the next log-in must choose a new one."""
        temporary = run(lambda c, now: c.user_admin.reset_password(COMMAND_LINE, username, reason, now))
        console.print(f"{username}: password reset, sessions ended; one-time password:")
        typer.echo(temporary)

    @user_app.command("tokens")
    def user_tokens(username: str) -> None:
        """List a user's API tokens by reference (the token itself is never stored)."""
        user = run(lambda c, now: c.user_admin.user(COMMAND_LINE, username, now))
        for token in user["tokens"]:
            expires = token["expires_at"].isoformat() if token["expires_at"] else "never"
            typer.echo(f"{token['ref']}\t{token['label']}\t{token['state']}\texpires {expires}")

    @user_app.command("revoke-token")
    def user_revoke_token(
        username: str,
        token: str = typer.Argument(..., help="The reference `user tokens` lists"),
        reason: str = Reason,
    ) -> None:
        """Revoke one API token now."""
        run(lambda c, now: c.user_admin.revoke_token(COMMAND_LINE, username, token, reason, now))
        console.print(f"token {token} of {username} revoked")

    @user_app.command("end-sessions")
    def user_end_sessions(username: str, reason: str = Reason) -> None:
        """Log a user out everywhere now."""
        ended = run(lambda c, now: c.user_admin.end_sessions(COMMAND_LINE, username, reason, now))
        console.print(f"{username}: {ended} session(s) ended")
