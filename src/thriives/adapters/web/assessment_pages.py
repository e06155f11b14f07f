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
from thriives.domain.assessment import AdviceRecord, Evaluation, Rating, Submission
from thriives.domain.assessment_policy import AssessmentPolicy, Model
from thriives.domain.dash import DashSubmission
from thriives.domain.errors import DomainError
from thriives.domain.indicators import CALL_STATES, EMERGENCY_INDICATORS, PRIORITY_INDICATORS

router = APIRouter(include_in_schema=False)
PageCaller = Annotated[Caller, Depends(page_caller)]
NOT_YET = "(not yet rated)"
NO_REASON_YET = "(no reason given yet)"


@dataclass(frozen=True)
class FormView:
    """A submitted form kept as given, so a refused one comes back exactly as typed."""

    values: dict[str, list[str]]

    def get(self, name: str, default: str = "") -> str:
        found = self.values.get(name)
        return found[0] if found else default

    def getlist(self, name: str) -> list[str]:
        return self.values.get(name, [])


def submission_from(
    form: FormView, model_code: str, factors: list[str], advice: tuple[str, ...], lenient: bool
) -> Submission:
    """Build a submission from the form. ``lenient`` (for the live preview) leaves a factor
    with no level unrated (never read as low) and fills a missing rationale, so a half-done
    form still shows a (provisional) grade."""
    ratings = {}
    for code in factors:
        level = form.get(f"level_{code}")
        rationale = form.get(f"rationale_{code}")
        if lenient and not level:
            continue  # unrated: the preview shows it so and never counts it as low
        if lenient and not rationale.strip():
            rationale = NOT_YET
        if level or rationale:
            ratings[code] = Rating(level, rationale)
    answers = {
        name[2:]: value
        for name, values in form.values.items()
        if name.startswith("q_") and (value := values[0])
    }
    records = {}
    for code in advice:
        given = form.get(f"advice_{code}") == "given"
        note = form.get(f"advice_note_{code}") or None
        if lenient or given or note or form.get(f"advice_{code}"):
            records[code] = AdviceRecord(given or lenient, note)
    override_reason = form.get("override_reason") or None
    if lenient and form.get("grade") and not (override_reason or "").strip():
        # The proposal still shows while the handler has chosen a grade and not yet said
        # why; the panel asks for the reason (the save itself requires it).
        override_reason = NO_REASON_YET
    return Submission(
        model=model_code,
        ratings=ratings,
        answers=answers,
        indicators=frozenset(form.getlist("indicators")),
        call_states=frozenset(form.getlist("call_states")),
        da_not_immediate_reason=form.get("da_not_immediate_reason") or None,
        grade=form.get("grade") or None,
        override_reason=override_reason,
        advice=records,
    )


def previous_form(history: list[dict[str, Any]]) -> FormView:
    """A re-run starts from the latest version's answers, ratings and advice (not a blank
    form); the grade and any override reason are decided afresh."""
    if not history:
        return FormView({})
    given = max(history, key=lambda row: row["version"])["submission"]
    values: dict[str, list[str]] = {"model": [given.get("model", "")]}
    for code, rating in (given.get("ratings") or {}).items():
        values[f"level_{code}"] = [rating.get("level") or ""]
        values[f"rationale_{code}"] = [rating.get("rationale") or ""]
    for question, answer in (given.get("answers") or {}).items():
        values[f"q_{question}"] = [answer]
    values["indicators"] = list(given.get("indicators") or [])
    values["call_states"] = list(given.get("call_states") or [])
    if given.get("da_not_immediate_reason"):
        values["da_not_immediate_reason"] = [given["da_not_immediate_reason"]]
    for code, record in (given.get("advice") or {}).items():
        values[f"advice_{code}"] = ["given" if record.get("given") else "not_given"]
        if record.get("note"):
            values[f"advice_note_{code}"] = [record["note"]]
    return FormView(values)


def incomplete(form: FormView, model: Model, advice: tuple[str, ...]) -> dict[str, str]:
    """Every field still to fill, all at once: a refused save lists them together instead of
    one per attempt. The service checks everything again; this only gathers what is missing."""
    errors: dict[str, str] = {}
    for factor in model.factors:
        level = form.get(f"level_{factor.code}")
        rationale = form.get(f"rationale_{factor.code}").strip()
        if not level and not rationale:
            errors[f"ratings.{factor.code}"] = "choose a level and give a rationale"
        elif not level:
            errors[f"ratings.{factor.code}.level"] = "choose a level"
        elif not rationale and factor.rationale_required:
            errors[f"ratings.{factor.code}.rationale"] = "a rationale is required"
    for code in advice:
        chosen = form.get(f"advice_{code}")
        if not chosen:
            errors[f"advice.{code}"] = "record whether this advice was given"
        elif chosen != "given" and not form.get(f"advice_note_{code}").strip():
            errors[f"advice.{code}.note"] = "say why it was not given"
    return errors


