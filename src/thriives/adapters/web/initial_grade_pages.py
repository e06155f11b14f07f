"""The quick grade on screen: the block shown on the assessment screen and on the board's
incident page (``_initial_grade.html``), and the form post behind it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from thriives.adapters.web.assessment_pages import FormView
from thriives.adapters.web.identity import Caller, container_of, page_caller
from thriives.adapters.web.pages import render
from thriives.bootstrap import Container
from thriives.domain.accounts import Actor, Permission, can
from thriives.domain.errors import DomainError
from thriives.domain.incidents import Status
from thriives.domain.indicators import EMERGENCY_INDICATORS, PRIORITY_INDICATORS

router = APIRouter(include_in_schema=False)
PageCaller = Annotated[Caller, Depends(page_caller)]
LABELS = {"grade": "Grade", "reason": "Reason", "status": "Incident", "indicators": "Indicators"}


def quick_view(
    container: Container,
    actor: Actor,
    incident: dict[str, Any],
    back: str,
    form: FormView | None = None,
    error: DomainError | None = None,
) -> dict[str, Any]:
    """What ``_initial_grade.html`` shows: the initial grade given, or the form to give one."""
    policy = container.assessment_policy
    field = (error.field or "") if error else ""
    return {
        "record": container.initial_grades.record_of(incident["id"]),
        "can_give": incident["grade"] is None
        and incident["status"] != Status.CLOSED.value
        and can(actor.role, Permission.ASSESS_INCIDENT),
        "grades": [(code, g.name) for code in policy.initial_grades if (g := policy.grade(code))],
        "names": {g.code: g.name for g in policy.grades},
        "indicators": EMERGENCY_INDICATORS | PRIORITY_INDICATORS,
        "reason_max": policy.initial_reason_max,
        "back": back,
        "form": form or FormView({}),
        "error": {"label": LABELS.get(field.split(".")[0], "Quick grade"), "message": error.message}
        if error
        else None,
    }


def _back(raw: str, reference: str) -> str:
    return raw if raw.startswith("/") and not raw.startswith("//") else f"/incidents/{reference}/assess"


@router.post("/incidents/{reference}/initial-grade")
async def give(request: Request, reference: str, caller: PageCaller) -> Response:
    container = container_of(request)
    data = await request.form()
    form = FormView({key: [str(v) for v in data.getlist(key)] for key in data})
    reference = reference[:40]
    back = _back(form.get("back"), reference)
    try:
        await run_in_threadpool(
            container.initial_grades.give,
            caller.actor,
            reference,
            form.get("grade"),
            form.getlist("indicators"),
            form.get("reason"),
            container.clock(),
        )
    except DomainError as error:
        return await run_in_threadpool(_refused, request, container, caller, reference, back, form, error)
    return RedirectResponse(back, status_code=303)


def _refused(
    request: Request,
    container: Container,
    caller: Caller,
    reference: str,
    back: str,
    form: FormView,
    error: DomainError,
) -> HTMLResponse:
    with container.uow() as uow:
        incident = uow.incidents.require(reference)
    quick = quick_view(container, caller.actor, incident, back, form, error)
    return render(request, "initial_grade.html", caller, error.status, incident=incident, quick=quick)
