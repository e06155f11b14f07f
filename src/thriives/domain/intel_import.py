"""Checking the rows of a legacy-system import (``thriives import``), one kind a file.

Each kind of record has required and optional columns; a column that is neither refuses
the whole file, naming it. Each row becomes a record or is refused with a DomainError
naming the field at fault. Every text field has a length limit (those of the tables), and
control characters are refused (PostgreSQL cannot store a NUL). A reference to another
record (``person_id``, ``address_id``, ``incident_id``) is the legacy system's id; whether
it exists is for the service to find out, from the store.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from enum import StrEnum

from thriives.domain.addresses import normalise_registration, parse_address
from thriives.domain.dash import DASH_LEVELS
from thriives.domain.errors import DomainError
from thriives.domain.incidents import normalise_phone
from thriives.domain.intel import LinkRole, parse_dob
from thriives.domain.names import name_words

MAX_ID = 80
MAX_DETAIL = 4000
MAX_ALIASES = 20
_SOURCE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,39}$")
# A marker's detail may keep \t and \n. An unpaired surrogate (``"\ud800"`` in JSON) is not
# text either: no store can encode it.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)  # an older incident is a typing error
_UPRN = re.compile(r"^\d{1,12}$")
_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_ADDRESS_PARTS = (("flat", 20), ("number", 20), ("street", 200), ("town", 100))


class ImportKind(StrEnum):
    """The kinds of file, in the order they must be imported (each refers only to earlier ones)."""

    PEOPLE = "people"
    ADDRESSES = "addresses"
    PERSON_ADDRESSES = "person_addresses"
    PHONES = "phones"
    VEHICLES = "vehicles"
    MARKERS = "markers"
    INCIDENTS = "incidents"
    INCIDENT_PEOPLE = "incident_people"


@dataclass(frozen=True)
class Columns:
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()


COLUMNS: dict[ImportKind, Columns] = {
    ImportKind.PEOPLE: Columns(("id", "forenames", "surname"), ("date_of_birth", "gender", "aliases")),
    ImportKind.ADDRESSES: Columns(("id", "address"), ("uprn", "latitude", "longitude")),
    ImportKind.PERSON_ADDRESSES: Columns(("person_id", "address_id")),
    ImportKind.PHONES: Columns(("person_id", "number")),
    ImportKind.VEHICLES: Columns(("person_id", "registration"), ("description",)),
    ImportKind.MARKERS: Columns(
        ("id", "kind", "origin"), ("person_id", "address_id", "valid_from", "valid_to", "detail")
    ),
    ImportKind.INCIDENTS: Columns(("id", "reference", "occurred_at", "category", "grade"), ("dash_risk",)),
    ImportKind.INCIDENT_PEOPLE: Columns(("incident_id", "person_id", "role")),
}
# Kinds whose records carry their own legacy id (the others are links between records).
SOURCED = frozenset({ImportKind.PEOPLE, ImportKind.ADDRESSES, ImportKind.MARKERS, ImportKind.INCIDENTS})


@dataclass(frozen=True)
class RowContext:
    now: datetime  # aware: no date of birth or past incident may be later
    zone: tzinfo  # the force's local time, for a time written without an offset
    marker_codes: frozenset[str]  # the marker kinds of the force's policy


@dataclass(frozen=True)
class PersonRecord:
    id: str
    forenames: str
    surname: str
    date_of_birth: date | None
    gender: str | None
    aliases: tuple[tuple[str, str], ...]  # (forenames, surname)


@dataclass(frozen=True)
class AddressRecord:
    id: str
    text: str
    uprn: str | None
    latitude: float | None
    longitude: float | None


@dataclass(frozen=True)
class PersonAddress:
    person_id: str
    address_id: str


@dataclass(frozen=True)
class PhoneRecord:
    person_id: str
    number: str


@dataclass(frozen=True)
class VehicleRecord:
    person_id: str
    registration: str
    description: str | None


@dataclass(frozen=True)
class MarkerRecord:
    id: str
    person_id: str | None
    address_id: str | None
    kind: str
    origin: str
    valid_from: date | None
    valid_to: date | None
    detail: str | None


@dataclass(frozen=True)
class PastIncidentRecord:
    id: str
    reference: str
    occurred_at: datetime  # aware UTC
    category: str
    grade: str
    dash_risk: str | None


@dataclass(frozen=True)
class IncidentPerson:
    incident_id: str
    person_id: str
    role: LinkRole


Record = (
    PersonRecord
    | AddressRecord
    | PersonAddress
    | PhoneRecord
    | VehicleRecord
    | MarkerRecord
    | PastIncidentRecord
    | IncidentPerson
)


def kind_of(file_name: str) -> ImportKind:
    """The kind named by a file's name: ``people.csv`` or ``people.json`` holds people."""
    stem, dot, extension = file_name.rpartition(".")
    if dot and extension.lower() in ("csv", "json"):
        try:
            return ImportKind(stem.lower())
        except ValueError:
            pass
    names = ", ".join(f"{k.value}.csv" for k in ImportKind)
    raise DomainError(f"{file_name!r} does not say what it holds: name it one of {names} (or .json)", "kind")


