"""Supervision pages: the supervisor's live view, the review queue and the sample draw, the
reviewer's page with its downgrade decision and review form, feedback and its
acknowledgement. The compliance dashboard lives in ``compliance_pages``.

The live view refreshes itself from ``/api/v1/board/stream`` as the board does: a frame makes
the page fetch ``/supervision/panels`` again, at most about once a second
(``static/supervision.js``). Forms post normally; a refused one comes back with the message
next to its field and everything typed kept.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from thriives.adapters.web import compliance_pages
from thriives.adapters.web.assessment_pages import FormView
from thriives.adapters.web.dispatch_pages import PANEL_ROWS, countdown, grading_words
from thriives.adapters.web.identity import Caller, container_of, page_caller
from thriives.adapters.web.pages import render
from thriives.domain.errors import DomainError
from thriives.domain.review_form import Answer, ReviewForm

router = APIRouter(include_in_schema=False)
router.include_router(compliance_pages.router)
PageCaller = Annotated[Caller, Depends(page_caller)]
RowId = Annotated[int, Path(ge=1, le=2**63 - 1)]
RUNNING = ("running", "at_risk", "breached")
KIND_LABELS = {
    "downgrade": "Downgrades awaiting a decision",
    "domestic_abuse": "Domestic abuse",
    "high_risk": "High risk",
    "attendance_breach": "Attendance clock breached",
    "late_reassessment": "Late reassessments",
    "late_grading": "Calls graded late",
    "late_follow_up": "Follow-ups overdue",
    "late_assessment": "Full assessment late after an initial grade",
    "sample": "Random sample",
    "categorisation_cue": "Categorisation cue not followed",
}
OPTION_LABELS = {"yes": "Yes", "partly": "Partly", "no": "No", "not_applicable": "Not applicable"}


def _labels(request: Request) -> dict[str, Any]:
    return {
        "spolicy": container_of(request).supervision.policy,
        "kind_labels": KIND_LABELS,
        "option_labels": OPTION_LABELS,
        "countdown": countdown,
        "grading_words": grading_words,
        "panel_rows": PANEL_ROWS,
        "running": RUNNING,
    }


async def _form(request: Request) -> FormView:
    data = await request.form()
    return FormView({key: [str(v) for v in data.getlist(key)] for key in data})


def _refused(error: Exception, fields: set[str] | tuple[str, ...]) -> tuple[int, dict[str, str]]:
    """The status and ``{field: message}``: the field as the form names it, or ``form``."""
    if isinstance(error, PermissionError):
        return 403, {"form": str(error)}
    if not isinstance(error, DomainError):
        raise error
    field = error.field or "form"
    return error.status, {field if field in fields else "form": error.message}


# ---- the live view -------------------------------------------------------------------------


def _live(request: Request, caller: Caller) -> dict[str, Any]:
    """Open high-risk incidents, downgrades awaiting a decision, overdue reassessments,
    breached clocks, the queue's counts by kind and the feedback not yet acknowledged."""
    container = container_of(request)
    actor, now = caller.actor, container.clock()
    queue = container.supervision.queue(actor)
    board = container.dispatch.board(actor, now)
    unacknowledged = container.supervision.unacknowledged(actor)
    levels = container.assessment_policy.levels
    floor = levels.index(container.supervision.policy.high_risk_at)
    live = board["queue"] + board["held"]
    return {
        "as_of": now,
        "high_risk": [e for e in live if e["risk"] in levels and levels.index(e["risk"]) >= floor],
        "downgrades": queue["downgrade"],
        "overdue": [t for t in board["tasks"] if t["overdue"]],
        "breached": [e for e in live if e["clock"] == "breached"],
        "ungraded": [e for e in board["queue"] if e["grade"] is None],
        "follow_ups": [f for f in board["follow_ups"] if f["overdue"]],
        "counts": {kind: len(items) for kind, items in queue.items()},
        "unacknowledged": len(unacknowledged),
        "late_deadlines": board["overdue_deadlines"] + board["failed_deadlines"],
    }


@router.get("/supervision")
def live_page(request: Request, caller: PageCaller) -> HTMLResponse:
    container = container_of(request)
    # Read before the view: its stream starts after this event, so nothing is lost between.
    with container.uow() as uow:
        after = uow.journal.last_event_id()
    live = _live(request, caller)
    return render(request, "supervision.html", caller, after=after, live=live, **_labels(request))


@router.get("/supervision/panels")
def live_panels(request: Request, caller: PageCaller) -> HTMLResponse:
    """The live view without its frame: what the page fetches when the stream says so."""
    live = _live(request, caller)
    return render(request, "_supervision_live.html", caller, live=live, **_labels(request))