def _context(
    request: Request, caller: Caller, reference: str, model_code: str | None = None
) -> dict[str, Any]:
    """What the screens show; ``model_code`` picks THRIIVES or THRIVE (default: the policy's)."""
    from thriives.adapters.web.initial_grade_pages import quick_view  # noqa: PLC0415 - import cycle

    container = container_of(request)
    form = container.assessments.form(caller.actor, reference[:40], container.clock())
    policy = container.assessment_policy
    back = f"/incidents/{form['incident']['reference']}/assess"
    return form | {
        "quick": quick_view(container, caller.actor, form["incident"], back),
        "apolicy": policy,
        "model": policy.models.get(model_code or "", policy.models[policy.default_model]),
        "emergency_indicators": EMERGENCY_INDICATORS,
        "priority_indicators": PRIORITY_INDICATORS,
        "call_states": CALL_STATES,
    }


async def _form(request: Request) -> FormView:
    data = await request.form()
    return FormView({key: [str(v) for v in data.getlist(key)] for key in data})


@dataclass(frozen=True)
class Problem:
    """One refused field, as the error summary lists it: what, where (an element id), why."""

    field: str
    label: str
    anchor: str | None
    message: str


def _short(text: str, limit: int = 70) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def describe(field: str, message: str, context: dict[str, Any]) -> Problem:
    """Name a refused field the way the screen does, with the id of the control to go to."""
    policy: AssessmentPolicy = context["apolicy"]
    model: Model = context["model"]
    head, _, rest = field.partition(".")
    code, _, part = rest.partition(".")
    if head == "ratings" and (factor := model.factor(code)) is not None:
        if part == "rationale":
            return Problem(field, f"{factor.name} rationale", f"rationale_{code}", message)
        label = f"{factor.name} level" if part == "level" else factor.name
        return Problem(field, label, f"level-{code}-{policy.levels[0]}", message)
    if head == "answers" and (question := policy.questions.get(code)) is not None:
        return Problem(field, _short(question.text), f"q-{code}-{question.answers[0]}", message)
    if head == "advice" and (advice := next((a for a in policy.advice if a.code == code), None)):
        if part == "note":
            return Problem(field, f"“{_short(advice.text, 40)}”", f"advice-note-{code}", message)
        return Problem(field, f"“{_short(advice.text, 40)}”", f"advice-{code}-given", message)
    known = {
        "grade": ("Grade to give", "grade"),
        "override_reason": ("Reason for a less urgent grade", "override_reason"),
        "da_not_immediate_reason": ("Why domestic abuse is not an emergency", "da_not_immediate_reason"),
        "indicators": ("Facts that set a national minimum response", None),
        "call_states": ("How the call went", None),
    }
    label, anchor = known.get(field, (field.replace("_", " "), None))
    return Problem(field, label, anchor, message)


STEP_OF = {
    "call_states": 1,
    "answers": 2,
    "indicators": 2,
    "ratings": 3,
    "grade": 4,
    "override_reason": 4,
    "da_not_immediate_reason": 4,
    "advice": 5,
}


def _problems(errors: dict[str, str], context: dict[str, Any]) -> list[Problem]:
    """In the order of the screen, so the first is the one the cursor is put on."""
    ordered = sorted(errors.items(), key=lambda item: STEP_OF.get(item[0].split(".")[0], 0))
    return [describe(field, message, context) for field, message in ordered]


async def _proposal(
    request: Request, caller: Caller, reference: str, form: FormView, context: dict[str, Any]
) -> tuple[Evaluation | None, DomainError | None]:
    """The grade the policy proposes for what the form holds so far (lenient: unrated
    factors count as none, advice not yet recorded counts as given)."""
    container = container_of(request)
    model = context["model"]
    submission = submission_from(
        form, model.code, [f.code for f in model.factors], context["advice_due"], lenient=True
    )
    try:
        evaluation = await run_in_threadpool(
            container.assessments.preview, caller.actor, reference[:40], submission, container.clock()
        )
    except DomainError as error:
        return None, error
    return evaluation, None


def _assess_page(
    request: Request,
    caller: Caller,
    status: int,
    form: FormView,
    errors: dict[str, str],
    context: dict[str, Any],
    proposal: tuple[Evaluation | None, DomainError | None],
) -> HTMLResponse:
    problems = _problems(errors, context)
    groups: dict[str, list[Problem]] = {}
    for found in problems:  # the same message once, naming every field it applies to
        groups.setdefault(found.message, []).append(found)
    evaluation, problem = proposal
    return render(
        request,
        "assess.html",
        caller,
        status,
        form=form,
        errors=errors,
        problems=problems,
        problem_groups=list(groups.items()),
        focus_id=next((p.anchor for p in problems if p.anchor), None),
        evaluation=evaluation,
        problem=problem,
        reason_missing=not form.get("override_reason").strip(),
        **context,
    )


