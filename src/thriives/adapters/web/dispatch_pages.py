"""The live board and one incident's dispatch panel: the risk-ordered queue with its clocks,
incidents units hold, reassessment tasks, units, assigning and moving units, appointments.

The board refreshes itself from ``/api/v1/board/stream``: a ``board`` frame makes the page
fetch ``/board/panels`` again, at most about once a second (``static/board.js``), and the
clocks count down in the browser between refreshes from the times the server gave. Forms
post normally and come back to where they were; a refused one comes back with the message
next to its field and the input kept. The reassessment form lives in ``reassessment_pages``.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from thriives.adapters.web import follow_up_pages, reassessment_pages
from thriives.adapters.web.assessment_pages import FormView
from thriives.adapters.web.identity import Caller, container_of, page_caller
from thriives.adapters.web.initial_grade_pages import quick_view
from thriives.adapters.web.pages import render
from thriives.adapters.web.reassessment_pages import refused
from thriives.domain.accounts import Permission, require
from thriives.domain.clocks import AttendanceClock, local_to_utc
from thriives.domain.dispatch import UnitStatus
from thriives.domain.dispatch_policy import DispatchPolicy
from thriives.domain.errors import DomainError
from thriives.domain.grading_clock import grading_due, grading_state
from thriives.domain.incidents import Status
from thriives.domain.reassessment import TRIGGER_TEXT
from thriives.services.reassessments import ENDINGS

router = APIRouter(include_in_schema=False)
router.include_router(reassessment_pages.router)
router.include_router(follow_up_pages.router)
PageCaller = Annotated[Caller, Depends(page_caller)]
CallSign = Annotated[str, Path(min_length=1, max_length=20)]
AppointmentId = Annotated[int, Path(ge=1, le=2**63 - 1)]
JUSTIFICATION = "operational: dispatch"
RUNNING = ("running", "at_risk", "breached")
PANEL_ROWS = 100  # rows a board panel shows; the rest are counted in an "and N more" row
# The fields each form shows; a refused field a form does not show is reported above it.
FIELDS = {
    "assign": ("call_sign", "reason"),
    "move": ("status",),
    "take_away": ("reason",),
    "hand_over": ("to_call_sign", "reason"),
    "cut_off": (),
    "backup": ("units", "skills", "reason"),
    "backup_cancel": ("reason",),
    "book": ("slot_id", "at", "place"),
    "end": ("outcome", "note"),
    "units": ("status",),
}


def countdown(seconds: float | None) -> str:
    """``12:05 left`` or ``1:02:09 over``: what the clock shows (``board.js`` does the same)."""
    if seconds is None:
        return ""
    whole = int(abs(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes}:{secs:02}"
    return f"{text} left" if seconds > 0 else f"{text} over"


def grading_words(seconds: float | None) -> str:
    """``grade within 4:59`` or ``grading late by 1:02`` (``board.js`` does the same)."""
    if seconds is None:
        return ""
    text = countdown(seconds).rsplit(" ", 1)[0]
    return f"grade within {text}" if seconds > 0 else f"grading late by {text}"


def _labels(request: Request) -> dict[str, Any]:
    return {
        "dpolicy": container_of(request).dispatch.policy,
        "trigger_text": {t.value: text for t, text in TRIGGER_TEXT.items()},
        "countdown": countdown,
        "grading_words": grading_words,
        "panel_rows": PANEL_ROWS,
        "running": RUNNING,
        "linked_refs": container_of(request).links.board_links(),
    }


async def _form(request: Request) -> FormView:
    data = await request.form()
    return FormView({key: [str(v) for v in data.getlist(key)] for key in data})


# ---- the board ----------------------------------------------------------------------------


@router.get("/board")
def board_page(request: Request, caller: PageCaller) -> HTMLResponse:
    return _board(request, caller, 200, None, {})


def _board(
    request: Request,
    caller: Caller,
    status: int,
    failed: str | None,
    errors: dict[str, str],
    unit: str | None = None,
) -> HTMLResponse:
    container = container_of(request)
    # Read before the board: its stream starts after this event, so nothing that happens
    # between rendering the page and the stream connecting is lost.
    with container.uow() as uow:
        after = uow.journal.last_event_id()
    board = container.dispatch.board(caller.actor, container.clock())
    return render(
        request,
        "board.html",
        caller,
        status,
        board=board,
        after=after,
        failed=failed,
        errors=errors,
        failed_unit=unit,
        **_labels(request),
    )


class BoardCache:
    """The board as last read, shared by every viewer in this process for up to ``TTL``
    seconds while no new event has arrived: a change that reaches hundreds of open boards
    costs one read of the store, not hundreds. It holds no caller details."""

    TTL = timedelta(seconds=1)

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: tuple[int, datetime] | None = None
        self._board: dict[str, Any] | None = None

    def get(self, request: Request, caller: Caller) -> dict[str, Any]:
        container = container_of(request)
        require(caller.actor.role, Permission.VIEW_QUEUE)
        with container.uow() as uow:
            latest = uow.journal.last_event_id()
        now = container.clock()
        with self._lock:
            if self._seen is not None and self._board is not None:
                seen, at = self._seen
                if seen == latest and timedelta(0) <= now - at < self.TTL:
                    return self._board
            board = container.dispatch.board(caller.actor, now)
            self._seen, self._board = (latest, now), board
            return board


_BOARD_CACHES: dict[int, BoardCache] = {}


def board_cache(request: Request) -> BoardCache:
    """One cache per application (the container's), kept out of app.state."""
    return _BOARD_CACHES.setdefault(id(container_of(request)), BoardCache())


@router.get("/board/panels")
def board_panels(request: Request, caller: PageCaller) -> HTMLResponse:
    """The board without its frame: what the page fetches again when the stream says so."""
    board = board_cache(request).get(request, caller)
    return render(
        request, "_board_panels.html", caller, board=board, failed=None, errors={}, **_labels(request)
    )


# ---- one incident's dispatch panel ---------------------------------------------------------


def _panel(request: Request, caller: Caller, reference: str) -> dict[str, Any]:
    """Everything the panel shows: the incident, its clock and times, recommended units,
    the unit holding it, its tasks and appointments, and whether it may have one."""
    container = container_of(request)
    actor, now = caller.actor, container.clock()
    incident, _timeline = container.incidents.view(actor, reference, now, JUSTIFICATION)
    timing = container.dispatch.timing(actor, reference, now)
    live = incident["status"] != Status.CLOSED.value
    needs: dict[str, Any] | None = None
    found: list[Any] = []
    eligibility: dict[str, Any] | None = None
    slots: list[dict[str, Any]] = []
    if incident["grade"] is not None and live:
        needs, found = container.dispatch.recommendations(actor, reference, now)
        eligibility = container.reassessments.eligibility(actor, reference)
        if eligibility["allowed"] and incident["status"] == Status.GRADED.value:
            slots = container.reassessments.slots(actor, None, now)
    clock = AttendanceClock(**timing["clock"]) if timing["clock"] else None
    return {
        "incident": incident,
        "timing": timing,
        "clock": clock,
        "clock_state": clock.state(now, incident["arrived_at"]) if clock else None,
        "seconds_left": (clock.due_at - now).total_seconds() if clock else None,
        "now": now,
        "needs": needs,
        "recommended": found,
        "eligibility": eligibility,
        "slots": slots,
        "on": timing["units"],  # every unit holding it, each with its current assignment
        "backup": needs["backup"] if needs else None,
        "open_task": next((t for t in timing["tasks"] if t["status"] == "open"), None),
        "booked": [a for a in timing["appointments"] if a["status"] == "booked"],
        "endings": ENDINGS,
        "live": live,
        "grading": _grading(container.dispatch.policy, incident, now) if live else None,
        "follow_ups": container.follow_ups.of_incident(actor, incident["id"]),
        "quick": quick_view(container, actor, incident, f"/board/incidents/{reference}"),
    }


def _grading(policy: DispatchPolicy, incident: dict[str, Any], now: datetime) -> dict[str, Any] | None:
    """An ungraded incident's grading clock, as the board shows it."""
    if incident["grade"] is not None:
        return None
    due = grading_due(incident["channel"], incident["received_at"], policy.grading)
    return {
        "grading": grading_state(due, now),
        "grading_due_at": due,
        "grading_seconds_left": round((due - now).total_seconds()),
    }


def _panel_page(
    request: Request,
    caller: Caller,
    reference: str,
    status: int = 200,
    failed: str | None = None,
    form: FormView | None = None,
    errors: dict[str, str] | None = None,
) -> HTMLResponse:
    context = _panel(request, caller, reference)
    return render(
        request,
        "board_incident.html",
        caller,
        status,
        failed=failed,
        form=form or FormView({}),
        errors=errors or {},
        **context,
        **_labels(request),
    )


@router.get("/board/incidents/{reference}")
def incident_panel(request: Request, reference: str, caller: PageCaller) -> HTMLResponse:
    return _panel_page(request, caller, reference[:40])


async def _refused_panel(
    request: Request, caller: Caller, reference: str, which: str, form: FormView, error: Exception
) -> HTMLResponse:
    status, errors = refused(error, FIELDS[which])
    return await run_in_threadpool(_panel_page, request, caller, reference, status, which, form, errors)


def _back(reference: str) -> RedirectResponse:
    return RedirectResponse(f"/board/incidents/{reference}", status_code=303)


@router.post("/board/incidents/{reference}/assign")
async def assign(request: Request, reference: str, caller: PageCaller) -> Response:
    """Send a unit: a recommended one, or another named with the reason for choosing it."""
    container = container_of(request)
    form = await _form(request)
    reference = reference[:40]
    chosen = form.get("other_call_sign").strip() or form.get("call_sign")
    try:
        if not chosen:
            raise DomainError("choose a unit to send", "call_sign")
        await run_in_threadpool(
            container.dispatch.assign,
            caller.actor,
            reference,
            chosen[:20],
            form.get("reason") or None,
            container.clock(),
        )
    except (DomainError, PermissionError) as error:
        return await _refused_panel(request, caller, reference, "assign", form, error)
    return _back(reference)


@router.get("/incidents/{reference}/units/panel")
def incident_units(request: Request, reference: str, caller: PageCaller) -> HTMLResponse:
    """The units on an incident with their status and times, for the incident page."""
    container = container_of(request)
    timing = container.dispatch.timing(caller.actor, reference[:40], container.clock())
    return render(request, "_incident_units_panel.html", caller, timing=timing)


@router.post("/board/incidents/{reference}/backup")
async def request_backup(request: Request, reference: str, caller: PageCaller) -> Response:
    """Ask for further units: how many, which skills, why."""
    container = container_of(request)
    form = await _form(request)
    reference = reference[:40]
    try:
        count = form.get("units").strip()
        if not count.isdigit() or len(count) > 3:
            raise DomainError("give how many further units, as a number", "units")
        await run_in_threadpool(
            container.dispatch.units.request_backup,
            caller.actor,
            reference,
            int(count),
            [skill[:40] for skill in form.getlist("skills")][:20],
            form.get("reason") or None,
            container.clock(),
        )
    except (DomainError, PermissionError) as error:
        return await _refused_panel(request, caller, reference, "backup", form, error)
    return _back(reference)


@router.post("/board/incidents/{reference}/backup/cancel")
async def cancel_backup(request: Request, reference: str, caller: PageCaller) -> Response:
    container = container_of(request)
    form = await _form(request)
    reference = reference[:40]
    try:
        await run_in_threadpool(
            container.dispatch.units.cancel_backup,
            caller.actor,
            reference,
            form.get("reason") or None,
            container.clock(),
        )
    except (DomainError, PermissionError) as error:
        return await _refused_panel(request, caller, reference, "backup_cancel", form, error)
    return _back(reference)


@router.post("/board/incidents/{reference}/cut-off")
async def cut_off(request: Request, reference: str, caller: PageCaller) -> Response:
    """The call was cut off: a reassessment task opens at once."""
    container = container_of(request)
    form = await _form(request)
    reference = reference[:40]
    try:
        await run_in_threadpool(container.dispatch.cut_off, caller.actor, reference, container.clock())
    except (DomainError, PermissionError) as error:
        return await _refused_panel(request, caller, reference, "cut_off", form, error)
    return _back(reference)


@router.post("/board/incidents/{reference}/appointment")
async def book(request: Request, reference: str, caller: PageCaller) -> Response:
    """Book the incident into a slot at the time (local wall clock) and place the victim chose."""
    container = container_of(request)
    form = await _form(request)
    reference = reference[:40]
    try:
        slot = form.get("slot_id")
        if not slot.isdigit() or not 1 <= int(slot) < 2**63:
            raise DomainError("choose a slot", "slot_id")
        at = _wall_time(form.get("at"), container.settings.force_timezone)
        await run_in_threadpool(
            container.reassessments.book,
            caller.actor,
            reference,
            int(slot),
            at,
            form.get("place") or None,
            container.clock(),
        )
    except (DomainError, PermissionError) as error:
        return await _refused_panel(request, caller, reference, "book", form, error)
    return _back(reference)


def _wall_time(raw: str, zone: str) -> datetime:
    try:
        wall = datetime.fromisoformat(raw)
    except ValueError as error:
        raise DomainError("give the date and time of the appointment", "at") from error
    return local_to_utc(wall.replace(tzinfo=None), ZoneInfo(zone), "at")[0]


@router.post("/board/appointments/{appointment_id}/end")
async def end_appointment(request: Request, appointment_id: AppointmentId, caller: PageCaller) -> Response:
    container = container_of(request)
    form = await _form(request)
    reference = form.get("reference")[:40]
    try:
        await run_in_threadpool(
            container.reassessments.end_appointment,
            caller.actor,
            appointment_id,
            form.get("outcome"),
            form.get("note") or None,
            container.clock(),
        )
    except (DomainError, PermissionError) as error:
        return await _refused_panel(request, caller, reference, "end", form, error)
    return _back(reference)


# ---- units ---------------------------------------------------------------------------------


async def _unit_refused(
    request: Request, caller: Caller, call_sign: str, which: str, form: FormView, error: Exception
) -> HTMLResponse:
    """Back on the incident panel the form came from, or on the board next to the unit."""
    reference = form.get("reference")[:40]
    if reference:
        return await _refused_panel(request, caller, reference, which, form, error)
    status, errors = refused(error, FIELDS["units"])
    return await run_in_threadpool(_board, request, caller, status, "units", errors, call_sign)


def _after_unit(form: FormView) -> RedirectResponse:
    reference = form.get("reference")[:40]
    return _back(reference) if reference else RedirectResponse("/board", status_code=303)


@router.post("/board/units/{call_sign}/status")
async def unit_status(request: Request, call_sign: CallSign, caller: PageCaller) -> Response:
    """A unit's own moves: en route, at scene; available and unavailable."""
    container = container_of(request)
    form = await _form(request)
    which = "move" if form.get("reference") else "units"
    try:
        if form.get("status") not in {s.value for s in UnitStatus}:
            raise DomainError("is not a unit status", "status")
        await run_in_threadpool(
            container.dispatch.move,
            caller.actor,
            call_sign,
            UnitStatus(form.get("status")),
            container.clock(),
        )
    except (DomainError, PermissionError) as error:
        return await _unit_refused(request, caller, call_sign, which, form, error)
    return _after_unit(form)


@router.post("/board/units/{call_sign}/take-away")
async def take_away(request: Request, call_sign: CallSign, caller: PageCaller) -> Response:
    """Free a committed unit: its incident goes back on the queue with a reassessment task."""
    container = container_of(request)
    form = await _form(request)
    try:
        await run_in_threadpool(
            container.dispatch.take_away,
            caller.actor,
            call_sign,
            form.get("reason") or None,
            container.clock(),
            form.get("unavailable") == "yes",
        )
    except (DomainError, PermissionError) as error:
        return await _unit_refused(request, caller, call_sign, "take_away", form, error)
    return _after_unit(form)


@router.post("/board/units/{call_sign}/hand-over")
async def hand_over(request: Request, call_sign: CallSign, caller: PageCaller) -> Response:
    container = container_of(request)
    form = await _form(request)
    try:
        if not form.get("to_call_sign").strip():
            raise DomainError("choose the unit to hand over to", "to_call_sign")
        await run_in_threadpool(
            container.dispatch.hand_over,
            caller.actor,
            call_sign,
            form.get("to_call_sign").strip()[:20],
            form.get("reason") or None,
            container.clock(),
        )
    except (DomainError, PermissionError) as error:
        return await _unit_refused(request, caller, call_sign, "hand_over", form, error)
    return _after_unit(form)
