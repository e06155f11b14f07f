"""The JSON API of linked incidents, incident search and the incident log.

Included before the incidents router: ``/incidents/search`` must not be read as an
incident whose reference is "search".
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from thriives.adapters.web.api import Reference
from thriives.adapters.web.identity import Caller, api_caller, container_of
from thriives.adapters.web.problems import problem_responses
from thriives.domain.incident_log import MAX_LOG_TEXT
from thriives.domain.incident_search import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, MAX_TEXT
from thriives.domain.incidents import MAX_REASON

router = APIRouter(prefix="/api/v1", tags=["linked incidents, search and log"])
CallerDep = Annotated[Caller, Depends(api_caller)]
SearchText = Annotated[str | None, Query(max_length=MAX_TEXT)]
PRINTABLE = r"^[^\x00-\x1f\x7f]*$"
NO_NUL = r"^[^\x00]*$"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CandidateOut(BaseModel):
    reference: str
    status: str
    live: bool
    received_at: datetime
    received: str
    category: str
    grade: str | None
    caller_name: str | None
    location_text: str | None
    postcode: str | None
    reasons: list[str] = Field(description="Why it may be the same event, in words")
    duplicate_of: str | None


class CandidatesOut(BaseModel):
    reference: str
    status: str
    candidates: list[CandidateOut]


class LinkIn(Strict):
    other: Annotated[
        StrictStr,
        Field(min_length=1, max_length=40, pattern=PRINTABLE, description="The other incident's reference"),
    ]
    relation: Literal["duplicate", "related", "separate"] = Field(
        description="duplicate: this incident is the same event as the other and is closed as its "
        "duplicate; related: both stay open, each shows the other; separate: not the same, "
        "not offered again"
    )
    reason: Annotated[StrictStr, Field(max_length=MAX_REASON, pattern=NO_NUL)] | None = None


class LinkOut(BaseModel):
    id: int
    reference: str
    other: str
    relation: str
    reason: str | None
    created_by: str
    created_at: datetime
    closed: bool = Field(description="True when this incident was closed as a duplicate")


class DuplicateCall(BaseModel):
    caller_name: str | None
    caller_phone: str | None
    received_at: datetime
    channel: str
    account: str
    location_text: str | None
    postcode: str | None


class LinkView(BaseModel):
    other: str
    other_status: str
    relation: str = Field(description="duplicate_of, has_duplicate, related or separate, as seen from here")
    reason: str | None
    created_by: str
    created_at: datetime
    caller: DuplicateCall | None = Field(description="For a duplicate call recorded here: its caller")


class LinksOut(BaseModel):
    reference: str
    status: str
    duplicate_of: str | None
    links: list[LinkView]


class SearchRow(BaseModel):
    reference: str
    status: str
    received_at: datetime
    opening_category: str
    closing_category: str | None
    grade: str | None
    caller_name: str | None
    caller_phone: str | None
    location_text: str | None
    postcode: str | None
    latitude: float | None
    longitude: float | None


class SearchOut(BaseModel):
    criteria: dict[str, str]
    total: int
    page: int
    page_size: int
    pages: int
    results: list[SearchRow]


class LogIn(Strict):
    text: Annotated[StrictStr, Field(max_length=MAX_LOG_TEXT + 100)]


class LogEntry(BaseModel):
    id: int
    text: str
    author: str
    author_role: str
    at: datetime
    after_closing: bool


@router.get(
    "/incidents/search",
    response_model=SearchOut,
    responses=problem_responses(401, 403, 422),
)
def search_incidents(
    caller: CallerDep,
    request: Request,
    reference: SearchText = None,
    phone: SearchText = None,
    address: SearchText = None,
    postcode: SearchText = None,
    person: Annotated[
        str | None, Query(max_length=MAX_TEXT, description="Caller's name, or part of it")
    ] = None,
    date_from: Annotated[
        str | None, Query(max_length=10, description="First day (YYYY-MM-DD, force time)")
    ] = None,
    date_to: Annotated[
        str | None, Query(max_length=10, description="Last day (YYYY-MM-DD, force time)")
    ] = None,
    category: SearchText = None,
    grade: SearchText = None,
    status: SearchText = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
) -> SearchOut:
    """Incidents, live or past, meeting every criterion given, newest first, paged."""
    container = container_of(request)
    raw = {
        "reference": reference,
        "phone": phone,
        "address": address,
        "postcode": postcode,
        "person": person,
        "date_from": date_from,
        "date_to": date_to,
        "category": category,
        "grade": grade,
        "status": status,
    }
    found = container.incident_search.search(caller.actor, raw, container.clock(), page, page_size)
    return SearchOut.model_validate(found)


@router.get(
    "/incidents/{reference}/possible-duplicates",
    response_model=CandidatesOut,
    responses=problem_responses(401, 403, 404, 422),
)
def possible_duplicates(reference: Reference, caller: CallerDep, request: Request) -> CandidatesOut:
    """Live and recent incidents that may be the same event, each with the reasons."""
    container = container_of(request)
    found = container.links.possible_duplicates(caller.actor, reference, container.clock())
    return CandidatesOut.model_validate(found)


@router.get(
    "/incidents/{reference}/links",
    response_model=LinksOut,
    responses=problem_responses(401, 403, 404, 422),
)
def links_of(reference: Reference, caller: CallerDep, request: Request) -> LinksOut:
    """The incidents linked to this one, and the callers of duplicate calls recorded on it."""
    container = container_of(request)
    return LinksOut.model_validate(container.links.links_of(caller.actor, reference, container.clock()))


@router.post(
    "/incidents/{reference}/links",
    status_code=201,
    response_model=LinkOut,
    responses=problem_responses(400, 401, 403, 404, 409, 422),
)
def link(reference: Reference, body: LinkIn, caller: CallerDep, request: Request) -> LinkOut:
    """Link this incident to another: its duplicate (this one is closed), related, or separate."""
    container = container_of(request)
    made: dict[str, Any] = container.links.link(
        caller.actor, reference, body.other, body.relation, body.reason, container.clock()
    )
    return LinkOut.model_validate(made)


@router.get(
    "/incidents/{reference}/log",
    response_model=list[LogEntry],
    responses=problem_responses(401, 403, 404, 422),
)
def read_log(reference: Reference, caller: CallerDep, request: Request) -> list[LogEntry]:
    """The incident's log, oldest first."""
    container = container_of(request)
    rows = container.incident_log.entries(caller.actor, reference, container.clock())
    return [LogEntry.model_validate(row) for row in rows]


@router.post(
    "/incidents/{reference}/log",
    status_code=201,
    response_model=LogEntry,
    responses=problem_responses(400, 401, 403, 404, 409, 422),
)
def add_to_log(reference: Reference, body: LogIn, caller: CallerDep, request: Request) -> LogEntry:
    """Add an entry to the incident's log (append-only; allowed on a closed incident too)."""
    container = container_of(request)
    entry = container.incident_log.add(caller.actor, reference, body.text, container.clock())
    return LogEntry.model_validate(entry)
