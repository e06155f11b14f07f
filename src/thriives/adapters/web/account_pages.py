"""Account pages: choosing a new password, and the users page for administrators.

A new password is chosen on a form outside any session (the current password is checked
like a log-in), so a reset account never holds a half-open session. The users page lists
every account; each one's page carries one plain form per action, each asking why.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from thriives.adapters.web.identity import LOGIN_CSRF_COOKIE, Caller, container_of
from thriives.adapters.web.pages import (
    PageCaller,
    _safe_next,
    client_address,
    logged_in,
    login_form,
    render,
)
from thriives.domain.accounts import MAX_PASSWORD, MIN_PASSWORD, Actor, Role
from thriives.domain.errors import DomainError
from thriives.services.account_admin import UserAdminService
from thriives.services.accounts import LoginRefused

router = APIRouter(include_in_schema=False)
LIMITS = (MIN_PASSWORD, MAX_PASSWORD)


@router.get("/login/password")
def password_page(request: Request, username: str = "", next: str = "/") -> HTMLResponse:  # noqa: A002
    return login_form(request, "password.html", 200, _safe_next(next), None, username[:40], limits=LIMITS)


@router.post("/login/password")
async def change_password(request: Request) -> Response:
    """Check the current password like a log-in, then the new one against the rules."""
    container = container_of(request)
    form = await request.form()
    username = str(form.get("username", ""))[:40]
    target = _safe_next(str(form.get("next", "/")))
    expected = request.cookies.get(LOGIN_CSRF_COOKIE)
    if not expected or not secrets.compare_digest(expected, str(form.get("csrf_token", ""))):
        return login_form(request, "password.html", 200, target, None, username, limits=LIMITS)
    new, again = str(form.get("new_password", ""))[:1000], str(form.get("new_password_again", ""))[:1000]
    try:
        if new != again:
            raise DomainError("the two new passwords differ", "new_password_again")
        session = await run_in_threadpool(
            container.accounts.change_password,
            username,
            str(form.get("password", ""))[:1000],
            new,
            container.clock(),
            client_address(request),
        )
    except LoginRefused as error:
        return login_form(
            request, "password.html", 401, target, error.message, username, error, limits=LIMITS
        )
    except DomainError as error:
        errors = {error.field or "new_password": error.message}
        return login_form(request, "password.html", 422, target, None, username, errors=errors, limits=LIMITS)
    return logged_in(request, session, target)


@router.get("/admin/users")
def users_page(request: Request, caller: PageCaller) -> HTMLResponse:
    container = container_of(request)
    users = container.user_admin.users(caller.actor, container.clock())
    return render(request, "admin_users.html", caller, users=users)


@router.get("/admin/users/{username}")
def user_page(request: Request, username: str, caller: PageCaller) -> HTMLResponse:
    return _user(request, caller, username)


def _user(
    request: Request,
    caller: Caller,
    username: str,
    status: int = 200,
    done: str | None = None,
    errors: dict[str, str] | None = None,
    temporary: str | None = None,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    container = container_of(request)
    user = container.user_admin.user(caller.actor, username[:40], container.clock())
    return render(
        request,
        "admin_user.html",
        caller,
        status,
        user=user,
        roles=list(Role),
        done=done,
        errors=errors or {},
        temporary=temporary,
        form=form or {},
        csrf=caller.csrf_token,
    )


Done = tuple[str, str | None]  # what was done, in words; a one-time password to show once
Action = Callable[[UserAdminService, Actor, str, dict[str, str], datetime], Done]


def _disable(admin: UserAdminService, actor: Actor, name: str, form: dict[str, str], now: datetime) -> Done:
    admin.disable(actor, name, form.get("reason"), now)
    return "Account disabled; their sessions ended.", None


def _enable(admin: UserAdminService, actor: Actor, name: str, form: dict[str, str], now: datetime) -> Done:
    admin.enable(actor, name, form.get("reason"), now)
    return "Account enabled.", None


def _role(admin: UserAdminService, actor: Actor, name: str, form: dict[str, str], now: datetime) -> Done:
    admin.change_role(actor, name, form.get("role", ""), form.get("reason"), now)
    return "Role changed; their sessions ended.", None


def _team(admin: UserAdminService, actor: Actor, name: str, form: dict[str, str], now: datetime) -> Done:
    admin.change_team(actor, name, form.get("team"), form.get("reason"), now)
    return "Team changed.", None


def _reset(admin: UserAdminService, actor: Actor, name: str, form: dict[str, str], now: datetime) -> Done:
    temporary = admin.reset_password(actor, name, form.get("reason"), now)
    return "Password reset; their sessions ended.", temporary


def _end(admin: UserAdminService, actor: Actor, name: str, form: dict[str, str], now: datetime) -> Done:
    ended = admin.end_sessions(actor, name, form.get("reason"), now)
    return f"{ended} session{'' if ended == 1 else 's'} ended.", None


def _revoke(admin: UserAdminService, actor: Actor, name: str, form: dict[str, str], now: datetime) -> Done:
    admin.revoke_token(actor, name, form.get("token", ""), form.get("reason"), now)
    return "Token revoked.", None


ACTIONS: dict[str, Action] = {
    "disable": _disable,
    "enable": _enable,
    "role": _role,
    "team": _team,
    "password-reset": _reset,
    "sessions/end": _end,
    "tokens/revoke": _revoke,
}


def _act(request: Request, caller: Caller, username: str, action: Action, form: dict[str, str]) -> Response:
    """Run one action and show the user's page again, saying what was done or what is wrong."""
    container = container_of(request)
    try:
        done, temporary = action(container.user_admin, caller.actor, username[:40], form, container.clock())
    except DomainError as error:
        if error.status == 404:
            raise
        errors = {error.field or "form": error.message}
        return _user(request, caller, username, error.status, errors=errors, form=form)
    return _user(request, caller, username, 200, done, temporary=temporary)


def _route(path: str, action: Action) -> None:
    async def handle(request: Request, username: str, caller: PageCaller) -> Response:
        form = {key: str(value)[:1000] for key, value in (await request.form()).items()}
        response: Response = await run_in_threadpool(_act, request, caller, username, action, form)
        return response

    handle.__name__ = "admin_" + path.replace("/", "_").replace("-", "_")
    router.post(f"/admin/users/{{username}}/{path}")(handle)


for _path, _action in ACTIONS.items():
    _route(_path, _action)
