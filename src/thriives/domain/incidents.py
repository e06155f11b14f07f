"""The incident: what a contact opens, how it moves through its life, and what it may hold.

NSIR principle (REFERENCE 3): an incident is opened on first-contact information and
never waits for investigation, so the closing category may differ from the opening one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from thriives.domain.categories import CategoryPolicy
from thriives.domain.errors import DomainError
from thriives.domain.postcodes import normalise_postcode
from thriives.domain.time_window import TimeWindow, check_within


class Channel(StrEnum):
    EMERGENCY = "999"
    NON_EMERGENCY = "101"
    ONLINE = "online"
    OTHER = "other"


class Status(StrEnum):
    OPEN = "open"  # received, awaiting assessment and grade
    GRADED = "graded"  # graded, awaiting a resource
    DISPATCHED = "dispatched"  # a resource is assigned and on its way
    AT_SCENE = "at_scene"  # a resource has arrived
    CLOSED = "closed"


@dataclass(frozen=True)
class Transition:
    name: str
    source: Status
    target: Status
    needs_reason: bool


# The lifecycle as a table: every allowed move, and nothing else.
TRANSITIONS: tuple[Transition, ...] = (
    Transition("grade", Status.OPEN, Status.GRADED, needs_reason=False),
    Transition("dispatch", Status.GRADED, Status.DISPATCHED, needs_reason=False),
    Transition("arrive", Status.DISPATCHED, Status.AT_SCENE, needs_reason=False),
    Transition("withdraw", Status.DISPATCHED, Status.GRADED, needs_reason=True),
    Transition("withdraw", Status.AT_SCENE, Status.GRADED, needs_reason=True),
    Transition("close", Status.OPEN, Status.CLOSED, needs_reason=True),
    Transition("close", Status.GRADED, Status.CLOSED, needs_reason=True),
    Transition("close", Status.DISPATCHED, Status.CLOSED, needs_reason=True),
    Transition("close", Status.AT_SCENE, Status.CLOSED, needs_reason=True),
    Transition("reopen", Status.CLOSED, Status.OPEN, needs_reason=True),
)

LIVE_STATUSES = frozenset({Status.OPEN, Status.GRADED, Status.DISPATCHED, Status.AT_SCENE})


def find_transition(source: Status, target: Status) -> Transition:
    """Return the allowed transition from ``source`` to ``target`` or refuse, naming both."""
    for transition in TRANSITIONS:
        if transition.source is source and transition.target is target:
            return transition
    allowed = sorted(t.target.value for t in TRANSITIONS if t.source is source)
    raise DomainError(
        f"an incident that is {source.value} cannot become {target.value}; "
        f"allowed: {', '.join(allowed) or 'none'}",
        field="status",
    )


MAX_NAME = 200
MAX_PHONE = 32
MAX_LOCATION = 500
MAX_ACCOUNT = 20_000
MAX_REASON = 2_000
MAX_QUALIFIERS = 20
# A rough box around the United Kingdom, Channel Islands and Isle of Man included.
LATITUDE_RANGE = (49.0, 61.5)
LONGITUDE_RANGE = (-9.0, 2.5)

_PHONE_CHARS = re.compile(r"^\+?[0-9]+$")


def normalise_phone(raw: str) -> str:
    """Normalise a phone number to digits, UK numbers to the national 0 form.

    ``+44 7700 900123`` and ``07700-900123`` both become ``07700900123``. Other countries keep
    their ``+`` and code. Refuses anything that is not 7 to 15 digits after cleaning.
    """
    cleaned = re.sub(r"[\s().-]", "", raw)
    if cleaned.startswith("00"):
        cleaned = "+" + cleaned[2:]
    if not _PHONE_CHARS.match(cleaned):
        raise DomainError("a phone number may hold only digits, spaces, + - ( ) .", "caller_phone")
    if cleaned.startswith("+44"):
        cleaned = "0" + cleaned[3:].lstrip("0")
    digits = cleaned.lstrip("+")
    if not 7 <= len(digits) <= 15:
        raise DomainError("a phone number has 7 to 15 digits", "caller_phone")
    return cleaned


@dataclass(frozen=True)
class Contact:
    """What the call handler captured when the contact came in, already validated."""

    channel: Channel
    received_at: datetime
    opening_category: str
    qualifiers: tuple[str, ...] = ()
    asb_qualifier: str | None = None
    caller_name: str | None = None
    caller_phone: str | None = None
    location_text: str | None = None
    postcode: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    account: str = ""


def _bounded(value: str | None, limit: int, name: str) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if len(value) > limit:
        raise DomainError(f"is {len(value)} characters long; the most is {limit}", name)
    return value or None


def check_categorisation(
    policy: CategoryPolicy,
    category: str,
    qualifiers: tuple[str, ...],
    asb_qualifier: str | None,
    category_field: str = "opening_category",
) -> tuple[str, ...]:
    """Check a category and its qualifiers against the force's policy; return them de-duplicated."""
    policy.require_category(category, category_field)
    if len(qualifiers) > MAX_QUALIFIERS:
        raise DomainError(f"at most {MAX_QUALIFIERS} qualifiers", "qualifiers")
    for index, code in enumerate(qualifiers):
        policy.require_qualifier(code, f"qualifiers.{index}")
    policy.require_asb_qualifier(category, asb_qualifier)
    return tuple(dict.fromkeys(qualifiers))


