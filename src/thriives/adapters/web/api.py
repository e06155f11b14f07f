"""The JSON API under /api/v1. Handlers are thin: parse, call one service, shape the answer."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictFloat, StrictStr, field_validator

from thriives.adapters.web.identity import Caller, api_caller, container_of
from thriives.adapters.web.problems import problem_responses
from thriives.domain import incidents as rules
from thriives.domain.incidents import Channel, Contact, Status
from thriives.services.incidents import request_fingerprint

router = APIRouter(prefix="/api/v1", tags=["incidents"])
CallerDep = Annotated[Caller, Depends(api_caller)]
Code = Annotated[StrictStr, Field(min_length=1, max_length=40)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ContactIn(Strict):
    channel: Literal["999", "101", "online", "other"]
    received_at: AwareDatetime | None = Field(
        None, description="When the contact was received (ISO 8601 with zone); default: now"
    )
    opening_category: Code
    qualifiers: list[Code] = Field(default_factory=list, max_length=rules.MAX_QUALIFIERS)
    asb_qualifier: Literal["personal", "nuisance", "environmental"] | None = None
    caller_name: Annotated[StrictStr, Field(max_length=rules.MAX_NAME)] | None = None
    caller_phone: Annotated[StrictStr, Field(max_length=rules.MAX_PHONE)] | None = None
    location_text: Annotated[StrictStr, Field(max_length=rules.MAX_LOCATION)] | None = None
    postcode: Annotated[StrictStr, Field(max_length=10)] | None = None
    latitude: StrictFloat | None = None
    longitude: StrictFloat | None = None
    account: Annotated[StrictStr, Field(max_length=rules.MAX_ACCOUNT)] = Field(
        "", description="The caller's account, verbatim"
    )

    @field_validator("received_at", mode="before")
    @classmethod
    def _iso_text_only(cls, value: Any) -> Any:
        if value is not None and not isinstance(value, str):
            raise ValueError("must be an ISO 8601 date-time string with a time zone")
        return value

    def to_contact(self, now: datetime) -> Contact:
        return Contact(
            channel=Channel(self.channel),
            received_at=self.received_at or now,
            opening_category=self.opening_category,
            qualifiers=tuple(self.qualifiers),
            asb_qualifier=self.asb_qualifier,
            caller_name=self.caller_name,
            caller_phone=self.caller_phone,
            location_text=self.location_text,
            postcode=self.postcode,
            latitude=self.latitude,
            longitude=self.longitude,
            account=self.account,
        )


class IncidentOut(BaseModel):
    reference: str
    status: str
    channel: str
    received_at: datetime
    opening_category: str
    qualifiers: list[str]
    asb_qualifier: str | None
    caller_name: str | None
    caller_phone: str | None
    location_text: str | None
    postcode: str | None
    latitude: float | None
    longitude: float | None
    account: str
    closing_category: str | None
    closure_reason: str | None
    closure_note: str | None
    grade: str | None
    graded_at: datetime | None
    dash_exemption: str | None
    policy_version: str
    created_at: datetime
    updated_at: datetime
    version: int


class QueueItem(BaseModel):
    reference: str
    status: str
    channel: str
    received_at: datetime
    opening_category: str
    qualifiers: list[str]
    location_text: str | None
    postcode: str | None
    grade: str | None


class EventOut(BaseModel):
    id: int
    at: datetime
    actor: str
    kind: str
    data: dict[str, Any]


class InitialGradeOut(BaseModel):
    grade: str
    indicators: list[str]
    reason: str
    given_by: str
    given_at: datetime
    assess_by: datetime = Field(description="When the full assessment is due")
    assessed_at: datetime | None = Field(description="When the full assessment followed, if it has")
    assessment_version: int | None
    escalated_at: datetime | None = Field(description="When the supervisor was told it was late, if so")


class IncidentWithTimeline(IncidentOut):
    timeline: list[EventOut]
    initial_grade: InitialGradeOut | None = Field(
        None,
        description="The quick grade given at first contact, if any, and when the full assessment followed",
    )


class StatusIn(Strict):
    status: Literal["open", "graded", "dispatched", "at_scene"] = Field(
        description="Only reopening (open, with a reason) is done here; graded is refused (grade "
        "through the assessment), dispatched and at_scene too (the dispatch endpoints)"
    )
    reason: Annotated[StrictStr, Field(max_length=rules.MAX_REASON)] | None = None


class CloseIn(Strict):
    closing_category: Code
    closure_reason: Code
    note: Annotated[StrictStr, Field(min_length=1, max_length=rules.MAX_REASON)] = Field(
        description="What was done and why it may close (required)"
    )
    dash_exemption: Annotated[StrictStr, Field(max_length=rules.MAX_REASON)] | None = Field(
        None, description="Why a domestic-abuse incident closes without a DASH record"
    )


class CategorisationIn(Strict):
    opening_category: Code
    qualifiers: list[Code] = Field(default_factory=list, max_length=rules.MAX_QUALIFIERS)
    asb_qualifier: Literal["personal", "nuisance", "environmental"] | None = None
    reason: Annotated[StrictStr, Field(min_length=1, max_length=rules.MAX_REASON)]


class Me(BaseModel):
    username: str
    display_name: str
    role: str


# No NUL or control characters: PostgreSQL cannot compare a NUL byte.
Reference = Annotated[str, Field(max_length=40, pattern=r"^[^\x00-\x1f\x7f]*$")]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="A client-chosen key; a retry with the same key and body returns the same incident",
    ),
]


def _out(incident: dict[str, Any]) -> IncidentOut:
    return IncidentOut.model_validate(incident, from_attributes=False)


@router.post(
    "/incidents",
    status_code=201,
    response_model=IncidentOut,
    responses={200: {"description": "A retry: the incident this key already opened", "model": IncidentOut}}
    | problem_responses(400, 401, 403, 409, 422),
)
def open_incident(
    body: ContactIn,
    caller: CallerDep,
    request: Request,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> IncidentOut:
    container = container_of(request)
    now = container.clock()
    opened = container.incidents.open(
        caller.actor,
        body.to_contact(now),
        now,
        idempotency_key,
        request_fingerprint(body.model_dump(mode="json")),
    )
    if not opened.created:
        response.status_code = 200
    response.headers["Location"] = f"/api/v1/incidents/{opened.incident['reference']}"
    return _out(opened.incident)


@router.get(
    "/incidents",
    response_model=list[QueueItem],
    responses={
        200: {
            "description": "One page of open incidents, oldest first",
            "headers": {
                "X-Total-Count": {"description": "Open incidents in all", "schema": {"type": "integer"}},
                "Link": {
                    "description": 'The next page, as rel="next", when there is one',
                    "schema": {"type": "string"},
                },
            },
        }
    }
    | problem_responses(401, 403, 422),
)
def live_incidents(
    caller: CallerDep,
    request: Request,
    response: Response,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="Rows to skip (paging)")] = 0,
) -> list[QueueItem]:
    """Open incidents, oldest first, a page at a time: ``X-Total-Count`` says how many are
    open in all, and ``Link: <...>; rel="next"`` gives the next page while there is one."""
    container = container_of(request)
    rows, total = container.incidents.live_page(caller.actor, limit, offset, now=container.clock())
    response.headers["X-Total-Count"] = str(total)
    if offset + len(rows) < total:
        response.headers["Link"] = f'</api/v1/incidents?limit={limit}&offset={offset + limit}>; rel="next"'
    return [QueueItem.model_validate(row) for row in rows]


@router.get(
    "/incidents/{reference}",
    response_model=IncidentWithTimeline,
    responses=problem_responses(401, 403, 404, 422),
)
def view_incident(reference: Reference, caller: CallerDep, request: Request) -> IncidentWithTimeline:
    container = container_of(request)
    incident, timeline = container.incidents.view(caller.actor, reference, container.clock())
    initial = container.initial_grades.record_of(incident["id"])
    return IncidentWithTimeline.model_validate(incident | {"timeline": timeline, "initial_grade": initial})


@router.post(
    "/incidents/{reference}/status",
    response_model=IncidentOut,
    responses=problem_responses(400, 401, 403, 404, 409, 422),
)
def change_status(reference: Reference, body: StatusIn, caller: CallerDep, request: Request) -> IncidentOut:
    container = container_of(request)
    incident = container.incidents.change_status(
        caller.actor, reference, Status(body.status), body.reason, container.clock()
    )
    return _out(incident)


@router.post(
    "/incidents/{reference}/close",
    response_model=IncidentOut,
    description="Close with a closing category, reason and note. Refused (422, naming `status`, "
    "with every reason) while a review, a reassessment or anything else needs attention first.",
    responses=problem_responses(400, 401, 403, 404, 409, 422),
)
def close_incident(reference: Reference, body: CloseIn, caller: CallerDep, request: Request) -> IncidentOut:
    container = container_of(request)
    incident = container.incidents.close(
        caller.actor,
        reference,
        body.closing_category,
        body.closure_reason,
        body.note,
        container.clock(),
        body.dash_exemption,
    )
    return _out(incident)


@router.post(
    "/incidents/{reference}/categorisation",
    response_model=IncidentOut,
    responses=problem_responses(400, 401, 403, 404, 409, 422),
)
def recategorise(
    reference: Reference, body: CategorisationIn, caller: CallerDep, request: Request
) -> IncidentOut:
    container = container_of(request)
    incident = container.incidents.recategorise(
        caller.actor,
        reference,
        body.opening_category,
        tuple(body.qualifiers),
        body.asb_qualifier,
        body.reason,
        container.clock(),
    )
    return _out(incident)


@router.get("/categories", responses=problem_responses(401))
def categories(caller: CallerDep, request: Request) -> dict[str, Any]:
    policy = container_of(request).policy
    return {
        "version": policy.version,
        "categories": [
            {"code": c.code, "label": c.label, "chapter": c.chapter} for c in policy.categories.values()
        ],
        "qualifiers": dict(policy.qualifiers),
        "closure_reasons": dict(policy.closure_reasons),
    }


@router.get("/me", response_model=Me, responses=problem_responses(401))
def me(caller: CallerDep) -> Me:
    actor = caller.actor
    return Me(username=actor.username, display_name=actor.display_name, role=actor.role.value)
