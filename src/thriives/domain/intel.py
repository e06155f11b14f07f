"""Call-time intelligence: what a search may ask, links to incidents, markers and history.

Reading a search: every term is checked and named if wrong, and a search must carry at
least one term that can find someone (a name that is only titles or "unknown" cannot).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from thriives.domain.addresses import Address, normalise_registration, parse_address
from thriives.domain.errors import DomainError
from thriives.domain.incidents import normalise_phone
from thriives.domain.intel_policy import IntelPolicy, MarkerKind
from thriives.domain.matching import Name, Query
from thriives.domain.names import name_words
from thriives.domain.postcodes import normalise_postcode

MAX_NAME = 200
MAX_JUSTIFICATION = 2000
_DATE_FORMATS = (
    re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})$"),
    re.compile(r"^(?P<d>\d{1,2})[/.-](?P<m>\d{1,2})[/.-](?P<y>\d{4})$"),
)


class LinkRole(StrEnum):
    VICTIM = "victim"
    SUSPECT = "suspect"
    WITNESS = "witness"
    CALLER = "caller"
    OTHER = "other"


def parse_name(raw: str, field: str = "name") -> Name:
    """``"Jon Smyth"`` or ``"Smyth, Jon"`` -> Name(("jon",), "smyth"); titles are dropped."""
    if len(raw) > MAX_NAME:
        raise DomainError(f"is {len(raw)} characters long; the most is {MAX_NAME}", field)
    if "," in raw:
        surname_part, _, given_part = raw.partition(",")
        surname_words, given = name_words(surname_part), name_words(given_part)
        if surname_words:
            return Name(tuple(given[:4]), "".join(surname_words))
        words = given
    else:
        words = name_words(raw)
    if not words or all(len(word) == 1 for word in words):  # "N/A", "A.N."
        raise DomainError("holds no name: only titles, initials or words like 'unknown'", field)
    return Name(tuple(words[:-1][:4]), words[-1])


def parse_dob(raw: str, today: date, field: str = "date_of_birth") -> date:
    """A date of birth as ``YYYY-MM-DD`` or ``DD/MM/YYYY``; not in the future, not before 1900."""
    text = raw.strip()
    for pattern in _DATE_FORMATS:
        found = pattern.match(text)
        if found:
            try:
                day = date(int(found["y"]), int(found["m"]), int(found["d"]))
            except ValueError:
                raise DomainError("is not a real date", field) from None
            if day > today:
                raise DomainError("is in the future", field)
            if day.year < 1900:
                raise DomainError("is before 1900", field)
            return day
    raise DomainError("write a date as YYYY-MM-DD or DD/MM/YYYY", field)


def parse_query(
    today: date,
    name: str | None = None,
    date_of_birth: str | None = None,
    phone: str | None = None,
    address: str | None = None,
    postcode: str | None = None,
    registration: str | None = None,
) -> Query:
    """Check every term of a search, naming the one at fault; refuse a search with none."""
    given = {
        k: v.strip()
        for k, v in {
            "name": name,
            "date_of_birth": date_of_birth,
            "phone": phone,
            "address": address,
            "postcode": postcode,
            "registration": registration,
        }.items()
        if v is not None and v.strip()
    }
    if not given:
        raise DomainError(
            "give at least one of: name, date of birth, phone, address or postcode, registration", "name"
        )
    parsed_postcode = None
    if "postcode" in given:
        parsed_postcode = normalise_postcode(given["postcode"])
        if parsed_postcode is None:
            raise DomainError("is not a UK postcode (e.g. TH1 2AB)", "postcode")
    place: Address | None = None
    if "address" in given:  # a house number alone is an address when the postcode is given
        place = parse_address(f"{given['address']} {parsed_postcode or ''}".strip())
    if parsed_postcode:
        place = (
            Address(place.flat, place.number, place.street, place.town, parsed_postcode)
            if place
            else Address(None, None, "", "", parsed_postcode)
        )
    phone_number = None
    if "phone" in given:
        try:
            phone_number = normalise_phone(given["phone"])
        except DomainError as error:
            raise DomainError(error.message, "phone") from None
    return Query(
        name=parse_name(given["name"]) if "name" in given else None,
        dob=parse_dob(given["date_of_birth"], today) if "date_of_birth" in given else None,
        phone=phone_number,
        address=place,
        registration=normalise_registration(given["registration"]) if "registration" in given else None,
    )


def require_justification(text: str | None, field: str = "justification") -> str:
    value = (text or "").strip()
    if len(value) < 10:
        raise DomainError("say why you need to open this (at least 10 characters)", field)
    if len(value) > MAX_JUSTIFICATION:
        raise DomainError(f"is {len(value)} characters long; the most is {MAX_JUSTIFICATION}", field)
    return value


@dataclass(frozen=True)
class MarkerView:
    """A marker as one user may see it: a restricted one they may not see is left out."""

    id: int
    code: str
    label: str
    restricted: bool
    source: str
    valid_from: date | None
    valid_to: date | None
    detail: str | None  # None for a restricted marker until it is opened with a reason


def is_active(valid_from: date | None, valid_to: date | None, today: date) -> bool:
    return (valid_from is None or valid_from <= today) and (valid_to is None or today <= valid_to)


def visible(kind: MarkerKind, may_see_restricted: bool) -> bool:
    return may_see_restricted or not kind.restricted


@dataclass(frozen=True)
class HistoryLine:
    reference: str
    occurred_at: datetime
    category: str | None
    grade: str | None
    dash_risk: str | None
    role: str


@dataclass(frozen=True)
class HistorySummary:
    incidents: tuple[HistoryLine, ...]  # newest first, within the window
    count: int
    as_victim: int
    as_caller: int
    repeat_victim: bool
    repeat_caller: bool
    last_dash_risk: str | None


def summarise(lines: list[HistoryLine], now: datetime, policy: IntelPolicy) -> HistorySummary:
    """The history a handler needs at once: the last 12 months, repeats, the last DASH level.

    A repeat victim (or caller) is one recorded in that role ``repeat_at`` or more times in
    the window: the incident in hand is not among the lines, so two earlier calls make
    this the third.
    """
    since = now - timedelta(days=policy.history_days)
    recent = sorted((x for x in lines if x.occurred_at >= since), key=lambda x: x.occurred_at, reverse=True)
    victim = sum(1 for x in recent if x.role == LinkRole.VICTIM)
    caller = sum(1 for x in recent if x.role == LinkRole.CALLER)
    dash = next((x.dash_risk for x in recent if x.dash_risk), None)
    return HistorySummary(
        tuple(recent),
        len(recent),
        victim,
        caller,
        victim >= policy.repeat_at,
        caller >= policy.repeat_at,
        dash,
    )
