"""Who is asking: one dependency for the API (bearer token or session cookie) and one for pages.

A request authenticated by its session cookie must carry the session's CSRF token on every
unsafe method (header ``X-CSRF-Token`` or form field ``csrf_token``), so another site
cannot act in a user's name. Bearer-token requests carry no ambient authority and need none.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from thriives.adapters.web.request_log import USER_KEY
from thriives.bootstrap import Container
from thriives.domain.accounts import Actor
from thriives.domain.errors import DomainError, Forbidden

SESSION_COOKIE = "thriives_session"
LOGIN_CSRF_COOKIE = "thriives_login_csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class NotLoggedIn(DomainError):
    status = 401


CSRF_REFUSED = "missing or wrong CSRF token; reload the page"


class CsrfRefused(Forbidden):
    """A changing request without its session's CSRF token: refused (403), nothing done."""


class LoginRequired(Exception):
    """A page was asked for without a live session: send the browser to the log-in page."""


@dataclass(frozen=True)
class Caller:
    actor: Actor
    csrf_token: str | None  # None for bearer-token callers


def container_of(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


_FOUND = "thriives.caller"  # the request's caller, once found (several dependencies ask)


async def optional_caller(request: Request) -> Caller | None:
    """The caller, or None when not logged in; found once per request."""
    if _FOUND not in request.scope:
        request.scope[_FOUND] = await _caller(request)
    found: Caller | None = request.scope[_FOUND]
    return found


async def _caller(request: Request) -> Caller | None:
    container = container_of(request)
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        token = header[7:].strip()
        # A token seen a moment ago is answered in place; only a lookup goes to a thread.
        actor = container.accounts.remembered_token_actor(token) or await run_in_threadpool(
            container.accounts.token_actor, token, container.clock()
        )
        if actor is None:
            return None
        setattr(request.state, USER_KEY, actor.username)  # for the request log
        return Caller(actor, None)
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    found = await run_in_threadpool(container.accounts.session, token, container.clock())
    if found is None:
        return None
    actor, csrf = found
    setattr(request.state, USER_KEY, actor.username)  # for the request log
    if request.method not in SAFE_METHODS:
        sent = request.headers.get("x-csrf-token")
        if sent is None and _is_form(request):
            sent = str((await request.form()).get("csrf_token", ""))
        if not sent or not hmac.compare_digest(sent, csrf):
            raise CsrfRefused(CSRF_REFUSED, "csrf_token")
    return Caller(actor, csrf)


def _is_form(request: Request) -> bool:
    kind = request.headers.get("content-type", "")
    return kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data"))


async def api_caller(request: Request) -> Caller:
    caller = await optional_caller(request)
    if caller is None:
        raise NotLoggedIn("log in, or send a bearer token", "Authorization")
    return caller


async def page_caller(request: Request) -> Caller:
    caller = await optional_caller(request)
    if caller is None:
        raise LoginRequired()
    return caller
