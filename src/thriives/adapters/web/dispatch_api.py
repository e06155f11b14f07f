"""The dispatch API: the board, units, recommendations, assigning and moving units, cut-off
calls and attendance timing. Reassessment tasks and appointments are in ``reassessment_api``."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Request
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
)

from thriives.adapters.web.api import IncidentOut
from thriives.adapters.web.identity import Caller, api_caller, container_of
from thriives.adapters.web.problems import problem_responses
from thriives.domain import incidents as rules
from thriives.domain.dispatch import UnitStatus

router = APIRouter(prefix="/api/v1", tags=["dispatch"])
CallerDep = Annotated[Caller, Depends(api_caller)]
# PostgreSQL cannot store or even compare a NUL, so no text carries one, and no code,
# reference or call sign any control character: refused here, never a server error.
NO_NUL = r"^[^\x00]*$"
PRINTABLE = r"^[^\x00-\x1f\x7f]*$"
Code = Annotated[StrictStr, Field(min_length=1, max_length=40, pattern=PRINTABLE)]
# Generous on purpose: the domain refuses a long text with its own limit, naming the field.
Text = Annotated[StrictStr, Field(max_length=10_000, pattern=NO_NUL)]
Reason = Annotated[StrictStr, Field(max_length=rules.MAX_REASON, pattern=NO_NUL)]
Reference = Annotated[str, Path(max_length=40, pattern=PRINTABLE)]
CallSign = Annotated[str, Path(max_length=20, pattern=PRINTABLE)]
CallSignIn = Annotated[StrictStr, Field(min_length=1, max_length=20, pattern=PRINTABLE)]
PathId = Annotated[int, Path(ge=1, le=2**63 - 1)]  # a BIGINT on either store
Id = Annotated[StrictInt, Field(ge=1, le=2**63 - 1)]
READ = problem_responses(401, 403, 404, 422)
CHANGE = problem_responses(400, 401, 403, 404, 409, 422)


class Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


def iso_text(value: Any) -> Any:
    """Times and days come as ISO 8601 text only (strict mode would refuse even that)."""
    if value is not None and not isinstance(value, str):
        raise ValueError("must be an ISO 8601 string")
    return value


def in_utc(value: datetime | None) -> datetime | None:
    """The time in UTC; one that cannot be (year 1 or 9999 at the edge) is refused here."""
    try:
        return value.astimezone(UTC) if value is not None else None
    except OverflowError:
        raise ValueError("is out of range") from None


# ---- the board and units -------------------------------------------------------------------


class BoardUnitOut(BaseModel):
    call_sign: str
    status: str
    unit_type: str
    type_label: str


class BoardBackupOut(BaseModel):
    id: int
    units: int
    skills: list[str]
    skill_labels: list[str]
    reason: str
    requested_at: datetime
    requested_by: str
    sent: list[str]
    still_wanted: int


class BoardEntryOut(BaseModel):
    reference: str
    status: str
    grade: str | None
    risk: str | None = Field(description="Highest THRIIVES level of the latest assessment")
    category: str
    received_at: datetime
    area: str | None
    call_sign: str | None = Field(description="The first unit holding it (by call sign), if any")
    unit_status: str | None
    units: list[BoardUnitOut] = Field(description="Every unit holding it, each with its status")
    backup: BoardBackupOut | None = Field(description="An open backup request: it needs more units")
    target_minutes: int | None
    due_at: datetime | None
    at_risk_at: datetime | None
    clock: Literal["running", "at_risk", "breached", "met", "missed"] | None
    seconds_left: int | None
    task: int | None = Field(description="The open reassessment task, if any")
    channel: str | None = None
    age_seconds: int | None = Field(None, description="Seconds since the call was received")
    cues: list[str] = Field(default=[], description="Risk cues of an ungraded call, in words")
    grading: Literal["running", "late"] | None = Field(None, description="An ungraded call's grading clock")
    grading_due_at: datetime | None = None
    grading_seconds_left: int | None = None


class BoardFollowUpOut(BaseModel):
    id: int
    reference: str
    grade: str
    opened_at: datetime
    due_at: datetime
    seconds_left: int
    overdue: bool
    escalations: int


class BoardTaskOut(BaseModel):
    id: int
    reference: str
    grade: str | None
    mandatory: bool
    why: str
    triggers: list[str]
    opened_at: datetime
    escalations: int
    overdue: bool


class UnitOut(BaseModel):
    call_sign: str
    unit_type: str
    type_label: str
    station: str
    skills: list[str]
    skill_labels: list[str]
    status: str
    incident: str | None = Field(description="Reference of the incident it holds")
    position_at: datetime | None = Field(description="When its last known position was reported")


class BoardOut(BaseModel):
    queue: list[BoardEntryOut] = Field(description="Waiting for a unit: grade, then risk, then age")
    held: list[BoardEntryOut] = Field(description="Held by a unit")
    tasks: list[BoardTaskOut]
    units: list[UnitOut]
    follow_ups: list[BoardFollowUpOut] = Field(default=[], description="Open follow-ups, soonest due first")
    ungraded: int = Field(0, description="Live calls not yet graded")
    grading_late: int = Field(0, description="Of those, past their grading target")
    breached: int
    at_risk: int
    overdue_deadlines: int = Field(description="Deadlines past due and not fired: is the worker running?")
    failed_deadlines: int
    as_of: datetime


@router.get("/board", response_model=BoardOut, responses=problem_responses(401, 403))
def board(caller: CallerDep, request: Request) -> dict[str, Any]:
    """The risk-ordered queue with each attendance clock, held incidents, open tasks, units."""
    container = container_of(request)
    return container.dispatch.board(caller.actor, container.clock())


@router.get("/units", response_model=list[UnitOut], responses=problem_responses(401, 403))
def list_units(caller: CallerDep, request: Request) -> list[dict[str, Any]]:
    """Every unit with its status and the incident it holds."""
    container = container_of(request)
    units: list[dict[str, Any]] = container.dispatch.board(caller.actor, container.clock())["units"]
    return units


class MoveIn(Strict):
    status: Literal["en_route", "at_scene", "available", "unavailable"]


class UnitStateOut(BaseModel):
    call_sign: str
    unit_type: str
    station_code: str
    skills: list[str]
    status: str


@router.post("/units/{call_sign}/status", response_model=UnitStateOut, responses=CHANGE)
def move_unit(call_sign: CallSign, body: MoveIn, caller: CallerDep, request: Request) -> dict[str, Any]:
    """A unit's own moves, in order: assigned, en route, at scene; available and unavailable."""
    container = container_of(request)
    return container.dispatch.move(caller.actor, call_sign, UnitStatus(body.status), container.clock())