# ---- the queue and the sample --------------------------------------------------------------


def _last_month(request: Request) -> str:
    container = container_of(request)
    today = container.clock().astimezone(ZoneInfo(container.settings.force_timezone)).date()
    last = today.replace(day=1) - timedelta(days=1)
    return f"{last.year}-{last.month:02d}"


def _queue_page(
    request: Request,
    caller: Caller,
    status: int = 200,
    form: FormView | None = None,
    errors: dict[str, str] | None = None,
    drawn: dict[str, Any] | None = None,
) -> HTMLResponse:
    queue = container_of(request).supervision.queue(caller.actor)
    form = form or FormView({"period": [_last_month(request)]})
    return render(
        request,
        "supervision_queue.html",
        caller,
        status,
        queue=queue,
        form=form,
        failed="sample" if errors else None,
        errors=errors or {},
        drawn=drawn,
        **_labels(request),
    )


@router.get("/supervision/queue")
def queue_page(request: Request, caller: PageCaller) -> HTMLResponse:
    return _queue_page(request, caller)


@router.post("/supervision/sample")
async def draw_sample(request: Request, caller: PageCaller) -> HTMLResponse:
    """Draw a month's sample from its seed; the page then lists every pick and why."""
    container = container_of(request)
    form = await _form(request)
    try:
        drawn = await run_in_threadpool(
            container.supervision.draw_sample,
            caller.actor,
            form.get("period").strip()[:7],
            form.get("seed")[:200],
            container.clock(),
        )
    except (DomainError, PermissionError) as error:
        status, errors = _refused(error, ("period", "seed"))
        return await run_in_threadpool(_queue_page, request, caller, status, form, errors)
    return await run_in_threadpool(_queue_page, request, caller, 200, None, None, drawn)


# ---- one item: the reviewer's page ---------------------------------------------------------


def review_fields(form: ReviewForm, factors: list[str]) -> set[str]:
    """Every field the review form shows, as the form names it (and the service's errors)."""
    fields = {"feedback"}
    for item in form.items:
        base = f"answers.{item.code}"
        fields |= {base, f"{base}.note", f"{base}.correction"}
        if item.kind == "per_factor":
            fields |= {f"{base}.{f}" for f in factors} | {f"{base}.{f}.rationale" for f in factors}
    return fields


def answers_from(form: FormView, review: ReviewForm, factors: list[str]) -> dict[str, Answer]:
    """The review form as answers; an item left wholly blank is left out (and so refused,
    naming it); a factor left blank is left out of its item (refused, naming the factor)."""
    answers: dict[str, Answer] = {}
    for item in review.items:
        base = f"answers.{item.code}"
        note = form.get(f"{base}.note").strip() or None
        if item.kind == "per_factor":
            given = {}
            for factor in factors:
                rating, rationale = form.get(f"{base}.{factor}"), form.get(f"{base}.{factor}.rationale")
                if rating or rationale.strip():
                    given[factor] = (rating, rationale)
            if given or note:
                answers[item.code] = Answer(factors=given, note=note)
            continue
        value = form.get(base) or None
        if value or note:
            correction = (form.get(f"{base}.correction") or None) if value == "no" else None
            answers[item.code] = Answer(value=value, correction=correction, note=note)
    return answers


def _item(request: Request, caller: Caller, item_id: int) -> dict[str, Any]:
    container = container_of(request)
    view = container.supervision.item(caller.actor, item_id, container.clock())
    apolicy = container.assessment_policy
    latest = view["assessments"][-1] if view["assessments"] else None
    model = apolicy.models.get(latest["model"]) if latest else None
    reference = view["incident"]["reference"]
    others = [
        i
        for items in container.supervision.queue(caller.actor).values()
        for i in items
        if i["reference"] == reference and i["id"] != item_id
    ]
    factors = [f.code for f in model.factors] if model else []
    return view | {"model": model, "factors": factors, "others": others}


def _item_page(
    request: Request,
    caller: Caller,
    item_id: int,
    status: int = 200,
    failed: str | None = None,
    form: FormView | None = None,
    errors: dict[str, str] | None = None,
) -> HTMLResponse:
    context = _item(request, caller, item_id)
    return render(
        request,
        "supervision_item.html",
        caller,
        status,
        failed=failed,
        form=form or FormView({}),
        errors=errors or {},
        reference=context["incident"]["reference"],
        history=context["assessments"],
        **context,
        **_labels(request),
    )


@router.get("/supervision/items/{item_id}")
def item_page(request: Request, item_id: RowId, caller: PageCaller) -> HTMLResponse:
    return _item_page(request, caller, item_id)


