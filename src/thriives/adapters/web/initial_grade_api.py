"""The initial grade API: a quick grade at first contact, and reading it back."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field, StrictStr

from thriives.adapters.web.api import InitialGradeOut
from thriives.adapters.web.dispatch_api import CHANGE, PRINTABLE, READ, Reference, Strict
from thriives.adapters.web.identity import Caller, api_caller, container_of

router = APIRouter(prefix="/api/v1", tags=["incidents"])
CallerDep = Annotated[Caller, Depends(api_caller)]
Code = Annotated[StrictStr, Field(max_length=40, pattern=PRINTABLE)]
MAX_INDICATORS = 30


class InitialGradeIn(Strict):
    grade: Code = Field(description="One of the policy's quick grades (by default emergency or priority)")
    indicators: list[Code] = Field(
        default_factory=list,
        max_length=MAX_INDICATORS,
        description="National indicators heard (an unknown one is refused as indicators.N)",
    )
    reason: Annotated[StrictStr, Field(max_length=2000, pattern=r"^[^\x00]*$")] | None = Field(
        None, description="Why, in one line (required; the policy sets the most characters)"
    )


class InitialGradedOut(BaseModel):
    reference: str
    status: str
    grade: str | None
    graded_at: datetime | None
    initial_grade: InitialGradeOut


def initial_grade_out(record: dict[str, Any] | None) -> InitialGradeOut | None:
    return InitialGradeOut.model_validate(record) if record else None


@router.post("/incidents/{reference}/initial-grade", response_model=InitialGradedOut, responses=CHANGE)
def give_initial_grade(
    reference: Reference, body: InitialGradeIn, caller: CallerDep, request: Request
) -> InitialGradedOut:
    """Grade an incident at first contact so a unit can be sent at once; the full
    assessment must follow within the policy's time (else the supervisor is told).
    409 if the incident is already graded or is closed."""
    container = container_of(request)
    now = container.clock()
    record = container.initial_grades.give(
        caller.actor, reference, body.grade, body.indicators, body.reason, now
    )
    with container.uow() as uow:
        incident = uow.incidents.require(reference)
    return InitialGradedOut(
        reference=incident["reference"],
        status=incident["status"],
        grade=incident["grade"],
        graded_at=incident["graded_at"],
        initial_grade=InitialGradeOut.model_validate(record),
    )


@router.get("/incidents/{reference}/initial-grade", response_model=InitialGradeOut | None, responses=READ)
def read_initial_grade(reference: Reference, caller: CallerDep, request: Request) -> InitialGradeOut | None:
    """The initial grade: who gave it, why, when, and when the full assessment followed
    (null when the incident had none)."""
    return initial_grade_out(container_of(request).initial_grades.record(caller.actor, reference))