def check_source(name: str) -> str:
    """The name of the legacy system, recorded with every record imported from it."""
    if not _SOURCE.match(name):
        raise DomainError("1-40 characters: lower-case letters, digits, . _ -", "source")
    return name


def check_columns(kind: ImportKind, header: Sequence[str]) -> tuple[str, ...]:
    """A file's column names, trimmed and in lower case; refuses an unknown, repeated or
    missing column, naming it."""
    names = tuple(name.strip().lower() for name in header)
    for name in names:
        if _CONTROL.search(name):
            raise DomainError("a column's name holds a control character", _CONTROL.sub("?", name))
    layout = COLUMNS[kind]
    allowed = layout.required + layout.optional
    for index, name in enumerate(names):
        if name in names[:index]:
            raise DomainError("is a column twice", name)
        if name not in allowed:
            raise DomainError(f"is not a column of {kind.value} (they are: {', '.join(allowed)})", name)
    for name in layout.required:
        if name not in names:
            raise DomainError(f"is missing: {kind.value} need {', '.join(layout.required)}", name)
    return names


def row_of(columns: Sequence[str], values: Sequence[str]) -> dict[str, str]:
    """One CSV row as column -> value; refuses a row with more or fewer values than columns."""
    if len(values) != len(columns):
        raise DomainError(f"has {len(values)} values; the header has {len(columns)} columns")
    return dict(zip(columns, values, strict=True))


def from_json(item: object, kind: ImportKind) -> dict[str, str]:
    """One object of a JSON file as field -> text: numbers become text, null is empty."""
    if not isinstance(item, dict):
        raise DomainError("is not a JSON object")
    names = check_columns(kind, [str(key) for key in item])
    raw: dict[str, str] = {}
    for name, value in zip(names, item.values(), strict=True):
        if value is None:
            raw[name] = ""
        elif isinstance(value, str):
            raw[name] = value
        elif isinstance(value, int | float) and not isinstance(value, bool):
            raw[name] = str(value)
        else:
            raise DomainError("must be text or a number", name)
    return raw


def check_row(kind: ImportKind, raw: Mapping[str, str], context: RowContext) -> Record:
    """One row of a file of this kind as a record; a DomainError names the field at fault."""
    row = _Row(raw)
    match kind:
        case ImportKind.PEOPLE:
            return _person(row, context)
        case ImportKind.ADDRESSES:
            return _address(row)
        case ImportKind.PERSON_ADDRESSES:
            return PersonAddress(row.key("person_id"), row.key("address_id"))
        case ImportKind.PHONES:
            return PhoneRecord(row.key("person_id"), _phone(row.need("number", 40)))
        case ImportKind.VEHICLES:
            registration = normalise_registration(row.need("registration", 20))
            return VehicleRecord(row.key("person_id"), registration, row.may("description", 200))
        case ImportKind.MARKERS:
            return _marker(row, context)
        case ImportKind.INCIDENTS:
            return _past_incident(row, context)
        case ImportKind.INCIDENT_PEOPLE:
            return IncidentPerson(row.key("incident_id"), row.key("person_id"), _role(row.need("role", 20)))