def validate_contact(
    raw: Contact, policy: CategoryPolicy, now: datetime, window: TimeWindow = TimeWindow()
) -> Contact:
    """Validate and normalise a contact. Raises DomainError naming the field at fault.

    The time it was received must lie within ``window`` of ``now`` (``times.json``)."""
    received_at = check_within(raw.received_at, now, window, "received_at")
    qualifiers = check_categorisation(policy, raw.opening_category, raw.qualifiers, raw.asb_qualifier)
    postcode = None
    if raw.postcode is not None and raw.postcode.strip():
        postcode = normalise_postcode(raw.postcode)
        if postcode is None:
            raise DomainError(f"{raw.postcode.strip()[:20]!r} is not a valid UK postcode", "postcode")
    if (raw.latitude is None) != (raw.longitude is None):
        raise DomainError("give both latitude and longitude, or neither", "latitude")
    if raw.latitude is not None and not LATITUDE_RANGE[0] <= raw.latitude <= LATITUDE_RANGE[1]:
        raise DomainError("is outside the United Kingdom", "latitude")
    if raw.longitude is not None and not LONGITUDE_RANGE[0] <= raw.longitude <= LONGITUDE_RANGE[1]:
        raise DomainError("is outside the United Kingdom", "longitude")
    phone = _bounded(raw.caller_phone, MAX_PHONE, "caller_phone")
    account = raw.account
    if len(account) > MAX_ACCOUNT:
        raise DomainError(f"is {len(account)} characters long; the most is {MAX_ACCOUNT}", "account")
    return Contact(
        channel=raw.channel,
        received_at=received_at,
        opening_category=raw.opening_category,
        qualifiers=qualifiers,
        asb_qualifier=raw.asb_qualifier,
        caller_name=_bounded(raw.caller_name, MAX_NAME, "caller_name"),
        caller_phone=normalise_phone(phone) if phone else None,
        location_text=_bounded(raw.location_text, MAX_LOCATION, "location_text"),
        postcode=postcode,
        latitude=raw.latitude,
        longitude=raw.longitude,
        account=account,  # verbatim: never trimmed or altered
    )


def require_reason(reason: str | None, needed: bool, name: str = "reason") -> str | None:
    text = _bounded(reason, MAX_REASON, name)
    if needed and not text:
        raise DomainError("a reason is required", name)
    return text
