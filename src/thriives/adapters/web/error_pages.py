"""Errors on pages as pages: what happened and what to do, with the navigation.

A browser asking for a page (anything outside ``/api/``) that ends in a refused permission,
a reference not found, a conflict or a server error gets a page extending ``base.html``;
the JSON API keeps its problem details. The page names the caller's role in words, never a
permission code, and a server error gives the time to tell the administrator (the server's
log has the traceback at that time).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from thriives.adapters.web.identity import CSRF_REFUSED, SESSION_COOKIE, Caller, container_of
from thriives.adapters.web.pages import render

API_PREFIX = "/api/"


@dataclass(frozen=True)
class Wording:
    title: str
    what: str  # what happened
    todo: str  # what to do


def is_page(request: Request) -> bool:
    """A request from a browser for a page or part of one, not from an API client."""
    return not request.url.path.startswith(API_PREFIX)


def wording(status: int, detail: str, caller: Caller | None) -> Wording:
    role = caller.actor.role.value.replace("_", " ") if caller else None
    if status == 403 and detail == CSRF_REFUSED.rstrip("."):
        return Wording(
            "Page out of date",
            "This page was out of date, or the request came from another site, so nothing was done.",
            "Reload the page and try again.",
        )
    if status == 403:
        who = f"Your role ({role})" if role else "Your role"
        return Wording("Not allowed", f"{who} cannot do this.", "Ask a supervisor if it needs doing.")
    if status == 404:
        return Wording(
            "Not found",
            _not_found(detail),
            "Check the reference, or go back to the queue and open it from there.",
        )
    if status == 409:
        return Wording(
            "Changed meanwhile",
            f"Someone else changed this while you were working on it: {detail}.",
            "Your change was not saved. Reload the page, check what changed, and try again.",
        )
    if status >= 500:
        return Wording(
            "Something went wrong",
            "Something went wrong on the server. The change was not saved.",
            "Try again. If it happens again, tell the administrator the time shown below.",
        )
    return Wording(
        "Not done",
        f"This could not be done: {detail}." if detail else "This could not be done.",
        "Go back, correct it and try again.",
    )


def _not_found(detail: str) -> str:
    if not detail:
        return "Nothing was found at this address."
    # The stores say "no incident 'TH-...'", "no unit 'TH-A1'": a sentence with "There is".
    return f"There is {detail}." if detail.startswith("no ") else f"Not found: {detail}."


async def page_caller_if_any(request: Request) -> Caller | None:
    """Who is logged in, for the navigation; nobody if that cannot be told (the error may be
    the database's own)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    container = container_of(request)
    try:
        found = await run_in_threadpool(container.accounts.session, token, container.clock())
    except Exception:  # noqa: BLE001 - an error page must render whatever failed
        return None
    return Caller(found[0], found[1]) if found else None


async def error_page(request: Request, status: int, detail: str, headers: Any = None) -> HTMLResponse:
    caller = await page_caller_if_any(request)
    container = container_of(request)
    response = render(
        request,
        "error.html",
        caller,
        status,
        wording=wording(status, detail.rstrip("."), caller),
        status_code=status,
        at=container.clock(),
    )
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response