def references(record: Record) -> tuple[tuple[str, ImportKind, str], ...]:
    """The records of the same source this one names: (field, kind, legacy id)."""
    found: list[tuple[str, ImportKind, str | None]] = []
    if isinstance(record, PersonAddress | PhoneRecord | VehicleRecord | MarkerRecord | IncidentPerson):
        found.append(("person_id", ImportKind.PEOPLE, record.person_id))
    if isinstance(record, PersonAddress | MarkerRecord):
        found.append(("address_id", ImportKind.ADDRESSES, record.address_id))
    if isinstance(record, IncidentPerson):
        found.append(("incident_id", ImportKind.INCIDENTS, record.incident_id))
    return tuple((f, k, i) for f, k, i in found if i is not None)


class _Row:
    """Reads a raw row's fields: spaces trimmed and runs of spaces made one, limits checked."""

    def __init__(self, raw: Mapping[str, str]) -> None:
        self._raw = raw

    def may(self, field: str, limit: int, one_line: bool = True) -> str | None:
        text = self._raw.get(field) or ""
        text = " ".join(text.split()) if one_line else text.strip()
        if _CONTROL.search(text):
            raise DomainError("holds a control character", field)
        if len(text) > limit:
            raise DomainError(f"is {len(text)} characters long; the most is {limit}", field)
        return text or None

    def need(self, field: str, limit: int) -> str:
        text = self.may(field, limit)
        if text is None:
            raise DomainError("is required", field)
        return text

    def key(self, field: str) -> str:
        return self.need(field, MAX_ID)


def _person(row: _Row, context: RowContext) -> PersonRecord:
    surname = row.need("surname", 100)
    if not name_words(surname):
        raise DomainError("holds no name: only titles, initials or words like 'unknown'", "surname")
    born = row.may("date_of_birth", 20)
    return PersonRecord(
        row.key("id"),
        row.may("forenames", 200) or "",
        surname,
        parse_dob(born, context.now.date()) if born else None,
        row.may("gender", 20),
        _aliases(row.may("aliases", 2000)),
    )


def _aliases(text: str | None) -> tuple[tuple[str, str], ...]:
    """``"Forenames Surname; Surname, Forenames"`` -> ((forenames, surname), ...)."""
    found: list[tuple[str, str]] = []
    for part in (p.strip() for p in (text or "").split(";")):
        if not part:
            continue
        if "," in part:
            surname, _, forenames = (s.strip() for s in part.partition(","))
        else:
            *given, surname = part.split()
            forenames = " ".join(given)
        if not name_words(surname):
            raise DomainError(f"{part!r} holds no surname", "aliases")
        if len(forenames) > 200 or len(surname) > 100:
            raise DomainError(f"{part[:40]!r} is too long (forenames 200, surname 100 characters)", "aliases")
        if (forenames, surname) not in found:
            found.append((forenames, surname))
    if len(found) > MAX_ALIASES:
        raise DomainError(f"has {len(found)} aliases; the most is {MAX_ALIASES}", "aliases")
    return tuple(found)


def _address(row: _Row) -> AddressRecord:
    text = row.need("address", 300)
    parts = parse_address(text)
    for part, limit in _ADDRESS_PARTS:
        value = getattr(parts, part) or ""
        if len(value) > limit:
            raise DomainError(f"has a {part} of {len(value)} characters; the most is {limit}", "address")
    uprn = row.may("uprn", 12)
    if uprn is not None and not _UPRN.match(uprn):
        raise DomainError("a UPRN is 1 to 12 digits", "uprn")
    latitude = _number(row.may("latitude", 30), -90, 90, "latitude")
    longitude = _number(row.may("longitude", 30), -180, 180, "longitude")
    if (latitude is None) != (longitude is None):
        raise DomainError("give both latitude and longitude, or neither", "latitude")
    return AddressRecord(row.key("id"), text, uprn, latitude, longitude)


