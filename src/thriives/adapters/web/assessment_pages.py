"""The assessment screens: walk a call through category, questions, THRIIVES, the proposed
grade with its reasons, confirm or override, and safeguarding advice; then DASH.

The proposal updates as the handler types (htmx posts the form to ``/assess/preview``), so
the grade on screen is always the one the policy gives for what is recorded so far.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from thriives.adapters.web.identity import Caller, container_of, page_caller
from thriives.adapters.web.pages import render
from thriives.domain.assessment import AdviceRecord, Rating, Submission
from thriives.domain.dash import DashSubmission
from thriives.domain.errors import DomainError
from thriives.domain.indicators import CALL_STATES, EMERGENCY_INDICATORS, PRIORITY_INDICATORS

router = APIRouter(include_in_schema=False)
PageCaller = Annotated[Caller, Depends(page_caller)]
NOT_YET = "(not yet rated)"


@dataclass(frozen=True)
class FormView:
    """A submitted form kept as given, so a refused one comes back exactly as typed."""

    values: dict[str, list[str]]

    def get(self, name: str, default: str = "") -> str:
        found = self.values.get(name)
        return found[0] if found else default

    def getlist(self, name: str) -> list[str]:
        return self.values.get(name, [])


def submission_from(form: FormView, model_code: str, factors: list[str], advice: tuple[str, ...],
                    lenient: bool) -> Submission:
    """Build a submission from the form. ``lenient`` (for the live preview) fills what the
    handler has not reached yet, so a half-done form still shows a grade."""
    ratings = {}
    for code in factors:
        level = form.get(f"level_{code}")
        rationale = form.get(f"rationale_{code}")
        if lenient and not level:
            level = "none"
        if lenient and not rationale.strip():
            rationale = NOT_YET
        if level or rationale:
            ratings[code] = Rating(level, rationale)
    answers = {name[2:]: value for name, values in form.values.items()
               if name.startswith("q_") and (value := values[0])}
    records = {}
    for code in advice:
        given = form.get(f"advice_{code}") == "given"
        note = form.get(f"advice_note_{code}") or None
        if lenient or given or note or form.get(f"advice_{code}"):
            records[code] = AdviceRecord(given or lenient, note)
    return Submission(
        model=model_code, ratings=ratings, answers=answers,
        indicators=frozenset(form.getlist("indicators")),
        call_states=frozenset(form.getlist("call_states")),
        da_not_immediate_reason=form.get("da_not_immediate_reason") or None,
        grade=form.get("grade") or None, override_reason=form.get("override_reason") or None,
        advice=records,
    )


def _context(request: Request, caller: Caller, reference: str) -> dict[str, Any]:
    container = container_of(request)
    form = container.assessments.form(caller.actor, reference[:40], container.clock())
    policy = container.assessment_policy
    return form | {
        "apolicy": policy, "model": policy.models[policy.default_model],
        "emergency_indicators": EMERGENCY_INDICATORS, "priority_indicators": PRIORITY_INDICATORS,
        "call_states": CALL_STATES,
    }


async def _form(request: Request) -> FormView:
    data = await request.form()
    return FormView({key: [str(v) for v in data.getlist(key)] for key in data})


@router.get("/incidents/{reference}/assess")
def assess_page(request: Request, reference: str, caller: PageCaller) -> HTMLResponse:
    context = _context(request, caller, reference)
    return render(request, "assess.html", caller, form=FormView({}), errors={}, **context)


@router.post("/incidents/{reference}/assess/preview")
async def assess_preview(request: Request, reference: str, caller: PageCaller) -> HTMLResponse:
    container = container_of(request)
    form = await _form(request)
    context = await run_in_threadpool(_context, request, caller, reference)
    model = context["model"]
    submission = submission_from(form, model.code, [f.code for f in model.factors],
                                 context["advice_due"], lenient=True)
    try:
        evaluation = await run_in_threadpool(
            container.assessments.preview, caller.actor, reference[:40], submission, container.clock())
    except DomainError as error:
        return render(request, "_proposal.html", caller, evaluation=None, problem=error, **context)
    return render(request, "_proposal.html", caller, evaluation=evaluation, problem=None, **context)


@router.post("/incidents/{reference}/assess")
async def assess(request: Request, reference: str, caller: PageCaller) -> Response:
    container = container_of(request)
    form = await _form(request)
    context = await run_in_threadpool(_context, request, caller, reference)
    model = context["model"]
    submission = submission_from(form, model.code, [f.code for f in model.factors],
                                 context["advice_due"], lenient=False)
    try:
        await run_in_threadpool(container.assessments.assess, caller.actor, reference[:40],
                                submission, container.clock())
    except DomainError as error:
        return render(request, "assess.html", caller, 422, form=form,
                      errors={error.field or "form": error.message}, **context)
    return RedirectResponse(f"/incidents/{reference}", status_code=303)


@router.get("/incidents/{reference}/dash")
def dash_page(request: Request, reference: str, caller: PageCaller) -> HTMLResponse:
    context = _context(request, caller, reference)
    return render(request, "dash.html", caller, form=FormView({}), errors={}, **context)


@router.post("/incidents/{reference}/dash")
async def dash(request: Request, reference: str, caller: PageCaller) -> Response:
    container = container_of(request)
    form = await _form(request)
    policy = container.assessment_policy
    submission = DashSubmission(
        answers={q.id: form.get(f"dash_{q.id}") for q in policy.dash_questions if form.get(f"dash_{q.id}")},
        comments={q.id: form.get(f"comment_{q.id}") for q in policy.dash_questions
                  if form.get(f"comment_{q.id}")},
        override_level=form.get("override_level") or None,
        override_reason=form.get("override_reason") or None,
    )
    try:
        await run_in_threadpool(container.assessments.record_dash, caller.actor, reference[:40],
                                submission, container.clock())
    except DomainError as error:
        context = await run_in_threadpool(_context, request, caller, reference)
        return render(request, "dash.html", caller, 422, form=form,
                      errors={error.field or "form": error.message}, **context)
    return RedirectResponse(f"/incidents/{reference}", status_code=303)


@router.get("/incidents/{reference}/assessments/panel")
def assessments_panel(request: Request, reference: str, caller: PageCaller) -> HTMLResponse:
    """The assessment history shown on the incident page: every version, its reasons and policy."""
    container = container_of(request)
    history, dash_history = container.assessments.history(caller.actor, reference[:40])
    return render(request, "_assessments.html", caller, history=history, dash=dash_history,
                  reference=reference[:40], apolicy=container.assessment_policy)


@router.post("/aide-memoires/{category}")
async def save_aide_memoire(request: Request, category: str, caller: PageCaller) -> Response:
    container = container_of(request)
    form = await _form(request)
    back = form.get("back", "/")
    if not back.startswith("/") or back.startswith("//"):
        back = "/"
    try:
        await run_in_threadpool(container.assessments.set_aide_memoire, caller.actor, category[:40],
                                form.get("text"), container.clock())
    except (DomainError, PermissionError) as error:
        return render(request, "message.html", caller, 422, title="Aide-memoire not saved",
                      message=getattr(error, "message", str(error)), back=back)
    return RedirectResponse(back, status_code=303)