class DispatchedOut(IncidentOut):
    area: str | None
    dispatched_at: datetime | None
    arrived_at: datetime | None


class TakenAwayOut(DispatchedOut):
    task: int | None = Field(
        description="The reassessment task opened (or added to); none while other units still hold it"
    )


class TakeAwayIn(Strict):
    reason: Reason | None = None
    unavailable: StrictBool = Field(False, description="The unit becomes unavailable rather than available")


@router.post("/units/{call_sign}/take-away", response_model=TakenAwayOut, responses=CHANGE)
def take_away(call_sign: CallSign, body: TakeAwayIn, caller: CallerDep, request: Request) -> dict[str, Any]:
    """Free a committed unit with a reason; its incident goes back on the queue with a task."""
    container = container_of(request)
    return container.dispatch.take_away(
        caller.actor, call_sign, body.reason, container.clock(), body.unavailable
    )


class HandOverIn(Strict):
    to_call_sign: CallSignIn
    reason: Reason | None = None


@router.post("/units/{call_sign}/hand-over", response_model=DispatchedOut, responses=CHANGE)
def hand_over(call_sign: CallSign, body: HandOverIn, caller: CallerDep, request: Request) -> dict[str, Any]:
    """Pass the unit's incident to another available unit in one step, with a reason."""
    container = container_of(request)
    return container.dispatch.hand_over(
        caller.actor, call_sign, body.to_call_sign, body.reason, container.clock()
    )


# ---- an incident's dispatch ----------------------------------------------------------------


class NeedsOut(BaseModel):
    required: list[str]
    wanted: list[str]
    required_words: list[str]
    wanted_words: list[str]
    because: list[str] = Field(description="The policy needs (and 'backup') that asked for the skills")
    backup: BoardBackupOut | None
    area: str
    area_why: str
    located: bool


class RecommendationOut(BaseModel):
    call_sign: str
    distance_km: float | None
    minutes: float | None = Field(description="Estimated travel time at the policy's speed")
    has: list[str]
    lacks: list[str]
    reasons: list[str]
    unit_type: str
    type_label: str
    skill_labels: list[str]
    measured_from: Literal["last_position", "station", "unknown"]
    position_at: datetime | None = Field(description="When the position measured from was reported")


