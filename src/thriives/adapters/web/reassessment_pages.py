"""The delayed-attendance reassessment screen: why the task opened, whether every part is
mandatory and why, a way to re-run the assessment, and the form that finishes the task.

The form asks for the contact outcome, safeguarding actions and notes, when to look again
(minutes from now, the policy's default filled in) and the assessment version made for the
task, filled in when the incident's latest assessment was made after the task opened. A
refused form comes back with the message next to the field and everything typed kept.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from thriives.adapters.web.assessment_pages import FormView
from thriives.adapters.web.identity import Caller, container_of, page_caller
from thriives.adapters.web.pages import render
from thriives.domain.clocks import review_time
from thriives.domain.dispatch_policy import DispatchPolicy
from thriives.domain.errors import DomainError
from thriives.domain.reassessment import TRIGGER_TEXT, Completion

router = APIRouter(include_in_schema=False)
PageCaller = Annotated[Caller, Depends(page_caller)]
TaskId = Annotated[int, Path(ge=1, le=2**63 - 1)]
FIELDS = (
    "contact_outcome",
    "contact_note",
    "safeguarding",
    "safeguarding_note",
    "review_minutes",
    "reassessed_version",
)
LONGEST_VERSION = 1_000_000


def refused(
    error: Exception, fields: tuple[str, ...], renames: dict[str, str] | None = None
) -> tuple[int, dict[str, str]]:
    """The status to answer with and ``{field: message}``, the field named as the form names
    it; a field the form does not show is reported for the whole form."""
    if isinstance(error, PermissionError):
        return 403, {"form": str(error)}
    if not isinstance(error, DomainError):
        raise error
    field = (error.field or "form").split(".")[0]  # safeguarding.1 is one of the safeguarding boxes
    field = (renames or {}).get(field, field)
    return error.status, {field if field in fields else "form": error.message}


def completion_from(form: FormView, now: datetime, policy: DispatchPolicy) -> Completion:
    """The form as a completion; the review is minutes from now, blank for none."""
    minutes = form.get("review_minutes").strip()
    review_at = None
    if minutes:
        if not minutes.isdigit():
            raise DomainError("give whole minutes from now", "review_minutes")
        review_at = review_time(now, int(minutes), None, policy, "review_minutes")
    version = form.get("reassessed_version").strip()
    if version and (not version.isdigit() or not 1 <= int(version) <= LONGEST_VERSION):
        raise DomainError("is not an assessment version", "reassessed_version")
    return Completion(
        contact_outcome=form.get("contact_outcome") or None,
        contact_note=form.get("contact_note") or None,
        safeguarding=tuple(form.getlist("safeguarding")),
        safeguarding_note=form.get("safeguarding_note") or None,
        review_at=review_at,
        reassessed_version=int(version) if version else None,
    )


def _context(request: Request, caller: Caller, task_id: int) -> dict[str, Any]:
    container = container_of(request)
    task, summary = container.reassessments.task(caller.actor, task_id)
    latest = summary["latest_assessment"]
    fresh = latest if latest is not None and latest["created_at"] >= task["opened_at"] else None
    return {
        "task": task,
        "summary": summary,
        "fresh": fresh,
        "dpolicy": container.dispatch.policy,
        "trigger_text": {t.value: text for t, text in TRIGGER_TEXT.items()},
        "datetime_of": datetime.fromisoformat,  # a trigger's time is stored as text
    }


def _page(
    request: Request, caller: Caller, task_id: int, status: int, form: FormView | None, errors: dict[str, str]
) -> HTMLResponse:
    context = _context(request, caller, task_id)
    if form is None:  # a fresh form: the policy's review time, the new version if made
        defaults = {"review_minutes": [str(context["dpolicy"].default_review_minutes)]}
        if context["fresh"] is not None:
            defaults["reassessed_version"] = [str(context["fresh"]["version"])]
        form = FormView(defaults)
    return render(request, "reassess.html", caller, status, form=form, errors=errors, **context)


@router.get("/reassessments/{task_id}")
def task_page(request: Request, task_id: TaskId, caller: PageCaller) -> HTMLResponse:
    return _page(request, caller, task_id, 200, None, {})


@router.post("/reassessments/{task_id}")
async def complete(request: Request, task_id: TaskId, caller: PageCaller) -> Response:
    container = container_of(request)
    data = await request.form()
    form = FormView({key: [str(v) for v in data.getlist(key)] for key in data})
    now = container.clock()
    try:
        done = completion_from(form, now, container.dispatch.policy)
        await run_in_threadpool(container.reassessments.complete, caller.actor, task_id, done, now)
    except (DomainError, PermissionError) as error:
        status, errors = refused(error, FIELDS, {"review_at": "review_minutes"})
        return await run_in_threadpool(_page, request, caller, task_id, status, form, errors)
    return RedirectResponse("/board", status_code=303)
