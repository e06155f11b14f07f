"""The call-time intelligence API: search people, attach one to an incident, open a
restricted marker, and read back what was searched and attached on an incident."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from thriives.adapters.web.identity import Caller, api_caller, container_of
from thriives.adapters.web.problems import problem_responses
from thriives.domain.intel import LinkRole
from thriives.domain.matching import Query
from thriives.services.intel import SearchResult

router = APIRouter(prefix="/api/v1", tags=["intelligence"])
CallerDep = Annotated[Caller, Depends(api_caller)]
# Generous on purpose: the domain refuses a long term with its own limit, naming the field
# ("name: is 10000 characters long; the most is 200"). Beyond this the schema refuses it.
Term = Annotated[StrictStr, Field(max_length=10_000)]
# No NUL or control characters: PostgreSQL cannot compare a NUL byte.
Reference = Annotated[str, Field(max_length=40, pattern=r"^[^\x00-\x1f\x7f]*$")]
Id = Annotated[StrictInt, Field(ge=1, le=2**63 - 1)]  # a BIGINT on either store
ERRORS = problem_responses(400, 401, 403, 404, 422)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SearchIn(Strict):
    reference: Annotated[StrictStr, Field(max_length=40)] | None = Field(
        None, description="The incident the call is on; the search is recorded there"
    )
    justification: Term | None = Field(
        None, description="Why, when there is no incident (10 characters or more)"
    )
    name: Term | None = Field(None, description='"Jon Smyth" or "Smyth, Jon"; titles are ignored')
    date_of_birth: Term | None = Field(None, description="YYYY-MM-DD or DD/MM/YYYY")
    phone: Term | None = None
    address: Term | None = None
    postcode: Term | None = None
    registration: Term | None = None

    def terms(self) -> dict[str, str | None]:
        return self.model_dump(exclude={"reference", "justification"})


class AddressOut(BaseModel):
    id: int
    text: str
    postcode: str | None


class PersonOut(BaseModel):
    id: int
    forenames: str
    surname: str
    date_of_birth: date | None
    gender: str | None
    aliases: list[str]
    addresses: list[AddressOut]
    phones: list[str]
    vehicles: list[str]
    address_withheld: bool = Field(
        False,
        description="An address is protected: open its marker to see it (told only to roles that may "
        "see restricted markers; for others a protected address is simply not there)",
    )


class FieldMatchOut(BaseModel):
    field: str
    how: str
    points: float
    detail: str


class MarkerOut(BaseModel):
    id: int
    code: str
    label: str
    restricted: bool
    source: str
    valid_from: date | None
    valid_to: date | None
    detail: str | None = Field(description="None for a restricted marker until it is opened with a reason")


class HistoryLineOut(BaseModel):
    reference: str
    occurred_at: datetime
    category: str | None
    grade: str | None
    dash_risk: str | None
    role: str


class HistoryOut(BaseModel):
    incidents: list[HistoryLineOut]
    count: int
    as_victim: int
    as_caller: int
    repeat_victim: bool
    repeat_caller: bool
    last_dash_risk: str | None


class MatchOut(BaseModel):
    person: PersonOut
    score: float
    band: Literal["strong", "possible", "weak"]
    explanation: list[FieldMatchOut] = Field(description="How each term given agreed with the record")
    markers: list[MarkerOut]
    history: HistoryOut


class NameOut(BaseModel):
    forenames: list[str]
    surname: str


class QueryOut(BaseModel):
    """The search as it was read: what was actually looked for."""

    name: NameOut | None
    date_of_birth: date | None
    phone: str | None
    address: str | None
    registration: str | None


class SearchOut(BaseModel):
    search_id: int
    query: QueryOut
    matches: list[MatchOut]
    considered: int = Field(description="How many people shared a search key with the query")
    capped: bool = Field(description="A key matched more people than are read: add a term to narrow it")
    likely: int | None = Field(
        description="The person id to put first as likely the person: something besides the name "
        "agrees and they are clearly ahead of the next; none when it is not clear"
    )


def query_out(query: Query) -> dict[str, Any]:
    return {
        "name": asdict(query.name) if query.name else None,
        "date_of_birth": query.dob,
        "phone": query.phone,
        "address": query.address.line.strip() if query.address else None,
        "registration": query.registration,
    }


def search_out(result: SearchResult) -> dict[str, Any]:
    return {
        "search_id": result.search_id,
        "query": query_out(result.query),
        "matches": [
            {
                "person": found["person"],
                "score": found["match"].score,
                "band": found["match"].band,
                "explanation": [asdict(f) for f in found["match"].fields],
                "markers": [asdict(m) for m in found["markers"]],
                "history": asdict(found["history"]),
            }
            for found in result.matches
        ],
        "considered": result.considered,
        "capped": result.capped,
        "likely": result.likely,
    }


@router.post("/intel/searches", status_code=201, response_model=SearchOut, responses=ERRORS)
def search(body: SearchIn, caller: CallerDep, request: Request) -> dict[str, Any]:
    """Find the people a caller may mean, best first, each with why it matched, markers and
    12-month history. The search is recorded (on the incident, if given) and audited."""
    container = container_of(request)
    result = container.intel.search(
        caller.actor, body.terms(), container.clock(), body.reference, body.justification
    )
    return search_out(result)


class AttachIn(Strict):
    person_id: Id
    role: LinkRole
    search_id: Id = Field(description="The search on this incident that found them (required)")


class AttachedOut(BaseModel):
    person_id: int
    role: str
    added: bool


ALREADY: dict[int | str, dict[str, Any]] = {
    200: {"model": AttachedOut, "description": "Already attached in that role"}
}


@router.post(
    "/incidents/{reference}/people",
    status_code=201,
    response_model=AttachedOut,
    responses=ALREADY | ERRORS,
)
def attach(
    reference: Reference, body: AttachIn, caller: CallerDep, request: Request, response: Response
) -> dict[str, Any]:
    """Attach a person to the incident in a role; their markers then count in the assessment."""
    container = container_of(request)
    attached = container.intel.attach(
        caller.actor, reference, body.person_id, body.role.value, container.clock(), body.search_id
    )
    if not attached["added"]:
        response.status_code = 200
    return attached


class OpenIn(Strict):
    justification: Term | None = Field(None, description="Why you need to see it (10 characters or more)")


class OpenedOut(BaseModel):
    id: int
    kind: str
    label: str
    origin: str
    valid_from: date | None
    valid_to: date | None
    detail: str | None
    person_id: int | None
    address_id: int | None
    addresses: list[AddressOut] | None = Field(None, description="Given with a protected-address marker")


@router.post("/intel/markers/{marker_id}/open", response_model=OpenedOut, responses=ERRORS)
def open_marker(
    marker_id: Annotated[int, Path(ge=1, le=2**63 - 1)], body: OpenIn, caller: CallerDep, request: Request
) -> dict[str, Any]:
    """A restricted marker in full: for supervisors and public protection, with a reason, audited."""
    container = container_of(request)
    return container.intel.open_marker(caller.actor, marker_id, body.justification, container.clock())


class SearchRecordOut(BaseModel):
    id: int
    actor: str
    searched_at: datetime
    terms: dict[str, Any]
    result_count: int
    results: list[dict[str, Any]]
    justification: str


class LinkOut(BaseModel):
    person_id: int
    role: str
    linked_by: str
    linked_at: datetime
    forenames: str
    surname: str
    date_of_birth: date | None
    search_id: int | None


class RecordOut(BaseModel):
    searches: list[SearchRecordOut]
    links: list[LinkOut]


@router.get(
    "/incidents/{reference}/intel", response_model=RecordOut, responses=problem_responses(401, 403, 404, 422)
)
def record(reference: Reference, caller: CallerDep, request: Request) -> dict[str, Any]:
    """What was searched on the incident, when and by whom, and who was attached."""
    container = container_of(request)
    return container.intel.record(caller.actor, reference, container.clock())
