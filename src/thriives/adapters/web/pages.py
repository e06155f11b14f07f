"""Server-rendered pages: log-in, call-taking, live queue, incident with timeline.

Handlers are thin: read the form, call one service, render. A rule broken in a form comes
back on the same page, next to the field, with the handler's input kept.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from thriives.adapters.web import timeline
from thriives.adapters.web.identity import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    Caller,
    container_of,
    page_caller,
)
from thriives.bootstrap import Container
from thriives.domain.accounts import MAX_PASSWORD, MIN_PASSWORD, Permission, Role, can
from thriives.domain.errors import DomainError
from thriives.domain.incidents import Channel, Contact, Status
from thriives.services.accounts import PasswordChangeRequired, Session
from thriives.services.incidents import request_fingerprint

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def event_label(kind: str) -> str:
    return timeline.title_of(kind)


templates.env.filters["event_label"] = event_label
PageCaller = Annotated[Caller, Depends(page_caller)]
HOME = {Role.CALL_HANDLER: "/calls/new"}


def _local(value: datetime | None, request: Request, fmt: str = "%d %b %Y %H:%M:%S") -> str:
    if value is None:
        return ""
    zone = ZoneInfo(container_of(request).settings.force_timezone)
    return value.astimezone(zone).strftime(fmt)


def render(
    request: Request, name: str, caller: Caller | None, status: int = 200, **context: Any
) -> HTMLResponse:
    container = container_of(request)
    return templates.TemplateResponse(
        request,
        name,
        {
            "caller": caller,
            "demo": container.settings.demo,
            "policy": container.policy,
            "apolicy": container.assessment_policy,
            "can": (lambda p: caller is not None and can(caller.actor.role, Permission(p))),
            "local": lambda v, fmt="%d %b %Y %H:%M:%S": _local(v, request, fmt),
            "describe": lambda event: timeline.describe(event, timeline.words_for(container)),
            **context,
        },
        status_code=status,
    )


@router.get("/login")
def login_page(request: Request, next: str = "/") -> HTMLResponse:  # noqa: A002
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", None, csrf=token, next=_safe_next(next))
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=container_of(request).settings.secure_cookies,
        path="/login",
    )
    return response


def _safe_next(target: str) -> str:
    """Only same-site paths: never let a log-in link send a user elsewhere."""
    return target if target.startswith("/") and not target.startswith("//") else "/"


@router.post("/login")
async def login(request: Request) -> Response:
    container = container_of(request)
    form = await request.form()
    username, password = str(form.get("username", "")), str(form.get("password", ""))
    target = _safe_next(str(form.get("next", "/")))
    expected = request.cookies.get(LOGIN_CSRF_COOKIE)
    if not expected or not secrets.compare_digest(expected, str(form.get("csrf_token", ""))):
        return login_page(request, target)  # a fresh form; the old one was stale or forged
    try:
        session = await run_in_threadpool(
            container.accounts.log_in,
            username[:40],
            password[:1000],
            container.clock(),
            client_address(request),
        )
    except PasswordChangeRequired as error:
        limits = (MIN_PASSWORD, MAX_PASSWORD)
        return login_form(request, "password.html", 200, target, error.message, username[:40], limits=limits)
    except DomainError as error:
        return login_form(request, "login.html", 401, target, error.message, username[:40], error)
    return logged_in(request, session, target)


def client_address(request: Request) -> str | None:
    """The connection's address, for log-in throttling by source (a proxy's, behind one)."""
    return request.client.host if request.client else None


def login_form(
    request: Request,
    name: str,
    status: int,
    target: str,
    message: str | None,
    username: str,
    error: DomainError | None = None,
    **context: Any,
) -> HTMLResponse:
    """The log-in (or new-password) form again, with a fresh log-in CSRF token; every refusal
    gives the same page, and ``Retry-After`` when the name or the source must wait."""
    container = container_of(request)
    token = secrets.token_urlsafe(24)
    response = render(
        request, name, None, status, csrf=token, next=target, error=message, username=username, **context
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=container.settings.secure_cookies,
        path="/login",
    )
    retry_after = getattr(error, "retry_after", None)
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response


def logged_in(request: Request, session: Session, target: str) -> Response:
    container = container_of(request)
    home = target if target != "/" else HOME.get(session.actor.role, "/queue")
    response = RedirectResponse(home, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session.token,
        httponly=True,
        samesite="strict",
        secure=container.settings.secure_cookies,
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
async def logout(request: Request, caller: PageCaller) -> Response:
    container = container_of(request)
    token = request.cookies.get(SESSION_COOKIE, "")
    await run_in_threadpool(container.accounts.log_out, token, container.clock())
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/")
def home(caller: PageCaller) -> RedirectResponse:
    return RedirectResponse(HOME.get(caller.actor.role, "/queue"), status_code=303)


@router.get("/calls/new")
def call_page(request: Request, caller: PageCaller) -> HTMLResponse:
    now = container_of(request).clock()
    return render(
        request,
        "call.html",
        caller,
        form={},
        errors={},
        received_at=now.isoformat(),
        idempotency_key=str(uuid.uuid4()),
    )


@router.post("/calls")
async def take_call(request: Request, caller: PageCaller) -> Response:
    container = container_of(request)
    form = await request.form()
    errors: dict[str, str] = {}
    try:
        contact = _contact_from(form, container.clock())
        opened = await run_in_threadpool(
            container.incidents.open,
            caller.actor,
            contact,
            container.clock(),
            str(form.get("idempotency_key") or "") or None,
            request_fingerprint({k: form.getlist(k) for k in form if k != "csrf_token"}),
        )
    except DomainError as error:
        errors[error.field or "form"] = error.message
        return render(
            request,
            "call.html",
            caller,
            422,
            form=form,
            errors=errors,
            received_at=form.get("received_at", ""),
            idempotency_key=form.get("idempotency_key", ""),
        )
    # The call goes straight on into its assessment: questions, THRIIVES, grade, advice.
    return RedirectResponse(f"/incidents/{opened.incident['reference']}/assess", status_code=303)


def _contact_from(form: Any, now: datetime) -> Contact:
    channel = str(form.get("channel", ""))
    if channel not in {c.value for c in Channel}:
        raise DomainError("choose how the contact came in", "channel")
    try:
        received_at = datetime.fromisoformat(str(form.get("received_at", "")))
    except ValueError as error:
        raise DomainError("is not a date and time", "received_at") from error

    def text(name: str) -> str | None:
        return str(form.get(name) or "") or None

    def number(name: str) -> float | None:
        raw = text(name)
        try:
            return float(raw) if raw else None
        except ValueError as error:
            raise DomainError("is not a number", name) from error

    return Contact(
        channel=Channel(channel),
        received_at=received_at,
        opening_category=str(form.get("opening_category", "")),
        qualifiers=tuple(str(q) for q in form.getlist("qualifiers")),
        asb_qualifier=text("asb_qualifier"),
        caller_name=text("caller_name"),
        caller_phone=text("caller_phone"),
        location_text=text("location_text"),
        postcode=text("postcode"),
        latitude=number("latitude"),
        longitude=number("longitude"),
        account=str(form.get("account", "")),
    )


QUEUE_PAGE = 500
QueueOffset = Annotated[int, Query(ge=0, le=10_000_000)]


@router.get("/queue")
def queue_page(request: Request, caller: PageCaller, offset: QueueOffset = 0) -> HTMLResponse:
    container = container_of(request)
    # Read before the rows: the page's stream starts after this event, so nothing that
    # happens between rendering the page and its stream connecting is lost.
    with container.uow() as uow:
        after = uow.journal.last_event_id()
    page = _queue_page(container, caller, offset)
    return render(request, "queue.html", caller, now=container.clock(), after=after, **page)


@router.get("/queue/table")
def queue_table(request: Request, caller: PageCaller, offset: QueueOffset = 0) -> HTMLResponse:
    container = container_of(request)
    page = _queue_page(container, caller, offset)
    return render(request, "_queue_rows.html", caller, now=container.clock(), **page)


def _queue_page(container: Container, caller: Caller, offset: int) -> dict[str, Any]:
    """One page of the live queue with the total, so the page says how many it does not show."""
    rows, total = container.incidents.live_page(caller.actor, QUEUE_PAGE, offset, now=container.clock())
    return {"rows": rows, "total": total, "offset": offset, "page_size": QUEUE_PAGE}


@router.get("/incidents/{reference}")
def incident_page(request: Request, reference: str, caller: PageCaller) -> HTMLResponse:
    return _incident(request, caller, reference)


def _incident(
    request: Request,
    caller: Caller,
    reference: str,
    status: int = 200,
    errors: dict[str, str] | None = None,
    close_form: Any = None,
) -> HTMLResponse:
    """The incident page. No generic status control: grading is done in the assessment,
    units on the board; closing has its own form, shown only when nothing blocks it (the
    reasons are shown instead), and reopening its own, for the roles that may."""
    container = container_of(request)
    incident, timeline = container.incidents.view(caller.actor, reference[:40], container.clock())
    return render(
        request,
        "incident.html",
        caller,
        status,
        incident=incident,
        timeline=timeline,
        blockers=container.incidents.closing_blockers(caller.actor, incident),
        initial_grade=container.initial_grades.record_of(incident["id"]),
        close_form=close_form or {},
        errors=errors or {},
    )


@router.post("/incidents/{reference}/status")
async def incident_status(request: Request, reference: str, caller: PageCaller) -> Response:
    container = container_of(request)
    form = await request.form()
    try:
        await run_in_threadpool(
            container.incidents.change_status,
            caller.actor,
            reference[:40],
            Status(str(form.get("status"))),
            str(form.get("reason") or "") or None,
            container.clock(),
        )
    except (DomainError, ValueError) as error:
        return await run_in_threadpool(_incident_error, request, caller, reference, error)
    return RedirectResponse(f"/incidents/{reference}", status_code=303)


CLOSE_FIELDS = ("closing_category", "closure_reason", "note", "dash_exemption")


@router.post("/incidents/{reference}/close")
async def incident_close(request: Request, reference: str, caller: PageCaller) -> Response:
    """Closing takes two steps without script: the form, then a confirmation page that
    carries the same fields (``Back`` returns to the form with them kept)."""
    container = container_of(request)
    form = await request.form()
    fields = {name: str(form.get(name) or "").strip()[:2001] for name in CLOSE_FIELDS}
    arguments = (
        caller.actor,
        reference[:40],
        fields["closing_category"],
        fields["closure_reason"],
        fields["note"] or None,
    )
    if form.get("back"):
        return await run_in_threadpool(_incident, request, caller, reference, 200, None, fields)
    try:
        if form.get("confirm") != "yes":
            incident = await run_in_threadpool(
                container.incidents.check_close, *arguments, fields["dash_exemption"] or None
            )
            return render(request, "close_confirm.html", caller, incident=incident, close_form=fields)
        await run_in_threadpool(
            container.incidents.close, *arguments, container.clock(), fields["dash_exemption"] or None
        )
    except DomainError as error:
        return await run_in_threadpool(_incident_error, request, caller, reference, error, fields)
    return RedirectResponse(f"/incidents/{reference}", status_code=303)


def _incident_error(
    request: Request, caller: Caller, reference: str, error: Exception, close_form: Any = None
) -> HTMLResponse:
    field = getattr(error, "field", None) or "status"
    message = getattr(error, "message", None) or "is not a status"
    return _incident(request, caller, reference, 422, {field: message}, close_form)