class RecommendationsOut(BaseModel):
    needs: NeedsOut
    units: list[RecommendationOut] = Field(description="Best first; advisory only")


@router.get("/incidents/{reference}/recommendations", response_model=RecommendationsOut, responses=READ)
def recommendations(reference: Reference, caller: CallerDep, request: Request) -> dict[str, Any]:
    """Available units for a graded incident, by skill and then distance (from each unit's
    last known position while recent, else its station), each with why."""
    container = container_of(request)
    needs, found = container.dispatch.recommendations(caller.actor, reference, container.clock())
    return {"needs": needs, "units": [asdict(r) for r in found]}


class AssignIn(Strict):
    call_sign: CallSignIn
    reason: Reason | None = Field(None, description="Needed when not sending the first recommendation")


@router.post("/incidents/{reference}/assign", response_model=DispatchedOut, responses=CHANGE)
def assign(reference: Reference, body: AssignIn, caller: CallerDep, request: Request) -> dict[str, Any]:
    """Send an available unit to a graded incident, or one more to an incident units hold."""
    container = container_of(request)
    return container.dispatch.assign(caller.actor, reference, body.call_sign, body.reason, container.clock())


class TaskRefOut(BaseModel):
    task: int


@router.post("/incidents/{reference}/cut-off", response_model=TaskRefOut, responses=CHANGE)
def cut_off(reference: Reference, caller: CallerDep, request: Request) -> dict[str, Any]:
    """The call was cut off: a reassessment task opens at once (or the open one is added to)."""
    container = container_of(request)
    return {"task": container.dispatch.cut_off(caller.actor, reference, container.clock())}


class TimesOut(BaseModel):
    received_at: datetime
    graded_at: datetime | None
    dispatched_at: datetime | None
    arrived_at: datetime | None
    call_to_grade_s: int | None
    call_to_dispatch_s: int | None
    call_to_arrival_s: int | None
    dispatch_to_arrival_s: int | None


class ClockOut(BaseModel):
    grade: str
    area: str
    target_minutes: int
    started_at: datetime
    at_risk_at: datetime
    due_at: datetime


class AssignmentOut(BaseModel):
    id: int
    call_sign: str
    assigned_at: datetime
    assigned_by: str
    recommended: list[str]
    followed: bool
    reason: str | None
    en_route_at: datetime | None
    arrived_at: datetime | None
    ended_at: datetime | None
    end_reason: str | None


class TaskOut(BaseModel):
    id: int
    status: str
    triggers: list[dict[str, Any]]
    mandatory: bool
    mandatory_why: str
    opened_at: datetime
    escalations: int
    last_escalated_at: datetime | None
    done_at: datetime | None
    done_by: str | None
    contact_outcome: str | None
    contact_note: str | None
    assessment_version: int | None
    safeguarding: list[str] | None
    safeguarding_note: str | None
    review_at: datetime | None


class AppointmentOut(BaseModel):
    id: int
    slot_id: int
    at: datetime
    place: str
    status: str
    reasons: list[str]
    booked_by: str
    booked_at: datetime
    ended_at: datetime | None
    end_note: str | None


class DeadlineOut(BaseModel):
    id: int
    kind: str
    subject_id: int | None
    due_at: datetime
    created_at: datetime


class BackupRecordOut(BoardBackupOut):
    status: str
    ended_at: datetime | None
    ended_by: str | None
    end_reason: str | None


class HeldUnitOut(BaseModel):
    call_sign: str
    status: str
    unit_type: str
    type_label: str
    skill_labels: list[str]
    assignment: AssignmentOut | None = Field(description="Its current assignment to this incident")


class TimingOut(BaseModel):
    times: TimesOut
    clock: ClockOut | None
    assignments: list[AssignmentOut]
    tasks: list[TaskOut]
    appointments: list[AppointmentOut]
    deadlines: list[DeadlineOut] = Field(description="Pending deadlines, soonest first")
    backups: list[BackupRecordOut] = Field(description="Backup requests, oldest first")
    units: list[HeldUnitOut] = Field(description="The units holding the incident now, each with its status")


@router.get("/incidents/{reference}/dispatch", response_model=TimingOut, responses=READ)
def timing(reference: Reference, caller: CallerDep, request: Request) -> dict[str, Any]:
    """Times from the call and from dispatch, the clock, and every assignment, task and appointment."""
    container = container_of(request)
    return container.dispatch.timing(caller.actor, reference, container.clock())


# ---- reassessment tasks --------------------------------------------------------------------
