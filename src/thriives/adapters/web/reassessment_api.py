"""The reassessment and appointment API: open tasks, completing one, appointment slots,
eligibility, booking and ending appointments (part of dispatch; shares its conventions)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import (
    AwareDatetime,
    BaseModel,
    Field,
    StrictInt,
    StrictStr,
    field_validator,
)

from thriives.adapters.web.dispatch_api import (
    CHANGE,
    PRINTABLE,
    READ,
    AppointmentOut,
    CallerDep,
    Code,
    Id,
    PathId,
    Reason,
    Reference,
    Strict,
    TaskOut,
    Text,
    in_utc,
    iso_text,
)
from thriives.adapters.web.identity import container_of
from thriives.adapters.web.problems import problem_responses
from thriives.domain.clocks import review_time
from thriives.domain.dispatch_policy import DispatchPolicy
from thriives.domain.reassessment import Completion

router = APIRouter(prefix="/api/v1", tags=["dispatch"])


class OpenTaskOut(TaskOut):
    reference: str
    grade: str | None
    opening_category: str


@router.get("/reassessments", response_model=list[OpenTaskOut], responses=problem_responses(401, 403))
def open_tasks(caller: CallerDep, request: Request) -> list[dict[str, Any]]:
    """Open reassessment tasks, oldest first."""
    return container_of(request).reassessments.open_tasks(caller.actor)


class TaskIncidentOut(BaseModel):
    reference: str
    status: str
    grade: str | None
    opening_category: str
    received_at: datetime
    latest_assessment: dict[str, Any] | None


class TaskViewOut(BaseModel):
    task: TaskOut
    incident: TaskIncidentOut


@router.get("/reassessments/{task_id}", response_model=TaskViewOut, responses=READ)
def view_task(task_id: PathId, caller: CallerDep, request: Request) -> dict[str, Any]:
    task, incident = container_of(request).reassessments.task(caller.actor, task_id)
    return {"task": task, "incident": incident}


class CompleteIn(Strict):
    contact_outcome: Code | None = Field(None, description="The outcome of trying to contact the victim")
    contact_note: Text | None = None
    safeguarding: list[Code] = Field(default_factory=list, max_length=20)
    safeguarding_note: Text | None = None
    review_in_minutes: Annotated[StrictInt, Field(ge=0, le=100_000)] | None = Field(
        None, description="Look again this many minutes from now"
    )
    review_at: AwareDatetime | None = Field(
        None, strict=False, description="Or look again at this time (ISO 8601 with zone)"
    )
    reassessed_version: Id | None = Field(None, description="The assessment version made for this task")

    _text = field_validator("review_at", mode="before")(iso_text)
    _utc = field_validator("review_at")(in_utc)

    def to_completion(self, now: datetime, policy: DispatchPolicy) -> Completion:
        review = None
        if self.review_in_minutes is not None or self.review_at is not None:
            field = "review_in_minutes" if self.review_at is None else "review_at"
            review = review_time(now, self.review_in_minutes, self.review_at, policy, field)
        return Completion(
            contact_outcome=self.contact_outcome,
            contact_note=self.contact_note,
            safeguarding=tuple(self.safeguarding),
            safeguarding_note=self.safeguarding_note,
            review_at=review,
            reassessed_version=self.reassessed_version,
        )


@router.post("/reassessments/{task_id}/complete", response_model=TaskOut, responses=CHANGE)
def complete(task_id: PathId, body: CompleteIn, caller: CallerDep, request: Request) -> dict[str, Any]:
    """Finish a task: contact outcome, THRIIVES re-run, safeguarding, and the next review."""
    container = container_of(request)
    service = container.reassessments
    now = container.clock()
    return service.complete(caller.actor, task_id, body.to_completion(now, service.policy), now)


# ---- appointment slots and appointments ----------------------------------------------------


class SlotOut(BaseModel):
    id: int
    district_code: str
    day: date = Field(description="The force's local day")
    shift: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    booked: int


@router.get("/appointment-slots", response_model=list[SlotOut], responses=problem_responses(401, 403, 422))
def slots(
    caller: CallerDep,
    request: Request,
    district: Annotated[str | None, Query(max_length=10, pattern=PRINTABLE)] = None,
    days: Annotated[int, Query(ge=1, le=62)] = 7,
) -> list[dict[str, Any]]:
    """Slots from now to ``days`` ahead, in one district or all."""
    container = container_of(request)
    return container.reassessments.slots(caller.actor, district, container.clock(), days)


class SlotIn(Strict):
    district: Annotated[StrictStr, Field(min_length=1, max_length=10, pattern=PRINTABLE)]
    day: date = Field(strict=False, description="The force's local day, YYYY-MM-DD")
    shift: Code
    capacity: Annotated[StrictInt, Field(ge=0, le=100_000)]

    _text = field_validator("day", mode="before")(iso_text)


@router.post("/appointment-slots", status_code=201, response_model=SlotOut, responses=CHANGE)
def open_slot(body: SlotIn, caller: CallerDep, request: Request) -> dict[str, Any]:
    """Open one district's appointment capacity for one shift of one local day."""
    container = container_of(request)
    return container.reassessments.open_slots(
        caller.actor, body.district, body.day, body.shift, body.capacity, container.clock()
    )


class EligibilityOut(BaseModel):
    allowed: bool
    reasons: list[str]
    domestic_abuse: bool


@router.get("/incidents/{reference}/appointment-eligibility", response_model=EligibilityOut, responses=READ)
def eligibility(reference: Reference, caller: CallerDep, request: Request) -> dict[str, Any]:
    """Whether the latest assessment supports offering an appointment, and why."""
    return container_of(request).reassessments.eligibility(caller.actor, reference)


class BookIn(Strict):
    slot_id: Id
    at: AwareDatetime = Field(strict=False, description="When, within the slot's shift (ISO 8601 with zone)")
    place: Text = Field(description="Where the victim chose to be seen")

    _text = field_validator("at", mode="before")(iso_text)
    _utc = field_validator("at")(in_utc)


class BookedOut(BaseModel):
    id: int
    slot_id: int
    at: datetime
    place: str
    status: str


@router.post(
    "/incidents/{reference}/appointments", status_code=201, response_model=BookedOut, responses=CHANGE
)
def book(reference: Reference, body: BookIn, caller: CallerDep, request: Request) -> dict[str, Any]:
    """Book a graded incident into a slot at the time and place the victim chose."""
    container = container_of(request)
    return container.reassessments.book(
        caller.actor, reference, body.slot_id, body.at, body.place, container.clock()
    )


class EndIn(Strict):
    outcome: Literal["kept", "missed", "cancelled"]
    note: Reason | None = Field(None, description="Needed when missed or cancelled")


@router.post("/appointments/{appointment_id}/end", response_model=AppointmentOut, responses=CHANGE)
def end_appointment(
    appointment_id: PathId, body: EndIn, caller: CallerDep, request: Request
) -> dict[str, Any]:
    """Kept, missed or cancelled; a missed or cancelled one opens a reassessment task."""
    container = container_of(request)
    return container.reassessments.end_appointment(
        caller.actor, appointment_id, body.outcome, body.note, container.clock()
    )
