"""Use-cases of account administration: disable and enable, role and team, password reset,
API tokens, sessions. Every change names who made it and why, in the audit log.

A role, an account state or a password changed by an administrator ends the user's
sessions at once, so the change holds from the next request. Nobody administers their own
account here: a second administrator must (one's own password is changed at log-in).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher

from thriives.adapters.db.uow import SqlUnitOfWork, UnitOfWorkFactory
from thriives.domain.accounts import Actor, Permission, Role, require
from thriives.domain.audit_chain import Operation
from thriives.domain.errors import DomainError, Forbidden, NotFound
from thriives.services.accounts import MAX_TEAM, AccountService

MAX_REASON = 500


def _reason(text: str | None) -> str:
    reason = (text or "").strip()
    if len(reason) < 3:
        raise DomainError("say why, in a few words", "reason")
    if len(reason) > MAX_REASON:
        raise DomainError(f"at most {MAX_REASON} characters", "reason")
    return reason


class UserAdminService:
    def __init__(
        self, uow: UnitOfWorkFactory, hasher: PasswordHasher, accounts: AccountService, idle: timedelta
    ) -> None:
        self._uow = uow
        self._hasher = hasher
        self._accounts = accounts
        self._idle = idle

    def users(self, actor: Actor, now: datetime) -> list[dict[str, Any]]:
        """Every user with the number of live sessions (for the admin page and the CLI)."""
        require(actor.role, Permission.MANAGE_USERS)
        with self._uow() as uow:
            rows = uow.users.all()
            live = uow.users.live_sessions([row["id"] for row in rows], now - self._idle)
        return [_public(row) | {"sessions": live.get(row["id"], 0)} for row in rows]

    def user(self, actor: Actor, username: str, now: datetime) -> dict[str, Any]:
        """One user with their API tokens (never the token itself: a short reference)."""
        require(actor.role, Permission.MANAGE_USERS)
        with self._uow() as uow:
            row = _find(uow, username)
            live = uow.users.live_sessions([row["id"]], now - self._idle)
            tokens = [_token(token, now) for token in uow.users.tokens_of(row["id"])]
        return _public(row) | {"sessions": live.get(row["id"], 0), "tokens": tokens}

    def disable(self, actor: Actor, username: str, reason: str | None, now: datetime) -> None:
        self._change(actor, username, reason, now, "account disabled", {"active": False})

    def enable(self, actor: Actor, username: str, reason: str | None, now: datetime) -> None:
        self._change(actor, username, reason, now, "account enabled", {"active": True}, end=False)

    def change_role(self, actor: Actor, username: str, role: str, reason: str | None, now: datetime) -> None:
        try:
            new = Role(role)
        except ValueError:
            raise DomainError(f"must be one of {', '.join(Role)}", "role") from None
        self._change(actor, username, reason, now, "role changed", {"role": new.value})

    def change_team(
        self, actor: Actor, username: str, team: str | None, reason: str | None, now: datetime
    ) -> None:
        name = (team or "").strip() or None
        if name is not None and len(name) > MAX_TEAM:
            raise DomainError(f"at most {MAX_TEAM} characters", "team")
        self._change(actor, username, reason, now, "team changed", {"team": name}, end=False)

    def reset_password(self, actor: Actor, username: str, reason: str | None, now: datetime) -> str:
        """Give the user a one-time password, shown once to the administrator; the next
        log-in must choose a new one. Their sessions end."""
        temporary = "-".join(secrets.token_urlsafe(6) for _ in range(3))
        changes = {"password_hash": self._hasher.hash(temporary), "must_change_password": True}
        self._change(actor, username, reason, now, "password reset", changes, shown={"must_change": True})
        return temporary

    def end_sessions(self, actor: Actor, username: str, reason: str | None, now: datetime) -> int:
        return self._change(actor, username, reason, now, "sessions ended", {})

    def revoke_token(
        self, actor: Actor, username: str, token_ref: str, reason: str | None, now: datetime
    ) -> None:
        """Revoke one of the user's tokens by its short reference (as listed)."""
        require(actor.role, Permission.MANAGE_USERS)
        why = _reason(reason)
        with self._uow(write=True) as uow:
            row = _find(uow, username)
            ref = token_ref.strip().lower()
            matches = [t for t in uow.users.tokens_of(row["id"]) if ref and t["id"].startswith(ref)]
            if len(matches) != 1 or len(ref) < 8:
                raise NotFound(f"{username} has no token {token_ref[:20]!r}", "token")
            if not uow.users.revoke_token(matches[0]["id"], now):
                raise DomainError("this token was already revoked", "token")
            detail = {"token": matches[0]["id"][:12], "label": matches[0]["label"]}
            uow.journal.audit(
                now, actor.username, Operation.SECURITY, "user", username, f"API token revoked: {why}", detail
            )
            uow.commit()
        self._accounts.forget_tokens()

    def _change(
        self,
        actor: Actor,
        username: str,
        reason: str | None,
        now: datetime,
        what: str,
        changes: dict[str, Any],
        end: bool = True,
        shown: dict[str, Any] | None = None,
    ) -> int:
        """1. Check the permission and the reason. 2. Refuse one's own account.
        3. Apply the changes, end the sessions if asked. 4. Audit who, what and why."""
        require(actor.role, Permission.MANAGE_USERS)
        why = _reason(reason)
        with self._uow(write=True) as uow:
            row = _find(uow, username)
            if row["id"] == actor.user_id:
                raise Forbidden("another administrator must change your own account", "username")
            if changes:
                uow.users.change(row["id"], **changes)
            ended = uow.users.end_sessions(row["id"], now) if end else 0
            detail = shown if shown is not None else dict(changes)
            detail |= {"before": {k: row[k] for k in changes if k in ("active", "role", "team")}}
            detail["sessions_ended"] = ended
            uow.journal.audit(
                now, actor.username, Operation.SECURITY, "user", username, f"{what}: {why}", detail
            )
            uow.commit()
        self._accounts.forget_tokens()  # a disabled account's or a new role's tokens, at once here
        return ended


def _find(uow: SqlUnitOfWork, username: str) -> dict[str, Any]:
    row = uow.users.by_username(username[:40])
    if row is None:
        raise NotFound(f"no user {username[:40]!r}", "username")
    return row


def _public(row: dict[str, Any]) -> dict[str, Any]:
    keep = ("id", "username", "display_name", "role", "team", "active", "is_demo", "created_at")
    return {key: row[key] for key in keep} | {"must_change_password": row["must_change_password"]}


def _token(row: dict[str, Any], now: datetime) -> dict[str, Any]:
    expires = row["expires_at"]
    state = "revoked" if row["revoked_at"] else "expired" if expires and expires <= now else "live"
    return {
        "ref": row["id"][:12],
        "label": row["label"],
        "created_at": row["created_at"],
        "expires_at": expires,
        "revoked_at": row["revoked_at"],
        "state": state,
    }
