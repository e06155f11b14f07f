"""The assessment API: the form for an incident, preview, save, history, DASH, aide-memoires."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr

from thriives.adapters.web.identity import Caller, api_caller, container_of
from thriives.adapters.web.problems import problem_responses
from thriives.domain.assessment import AdviceRecord, Evaluation, Rating, Submission
from thriives.domain.dash import DashSubmission
from thriives.domain.indicators import CALL_STATES

router = APIRouter(prefix="/api/v1", tags=["assessment"])
CallerDep = Annotated[Caller, Depends(api_caller)]
Code = Annotated[StrictStr, Field(min_length=1, max_length=40)]
Text = Annotated[StrictStr, Field(max_length=2000)]
# No NUL or control characters: PostgreSQL cannot compare a NUL byte.
Reference = Annotated[str, Field(max_length=40, pattern=r"^[^\x00-\x1f\x7f]*$")]
ERRORS = problem_responses(400, 401, 403, 404, 409, 422)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RatingIn(Strict):
    level: Code
    rationale: Text = ""


class AdviceIn(Strict):
    given: StrictBool
    note: Text | None = None


class AssessmentIn(Strict):
    model: Code = Field(description="Assessment model, e.g. thriives or thrive")
    ratings: dict[Code, RatingIn] = Field(max_length=20)
    answers: dict[Code, Code] = Field(default_factory=dict, max_length=200)
    indicators: list[Code] = Field(default_factory=list, max_length=50)
    call_states: list[Literal["silent", "abandoned", "cut_off"]] = Field(default_factory=list, max_length=3)
    da_not_immediate_reason: Text | None = None
    grade: Code | None = Field(None, description="The grade chosen; omit to accept the proposal")
    override_reason: Text | None = None
    advice: dict[Code, AdviceIn] = Field(default_factory=dict, max_length=50)

    def to_submission(self) -> Submission:
        return Submission(
            model=self.model,
            ratings={k: Rating(v.level, v.rationale) for k, v in self.ratings.items()},
            answers=dict(self.answers),
            indicators=frozenset(self.indicators),
            call_states=frozenset(self.call_states),
            da_not_immediate_reason=self.da_not_immediate_reason,
            grade=self.grade,
            override_reason=self.override_reason,
            advice={k: AdviceRecord(v.given, v.note) for k, v in self.advice.items()},
        )


class ReasonOut(BaseModel):
    rule: str
    fact: str
    response: str


class EvaluationOut(BaseModel):
    model: str
    levels: dict[str, str]
    raised: list[dict[str, str]]
    indicators: list[str]
    question_sets: list[str]
    unanswered: list[str]
    proposed_grade: str
    reasons: list[ReasonOut]
    deciding_rules: list[str]
    final_grade: str
    downgrade: bool
    advice_due: list[str]
    advice_not_given: list[str]
    policy_version: str


class AssessedOut(EvaluationOut):
    version: int
    suggestions: list[dict[str, Any]]
    linked_incidents: list[str]


def evaluation_out(evaluation: Evaluation, policy_version: str) -> dict[str, Any]:
    return {
        "model": evaluation.model,
        "levels": evaluation.levels,
        "raised": [asdict(r) for r in evaluation.raised],
        "indicators": sorted(evaluation.indicators),
        "question_sets": list(evaluation.question_sets),
        "unanswered": list(evaluation.unanswered),
        "proposed_grade": evaluation.proposed.grade,
        "reasons": [
            {"rule": r.rule, "fact": r.fact, "response": r.response.name.lower()}
            for r in evaluation.proposed.reasons
        ],
        "deciding_rules": [r.rule for r in evaluation.proposed.deciding],
        "final_grade": evaluation.final_grade,
        "downgrade": evaluation.downgrade,
        "advice_due": list(evaluation.advice_due),
        "advice_not_given": list(evaluation.advice_not_given),
        "policy_version": policy_version,
    }


@router.post("/incidents/{reference}/assessments/preview", response_model=EvaluationOut, responses=ERRORS)
def preview(reference: Reference, body: AssessmentIn, caller: CallerDep, request: Request) -> dict[str, Any]:
    """The grade this assessment would give, with its reasons; nothing is saved."""
    container = container_of(request)
    evaluation = container.assessments.preview(
        caller.actor, reference, body.to_submission(), container.clock()
    )
    return evaluation_out(evaluation, container.assessment_policy.version)


@router.post(
    "/incidents/{reference}/assessments", status_code=201, response_model=AssessedOut, responses=ERRORS
)
def assess(reference: Reference, body: AssessmentIn, caller: CallerDep, request: Request) -> dict[str, Any]:
    """Save an assessment (a new version) and grade the incident from it."""
    container = container_of(request)
    assessed = container.assessments.assess(caller.actor, reference, body.to_submission(), container.clock())
    return evaluation_out(assessed.evaluation, container.assessment_policy.version) | {
        "version": assessed.version,
        "suggestions": [asdict(s) for s in assessed.suggestions],
        "linked_incidents": list(assessed.linked_incidents),
    }


@router.get("/incidents/{reference}/assessments", responses=problem_responses(401, 403, 404, 422))
def history(reference: Reference, caller: CallerDep, request: Request) -> dict[str, Any]:
    """Every assessment and DASH record of the incident, oldest first, with its policy version."""
    container = container_of(request)
    assessments, dash = container.assessments.history(caller.actor, reference, container.clock())
    return {"assessments": assessments, "dash": dash}


class DashIn(Strict):
    answers: dict[Code, Literal["yes", "no", "not_known"]] = Field(max_length=100)
    comments: dict[Code, Text] = Field(default_factory=dict, max_length=100)
    override_level: Literal["standard", "medium", "high"] | None = None
    override_reason: Text | None = None


class DashOut(BaseModel):
    yes_count: int
    score_level: str
    level: str
    basis: str
    marac_referral: bool
    reasons: list[str]


@router.post("/incidents/{reference}/dash", status_code=201, response_model=DashOut, responses=ERRORS)
def record_dash(reference: Reference, body: DashIn, caller: CallerDep, request: Request) -> DashOut:
    container = container_of(request)
    result = container.assessments.record_dash(
        caller.actor,
        reference,
        DashSubmission(dict(body.answers), dict(body.comments), body.override_level, body.override_reason),
        container.clock(),
    )
    return DashOut(**asdict(result))


@router.get("/assessment-policy", responses=problem_responses(401))
def assessment_policy(caller: CallerDep, request: Request) -> dict[str, Any]:
    """The assessment policy in force: models, levels, question sets, grades, DASH, advice."""
    policy = container_of(request).assessment_policy
    return {
        "version": policy.version,
        "levels": list(policy.levels),
        "default_model": policy.default_model,
        "models": [asdict(m) for m in policy.models.values()],
        "question_sets": [asdict(s) for s in policy.question_sets.values()],
        "grades": [
            {
                "code": g.code,
                "name": g.name,
                "response": g.response.name.lower(),
                "target_urban": g.target_urban,
                "target_rural": g.target_rural,
            }
            for g in policy.grades
        ],
        "dash": {
            "questions": [asdict(q) for q in policy.dash_questions],
            "medium_at": policy.dash_medium_at,
            "high_at": policy.dash_high_at,
        },
        "advice": [asdict(a) for a in policy.advice],
        "call_states": dict(CALL_STATES),
    }


class AideMemoireIn(Strict):
    text: Annotated[StrictStr, Field(min_length=1, max_length=10_000)]


@router.get("/aide-memoires/{category}", responses=problem_responses(401, 404, 422))
def get_aide_memoire(category: Code, caller: CallerDep, request: Request) -> dict[str, Any]:
    found = container_of(request).assessments.aide_memoire(category)
    if found is None:
        return {"category": category, "version": 0, "text": "", "author": None, "created_at": None}
    return found


@router.put("/aide-memoires/{category}", responses=problem_responses(400, 401, 403, 422))
def put_aide_memoire(
    category: Code, body: AideMemoireIn, caller: CallerDep, request: Request
) -> dict[str, Any]:
    """Supervisors keep the concise instructions per category; each change is a new version."""
    container = container_of(request)
    version = container.assessments.set_aide_memoire(caller.actor, category, body.text, container.clock())
    return {"category": category, "version": version}