async def _decide(request: Request, item_id: int, caller: Caller, approve: bool) -> Response:
    container = container_of(request)
    form = await _form(request)
    try:
        await run_in_threadpool(
            container.supervision.decide_downgrade,
            caller.actor,
            item_id,
            approve,
            form.get("reason") or None,
            container.clock(),
        )
    except (DomainError, PermissionError) as error:
        status, errors = _refused(error, ("reason",))
        which = "approve" if approve else "reject"
        return await run_in_threadpool(_item_page, request, caller, item_id, status, which, form, errors)
    return RedirectResponse(f"/supervision/items/{item_id}", status_code=303)


@router.post("/supervision/items/{item_id}/approve")
async def approve(request: Request, item_id: RowId, caller: PageCaller) -> Response:
    """Approve a downgrade, with the reason."""
    return await _decide(request, item_id, caller, True)


@router.post("/supervision/items/{item_id}/reject")
async def reject(request: Request, item_id: RowId, caller: PageCaller) -> Response:
    """Reject a downgrade, with the reason: the incident is regraded to the proposed grade."""
    return await _decide(request, item_id, caller, False)


def _factors(request: Request, caller: Caller, reference: str) -> list[str]:
    """The factors of the incident's latest assessment: the ones the review rates."""
    container = container_of(request)
    history, _ = container.assessments.history(caller.actor, reference, container.clock())
    model = container.assessment_policy.models.get(history[-1]["model"]) if history else None
    return [f.code for f in model.factors] if model else []


@router.post("/supervision/incidents/{reference}/review")
async def review(request: Request, reference: str, caller: PageCaller) -> Response:
    """Record the structured review; the item's page then shows its score."""
    container = container_of(request)
    form = await _form(request)
    item_id = form.get("item_id")
    if not item_id.isdigit() or not 1 <= int(item_id) < 2**63:
        return render(
            request, "message.html", caller, 422, title="Review not saved", message="no review item", back="/"
        )
    review_form = container.supervision.policy.form
    factors: list[str] = []
    try:
        factors = await run_in_threadpool(_factors, request, caller, reference[:40])
        await run_in_threadpool(
            container.supervision.review,
            caller.actor,
            reference[:40],
            answers_from(form, review_form, factors),
            form.get("feedback") or None,
            container.clock(),
        )
    except (DomainError, PermissionError) as error:
        status, errors = _refused(error, review_fields(review_form, factors))
        return await run_in_threadpool(
            _item_page, request, caller, int(item_id), status, "review", form, errors
        )
    return RedirectResponse(f"/supervision/items/{item_id}#reviews", status_code=303)


# ---- feedback ------------------------------------------------------------------------------


def _feedback_page(
    request: Request,
    caller: Caller,
    status: int = 200,
    failed: int | None = None,
    form: FormView | None = None,
    errors: dict[str, str] | None = None,
) -> HTMLResponse:
    reviews = container_of(request).supervision.feedback(caller.actor)
    return render(
        request,
        "supervision_feedback.html",
        caller,
        status,
        reviews=reviews,
        failed=failed,
        form=form or FormView({}),
        errors=errors or {},
        **_labels(request),
    )


@router.get("/feedback")
def feedback_page(request: Request, caller: PageCaller) -> HTMLResponse:
    return _feedback_page(request, caller)


@router.get("/feedback/count")
def feedback_count(request: Request, caller: PageCaller) -> HTMLResponse:
    """The navigation's badge: how many reviews of the caller's work wait to be acknowledged."""
    reviews = container_of(request).supervision.feedback(caller.actor)
    waiting = sum(1 for r in reviews if r["acknowledged_at"] is None)
    return render(request, "_supervision_badge.html", caller, waiting=waiting)


@router.post("/feedback/{review_id}/acknowledge")
async def acknowledge(request: Request, review_id: RowId, caller: PageCaller) -> Response:
    container = container_of(request)
    form = await _form(request)
    try:
        await run_in_threadpool(
            container.supervision.acknowledge,
            caller.actor,
            review_id,
            form.get("note") or None,
            container.clock(),
        )
    except (DomainError, PermissionError) as error:
        status, errors = _refused(error, ("note",))
        return await run_in_threadpool(_feedback_page, request, caller, status, review_id, form, errors)
    return RedirectResponse(f"/feedback#review-{review_id}", status_code=303)


@router.get("/supervision/feedback")
def unacknowledged_page(request: Request, caller: PageCaller) -> HTMLResponse:
    """Feedback the call handlers have not acknowledged yet, oldest first."""
    reviews = container_of(request).supervision.unacknowledged(caller.actor)
    return render(
        request, "supervision_unacknowledged.html", caller, reviews=reviews, now=container_of(request).clock()
    )
