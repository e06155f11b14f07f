"""The supervision API: the review queue, downgrade decisions, reviews against the versioned
form, feedback and its acknowledgement, the random sample, and the compliance figures as
JSON, CSV, a printable HTML report and a PDF."""

from __future__ import annotations

import re
from dataclasses import asdict
from datetime import date, datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, BeforeValidator, Field, StrictBool, StrictStr

from thriives.adapters.web.compliance_report import PrinterUnavailable, csv_text, print_pdf, report_html
from thriives.adapters.web.dispatch_api import (
    NO_NUL,
    PRINTABLE,
    READ,
    Code,
    PathId,
    Reason,
    Reference,
    Strict,
)
from thriives.adapters.web.identity import Caller, api_caller, container_of
from thriives.adapters.web.problems import PROBLEM, PROBLEM_SCHEMA, problem, problem_responses
from thriives.bootstrap import Container
from thriives.domain.accounts import Actor
from thriives.domain.compliance import GROUPINGS
from thriives.domain.review_form import NOT_APPLICABLE, Answer

router = APIRouter(prefix="/api/v1", tags=["supervision"])
CallerDep = Annotated[Caller, Depends(api_caller)]
# Generous on purpose: the review form refuses a long text with its own limit, naming the item.
Text = Annotated[StrictStr, Field(max_length=10_000, pattern=NO_NUL)]
CHANGE = problem_responses(400, 401, 403, 404, 409, 422)
LIST = problem_responses(401, 403)
FIGURES = problem_responses(401, 403, 422)
DAY = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
# The report loads nothing and runs nothing: its styles and SVG charts are inline.
SELF_CONTAINED = {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:"}
UNAVAILABLE: dict[int | str, dict[str, Any]] = {
    503: {
        "description": "Chromium (or Playwright) is not installed, or could not print",
        "content": {PROBLEM: {"schema": PROBLEM_SCHEMA}},
    }
}


def day_text(value: Any) -> Any:
    """A day comes as ``YYYY-MM-DD`` only: lax parsing would read ``0`` as 1 January 1970."""
    if not isinstance(value, str) or re.fullmatch(DAY, value) is None:
        raise ValueError("must be a day, YYYY-MM-DD")
    return value


Day = Annotated[date, BeforeValidator(day_text)]
Start = Annotated[Day, Query(description="The first local day, YYYY-MM-DD")]
End = Annotated[Day, Query(description="The last local day, YYYY-MM-DD (inclusive)")]
By = Annotated[Literal["handler", "team", "shift", "week"], Query(description="How to group the figures")]


# ---- the queue and its items ---------------------------------------------------------------


class QueueItemOut(BaseModel):
    id: int
    kind: str
    reference: str
    detail: dict[str, Any] = Field(description="For a downgrade: the proposed and chosen grades, why")
    status: str
    created_by: str
    created_at: datetime
    grade: str | None
    incident_status: str
    opening_category: str
    received_at: datetime


class QueueOut(BaseModel):
    downgrade: list[QueueItemOut] = Field(description="Downgrades awaiting a decision")
    domestic_abuse: list[QueueItemOut]
    high_risk: list[QueueItemOut]
    attendance_breach: list[QueueItemOut]
    late_reassessment: list[QueueItemOut]
    late_grading: list[QueueItemOut] = Field(default=[], description="Calls still ungraded past their target")
    late_follow_up: list[QueueItemOut] = Field(default=[], description="Follow-ups past their time")
    late_assessment: list[QueueItemOut] = Field(
        description="Initial grades whose full assessment did not follow within the policy time"
    )
    sample: list[QueueItemOut] = Field(description="Picked by the month's random sample")


@router.get("/reviews/queue", response_model=QueueOut, responses=LIST)
def queue(caller: CallerDep, request: Request) -> dict[str, list[dict[str, Any]]]:
    """Open review items by kind, oldest first."""
    return container_of(request).supervision.queue(caller.actor)


class ItemOut(BaseModel):
    id: int
    kind: str
    reference: str
    detail: dict[str, Any]
    status: str
    created_by: str
    created_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None


class ItemViewOut(BaseModel):
    item: ItemOut
    incident: dict[str, Any]
    assessments: list[dict[str, Any]] = Field(description="Every version, with its reasons")
    dash: list[dict[str, Any]]
    searches: list[dict[str, Any]] = Field(description="The history searches made for the call")
    timeline: list[dict[str, Any]]
    reviews: list[dict[str, Any]] = Field(description="Earlier reviews of the incident")
    handler: str | None = Field(description="The call handler who took the call")


@router.get("/reviews/items/{item_id}", response_model=ItemViewOut, responses=READ)
def item(item_id: PathId, caller: CallerDep, request: Request) -> dict[str, Any]:
    """What a reviewer reads: the call, its assessments and reasons, searches, grade, timeline.
    Recorded in the audit trail as a consultation for quality assurance."""
    container = container_of(request)
    return container.supervision.item(caller.actor, item_id, container.clock())


class DecisionIn(Strict):
    approve: StrictBool = Field(description="true approves the downgrade; false rejects it and regrades")
    reason: Reason


class DecisionOut(BaseModel):
    item: int
    status: Literal["approved", "rejected"]
    grade: str | None = Field(description="The incident's grade after the decision")
    reference: str


@router.post("/reviews/items/{item_id}/decision", response_model=DecisionOut, responses=CHANGE)
def decide(item_id: PathId, body: DecisionIn, caller: CallerDep, request: Request) -> dict[str, Any]:
    """Approve or reject a downgrade with a reason; rejecting regrades the incident to the
    grade its assessment proposed. Nobody decides on their own downgrade."""
    container = container_of(request)
    return container.supervision.decide_downgrade(
        caller.actor, item_id, body.approve, body.reason, container.clock()
    )


# ---- reviews and the form ------------------------------------------------------------------


class FactorIn(Strict):
    rating: Code
    rationale: Text


class AnswerIn(Strict):
    value: Code | None = Field(None, description="For a choice item: one of its options")
    factors: dict[Code, FactorIn] | None = Field(
        None, max_length=30, description="For a per-factor item: each factor's rating and rationale"
    )
    correction: Code | None = Field(None, description="The right category or grade, when answered no")
    note: Text | None = None

    def to_answer(self) -> Answer:
        factors = None
        if self.factors is not None:
            factors = {code: (f.rating, f.rationale) for code, f in self.factors.items()}
        return Answer(self.value, factors, self.correction, self.note)


class ReviewIn(Strict):
    answers: dict[Code, AnswerIn] = Field(max_length=50, description="Every item of the current form")
    feedback: Text = Field(description="For the call handler")


class ReviewedOut(BaseModel):
    id: int
    score: int = Field(description="0 to 100")
    handler: str
    form_version: str


@router.post("/incidents/{reference}/reviews", status_code=201, response_model=ReviewedOut, responses=CHANGE)
def review(reference: Reference, body: ReviewIn, caller: CallerDep, request: Request) -> dict[str, Any]:
    """Review an incident in the queue against the current form; closes its open items."""
    container = container_of(request)
    answers = {code: answer.to_answer() for code, answer in body.answers.items()}
    return container.supervision.review(caller.actor, reference, answers, body.feedback, container.clock())


class FormItemOut(BaseModel):
    code: str
    kind: Literal["choice", "per_factor"]
    label: str
    options: list[str]
    weight: float
    correction: Literal["category", "grade"] | None = Field(description="What a no answer must name")


class FactorOut(BaseModel):
    code: str
    name: str


class FormOut(BaseModel):
    version: str
    items: list[FormItemOut]
    points: dict[str, float] = Field(description="Each option's share of an item's weight")
    labels: dict[str, str] = Field(description="Each option's label")
    factors: dict[str, list[FactorOut]] = Field(
        description="Per assessment model, the factors a per-factor item is answered for"
    )
    categories: list[str] = Field(description="The categories a category correction may name")
    grades: list[str] = Field(description="The grades a grade correction may name")


@router.get("/reviews/form", response_model=FormOut, responses=problem_responses(401))
def form(caller: CallerDep, request: Request) -> dict[str, Any]:
    """The review form in force; every review records the version it used."""
    service = container_of(request).supervision
    current = service.policy.form
    options = {o for i in current.items for o in i.options}
    return {
        "version": current.version,
        "items": [asdict(i) for i in current.items],
        "points": dict(current.points),
        "labels": {o: o.replace("_", " ").capitalize() for o in sorted(options | {NOT_APPLICABLE})},
        "factors": {
            code: [{"code": f.code, "name": f.name} for f in model.factors]
            for code, model in service.assessment.models.items()
        },
        "categories": sorted(service.categories.categories),
        "grades": [g.code for g in service.assessment.grades],
    }


# ---- feedback ------------------------------------------------------------------------------


class ReviewOut(BaseModel):
    id: int
    reference: str
    form_version: str
    answers: dict[str, Any]
    score: int
    feedback: str
    reviewer: str
    reviewed_at: datetime
    handler: str
    acknowledged_at: datetime | None
    acknowledgement: str | None


@router.get("/feedback", response_model=list[ReviewOut], responses=LIST)
def my_feedback(caller: CallerDep, request: Request) -> list[dict[str, Any]]:
    """Reviews of the caller's own work, newest first."""
    return container_of(request).supervision.feedback(caller.actor)


class AcknowledgeIn(Strict):
    note: Reason | None = None


@router.post("/feedback/{review_id}/acknowledge", response_model=ReviewOut, responses=CHANGE)
def acknowledge(
    review_id: PathId,
    caller: CallerDep,
    request: Request,
    body: Annotated[AcknowledgeIn | None, Body()] = None,
) -> dict[str, Any]:
    """The call handler whose work was reviewed has read the feedback (once), with a note."""
    container = container_of(request)
    note = body.note if body is not None else None
    return container.supervision.acknowledge(caller.actor, review_id, note, container.clock())


@router.get("/reviews/unacknowledged", response_model=list[ReviewOut], responses=LIST)
def unacknowledged(caller: CallerDep, request: Request) -> list[dict[str, Any]]:
    """Feedback no call handler has acknowledged yet, oldest first."""
    return container_of(request).supervision.unacknowledged(caller.actor)


# ---- the sample ----------------------------------------------------------------------------


class SampleIn(Strict):
    period: Annotated[StrictStr, Field(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")] = Field(
        description="The local calendar month, YYYY-MM"
    )
    seed: Annotated[StrictStr, Field(min_length=1, max_length=100, pattern=PRINTABLE)] = Field(
        description="Logged with the draw, so it can be reproduced"
    )


class PickOut(BaseModel):
    reference: str
    handler: str
    score: float
    why: Literal["share", "handler_min", "share_top_up"]


class DrawOut(BaseModel):
    id: int
    period: str
    candidates: int = Field(description="Incidents of the month not queued for another reason")
    picks: list[PickOut]


class ReproducedOut(BaseModel):
    id: int
    same: bool = Field(description="The same picks as the logged draw")
    candidates: int
    picks: list[PickOut]


@router.post("/reviews/samples", status_code=201, response_model=DrawOut, responses=CHANGE)
def draw_sample(body: SampleIn, caller: CallerDep, request: Request) -> dict[str, Any]:
    """Draw a month's random sample from its seed, log it, and queue the picks."""
    container = container_of(request)
    return container.supervision.draw_sample(caller.actor, body.period, body.seed, container.clock())


@router.get("/reviews/samples/{draw_id}/reproduce", response_model=ReproducedOut, responses=READ)
def reproduce(draw_id: PathId, caller: CallerDep, request: Request) -> dict[str, Any]:
    """Draw again from a logged draw's seed and pool as they stood; say whether it is the same."""
    return container_of(request).supervision.reproduce(caller.actor, draw_id)


# ---- the figures ---------------------------------------------------------------------------


class FiguresOut(BaseModel):
    group: str
    incidents: int
    assessed: float | None = Field(description="Share with a complete assessment, 0 to 1")
    searched: float | None = Field(description="Share with history searched")
    category_at_close: float | None = Field(description="Share of closed ones keeping their category")
    category_by_review: float | None = Field(description="Share of reviews judging the category right")
    reassessed_on_time: float | None = Field(description="Share of tasks done before escalation")
    reviews: int
    score: float | None = Field(description="Mean review score, 0 to 100")


class ComplianceOut(BaseModel):
    by: str
    start: date
    end: date
    rows: list[FiguresOut]
    total: FiguresOut


def figures_of(actor: Actor, container: Container, start: date, end: date, by: str) -> dict[str, Any]:
    found = container.supervision.dashboard(actor, start, end, by)
    return found | {"rows": [asdict(r) for r in found["rows"]], "total": asdict(found["total"])}


@router.get("/compliance", response_model=ComplianceOut, responses=FIGURES)
def compliance(
    caller: CallerDep, request: Request, start: Start, end: End, by: By = "handler"
) -> dict[str, Any]:
    """How well the risk model is applied, per group and in total, for local days start..end."""
    return figures_of(caller.actor, container_of(request), start, end, by)


class CsvResponse(Response):
    media_type = "text/csv"


@router.get(
    "/compliance.csv",
    response_class=CsvResponse,
    responses={**FIGURES, 200: {"description": "A header row, a row per group, then the total"}},
)
def compliance_csv(
    caller: CallerDep, request: Request, start: Start, end: End, by: By = "handler"
) -> Response:
    """The same figures as CSV; shares as fractions from 0 to 1, blank where there is none."""
    found = figures_of(caller.actor, container_of(request), start, end, by)
    name = f"compliance-{by}-{start}-{end}.csv"
    return CsvResponse(
        csv_text(found),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _report(caller: Caller, container: Container, start: date, end: date) -> str:
    dashboards = [figures_of(caller.actor, container, start, end, by) for by in GROUPINGS]
    settings = container.settings
    local = container.clock().astimezone(ZoneInfo(settings.force_timezone))
    return report_html(dashboards, local, caller.actor.display_name or caller.actor.username, settings.demo)


@router.get("/compliance/report", response_class=HTMLResponse, responses=FIGURES)
def compliance_report(caller: CallerDep, request: Request, start: Start, end: End) -> HTMLResponse:
    """A printable report of the period: each grouping's table and charts, no scripts."""
    return HTMLResponse(_report(caller, container_of(request), start, end), headers=SELF_CONTAINED)


class PdfResponse(Response):
    media_type = "application/pdf"


@router.get(
    "/compliance/report.pdf",
    response_class=PdfResponse,
    responses={**FIGURES, **UNAVAILABLE, 200: {"description": "The report printed to A4 by Chromium"}},
)
def compliance_report_pdf(caller: CallerDep, request: Request, start: Start, end: End) -> Response:
    """The printable report as a PDF (FastAPI runs this in a worker thread: printing blocks)."""
    html = _report(caller, container_of(request), start, end)
    try:
        pdf = print_pdf(html)
    except PrinterUnavailable as error:
        return problem(503, "Service unavailable", str(error), [{"field": None, "message": str(error)}])
    name = f"compliance-{start}-{end}.pdf"
    return PdfResponse(pdf, headers={"Content-Disposition": f'inline; filename="{name}"'})