def _number(text: str | None, low: float, high: float, field: str) -> float | None:
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        raise DomainError("is not a number", field) from None
    if not math.isfinite(value) or not low <= value <= high:
        raise DomainError(f"must be from {low:g} to {high:g}", field)
    return value


def _phone(text: str) -> str:
    try:
        return normalise_phone(text)
    except DomainError as error:
        raise DomainError(error.message, "number") from None


def _marker(row: _Row, context: RowContext) -> MarkerRecord:
    person, place = row.may("person_id", MAX_ID), row.may("address_id", MAX_ID)
    if (person is None) == (place is None):
        raise DomainError("give a person_id or an address_id (one of them)", "person_id")
    kind = row.need("kind", 40)
    if kind not in context.marker_codes:
        kinds = ", ".join(sorted(context.marker_codes))
        raise DomainError(f"is not a marker kind of the force's policy ({kinds})", "kind")
    valid_from = _date(row.may("valid_from", 20), "valid_from")
    valid_to = _date(row.may("valid_to", 20), "valid_to")
    if valid_from and valid_to and valid_to < valid_from:
        raise DomainError("is before valid_from", "valid_to")
    return MarkerRecord(
        row.key("id"),
        person,
        place,
        kind,
        row.need("origin", 200),
        valid_from,
        valid_to,
        row.may("detail", MAX_DETAIL, one_line=False),
    )


def _date(text: str | None, field: str) -> date | None:
    """A date as ``YYYY-MM-DD`` or ``DD/MM/YYYY`` (the British order, never the American)."""
    if text is None:
        return None
    found = _DMY.match(text)
    try:
        if found:
            return date(int(found[3]), int(found[2]), int(found[1]))
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text)
    except ValueError:
        raise DomainError("is not a real date", field) from None
    raise DomainError("write a date as YYYY-MM-DD or DD/MM/YYYY", field)


def _past_incident(row: _Row, context: RowContext) -> PastIncidentRecord:
    dash = row.may("dash_risk", 20)
    if dash is not None and dash.lower() not in DASH_LEVELS:
        raise DomainError(f"must be one of {', '.join(DASH_LEVELS)}", "dash_risk")
    return PastIncidentRecord(
        row.key("id"),
        row.need("reference", 40),
        _moment(row.need("occurred_at", 40), context),
        row.need("category", 40),
        row.need("grade", 20),
        dash.lower() if dash else None,
    )


def _moment(text: str, context: RowContext, field: str = "occurred_at") -> datetime:
    """An ISO 8601 date and time, in UTC. One without an offset is the force's local time:
    a time the clocks skipped in spring is refused; one they repeated in autumn is read as
    the first (summer time)."""
    if len(text) <= 10:
        raise DomainError("give a date and a time, e.g. 2025-03-01T14:30:00+00:00", field)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise DomainError("write a time as ISO 8601, e.g. 2025-03-01T14:30:00+00:00", field) from None
    if moment.tzinfo is None:
        local = moment.replace(tzinfo=context.zone)
        if local.astimezone(UTC).astimezone(context.zone).replace(tzinfo=None) != moment:
            raise DomainError("is a local time that did not happen (the clocks went forward)", field)
        moment = local
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:
        raise DomainError("is not a plausible date and time", field) from None
    if moment > context.now:
        raise DomainError("is in the future", field)
    if moment < EARLIEST:
        raise DomainError("is before 1900", field)
    return moment


def _role(text: str) -> LinkRole:
    try:
        return LinkRole(text.lower())
    except ValueError:
        raise DomainError(f"must be one of {', '.join(LinkRole)}", "role") from None
