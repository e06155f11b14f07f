"""Finding past incidents: the criteria a search may use, checked and normalised.

A search is by reference, caller's phone, address or postcode, caller's name, a range of the
force's local days, category, grade and status, any of them together. Each criterion is
checked here and a bad one is refused by its name, so a search never runs on a typo.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from thriives.domain.errors import DomainError
from thriives.domain.incidents import normalise_phone
from thriives.domain.postcodes import normalise_postcode

MAX_TEXT = 200
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 25
FIELDS = (
    "reference",
    "phone",
    "address",
    "postcode",
    "person",
    "date_from",
    "date_to",
    "category",
    "grade",
    "status",
)
_REFERENCE = re.compile(r"^[A-Z0-9-]{1,40}$")
_FULL_REFERENCE = re.compile(r"^[A-Z]{1,6}-\d{6}-\d{4,}$")
_OUTWARD = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Criteria:
    reference: str | None = None
    reference_exact: bool = False
    phone: str | None = None
    address: str | None = None
    postcode: str | None = None
    postcode_outward: bool = False  # only the outward code (``TH4``) was given
    person: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    category: str | None = None
    grade: str | None = None
    status: str | None = None

    def given(self) -> dict[str, str]:
        """The criteria used, as text: what the audit records and the page repeats."""
        return {
            k: v.isoformat() if isinstance(v, date) else str(v)
            for k, v in asdict(self).items()
            if v not in (None, False) and k in FIELDS
        }


def _text(raw: Mapping[str, str | None], name: str, shortest: int = 1) -> str | None:
    value = (raw.get(name) or "").strip()
    if not value:
        return None
    if len(value) > MAX_TEXT:
        raise DomainError(f"is {len(value)} characters long; the most is {MAX_TEXT}", name)
    if _CONTROL.search(value):
        raise DomainError("may not hold control characters", name)
    if len(value) < shortest:
        raise DomainError(f"give at least {shortest} characters", name)
    return value


def _day(raw: Mapping[str, str | None], name: str) -> date | None:
    value = _text(raw, name)
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise DomainError("is not a date; write it as YYYY-MM-DD, e.g. 2026-11-26", name) from error


def _one_of(raw: Mapping[str, str | None], name: str, allowed: Collection[str]) -> str | None:
    value = _text(raw, name)
    if value is not None and value not in allowed:
        raise DomainError(f"{value[:40]!r} is not one of: {', '.join(sorted(allowed))}", name)
    return value


def parse_criteria(
    raw: Mapping[str, str | None],
    categories: Collection[str],
    grades: Collection[str],
    statuses: Collection[str],
) -> Criteria:
    """Check and normalise the criteria; refuse the first bad one, naming it."""
    reference = _text(raw, "reference")
    if reference is not None:
        reference = reference.upper()
        if not _REFERENCE.match(reference):
            raise DomainError(
                "a reference holds only letters, digits and -, e.g. TH-261126-0042", "reference"
            )
    phone = _text(raw, "phone")
    if phone is not None:
        try:
            phone = normalise_phone(phone)
        except DomainError as error:
            raise DomainError(error.message, "phone") from error
    postcode = _text(raw, "postcode")
    outward = False
    if postcode is not None:
        full = normalise_postcode(postcode)
        compact = re.sub(r"\s+", "", postcode).upper()
        if full is not None:
            postcode = full
        elif _OUTWARD.match(compact):
            postcode, outward = compact, True
        else:
            raise DomainError(
                f"{postcode[:20]!r} is not a UK postcode or its first half (e.g. TH4)", "postcode"
            )
    date_from, date_to = _day(raw, "date_from"), _day(raw, "date_to")
    if date_from and date_to and date_to < date_from:
        raise DomainError("is before the start date", "date_to")
    return Criteria(
        reference=reference,
        reference_exact=bool(reference and _FULL_REFERENCE.match(reference)),
        phone=phone,
        address=_text(raw, "address", shortest=2),
        postcode=postcode,
        postcode_outward=outward,
        person=_text(raw, "person", shortest=2),
        date_from=date_from,
        date_to=date_to,
        category=_one_of(raw, "category", categories),
        grade=_one_of(raw, "grade", grades),
        status=_one_of(raw, "status", statuses),
    )


def utc_bounds(criteria: Criteria, zone: ZoneInfo) -> tuple[datetime | None, datetime | None]:
    """The date range as UTC instants: from the start of the first local day to the start
    of the day after the last (exclusive)."""
    start = end = None
    if criteria.date_from is not None:
        start = datetime.combine(criteria.date_from, time(0), zone).astimezone(UTC)
    if criteria.date_to is not None:
        end = datetime.combine(criteria.date_to + timedelta(days=1), time(0), zone).astimezone(UTC)
    return start, end


def check_page(page: int, page_size: int) -> None:
    if page < 1:
        raise DomainError("pages start at 1", "page")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise DomainError(f"must be from 1 to {MAX_PAGE_SIZE}", "page_size")