@router.get("/incidents/{reference}/assess")
async def assess_page(request: Request, reference: str, caller: PageCaller) -> HTMLResponse:
    context = await run_in_threadpool(_context, request, caller, reference, request.query_params.get("model"))
    form = previous_form(context["history"])
    if form.get("model") and not request.query_params.get("model"):
        # A re-run keeps the model the last version used.
        context = await run_in_threadpool(_context, request, caller, reference, form.get("model"))
    # The proposal is rendered with the page (no flash of "working out…", and it shows
    # without JavaScript); htmx then keeps it up to date as answers are chosen.
    proposal = await _proposal(request, caller, reference, form, context)
    return _assess_page(request, caller, 200, form, {}, context, proposal)


@router.post("/incidents/{reference}/assess/preview")
async def assess_preview(request: Request, reference: str, caller: PageCaller) -> HTMLResponse:
    form = await _form(request)
    context = await run_in_threadpool(_context, request, caller, reference, form.get("model"))
    evaluation, problem = await _proposal(request, caller, reference, form, context)
    return render(
        request,
        "_proposal.html",
        caller,
        evaluation=evaluation,
        problem=problem,
        form=form,
        reason_missing=not form.get("override_reason").strip(),
        **context,
    )


@router.post("/incidents/{reference}/assess")
async def assess(request: Request, reference: str, caller: PageCaller) -> Response:
    container = container_of(request)
    form = await _form(request)
    context = await run_in_threadpool(_context, request, caller, reference, form.get("model"))
    model = context["model"]
    errors = incomplete(form, model, context["advice_due"])
    if not errors:
        submission = submission_from(
            form, model.code, [f.code for f in model.factors], context["advice_due"], lenient=False
        )
        try:
            await run_in_threadpool(
                container.assessments.assess, caller.actor, reference[:40], submission, container.clock()
            )
        except DomainError as error:
            errors = {error.field or "form": error.message}
        else:
            return RedirectResponse(f"/incidents/{reference}", status_code=303)
    proposal = await _proposal(request, caller, reference, form, context)
    evaluation = proposal[0]
    if evaluation is not None and evaluation.downgrade and not form.get("override_reason").strip():
        # Listed with the rest, so the handler does not learn of it only on the next attempt.
        errors.setdefault("override_reason", "a reason is required")
    return _assess_page(request, caller, 422, form, errors, context, proposal)


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
        comments={
            q.id: form.get(f"comment_{q.id}") for q in policy.dash_questions if form.get(f"comment_{q.id}")
        },
        override_level=form.get("override_level") or None,
        override_reason=form.get("override_reason") or None,
    )
    # Every question not asked is named at once, next to it; the service checks it all again.
    errors = {
        f"answers.{q.id}": "not recorded: yes, no or not known"
        for q in policy.dash_questions
        if not form.get(f"dash_{q.id}")
    }
    if not errors:
        try:
            await run_in_threadpool(
                container.assessments.record_dash, caller.actor, reference[:40], submission, container.clock()
            )
        except DomainError as error:
            errors = {error.field or "form": error.message}
        else:
            return RedirectResponse(f"/incidents/{reference}", status_code=303)
    context = await run_in_threadpool(_context, request, caller, reference)
    return render(request, "dash.html", caller, 422, form=form, errors=errors, **context)


@router.get("/incidents/{reference}/assessments/panel")
def assessments_panel(request: Request, reference: str, caller: PageCaller) -> HTMLResponse:
    """The assessment history shown on the incident page: every version, its reasons and policy."""
    container = container_of(request)
    history, dash_history = container.assessments.history(caller.actor, reference[:40], container.clock())
    return render(
        request,
        "_assessments.html",
        caller,
        history=history,
        dash=dash_history,
        reference=reference[:40],
        apolicy=container.assessment_policy,
    )


@router.post("/aide-memoires/{category}")
async def save_aide_memoire(request: Request, category: str, caller: PageCaller) -> Response:
    container = container_of(request)
    form = await _form(request)
    back = form.get("back", "/")
    if not back.startswith("/") or back.startswith("//"):
        back = "/"
    try:
        await run_in_threadpool(
            container.assessments.set_aide_memoire,
            caller.actor,
            category[:40],
            form.get("text"),
            container.clock(),
        )
    except (DomainError, PermissionError) as error:
        return render(
            request,
            "message.html",
            caller,
            422,
            title="Aide-memoire not saved",
            message=getattr(error, "message", str(error)),
            back=back,
        )
    return RedirectResponse(back, status_code=303)
