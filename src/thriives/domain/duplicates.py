"""Possible duplicates of a call, and the rules for linking two incidents.

A second call about something already live is common (a fight seen from three windows, a
neighbour ringing about the same shouting). The handler must see it at once, with the reason,
and decide: the same event (the new call is closed as a duplicate of the first, and the
second caller's details stay visible on the first's record), related (both stay open,
each shows the other), or separate (recorded, so it is not offered again).

Which incidents are offered, and how near is near, is force policy (``policy/links.json``).
Everything here is pure: time and the force's local days are passed in.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from thriives.domain.categories import CategoryPolicy
from thriives.domain.errors import Conflict, DomainError
from thriives.domain.policy_reader import Problems, Reader


class Relation(StrEnum):
    DUPLICATE = "duplicate"  # this incident is the same event as the other: it is closed
    RELATED = "related"  # both stay open; each shows the other
    SEPARATE = "separate"  # not the same: recorded so it is not offered again


CLOSED = "closed"
UNIT_HELD = frozenset({"dispatched", "at_scene"})


@dataclass(frozen=True)
class LinkPolicy:
    version: str
    live_hours: int  # live incidents received this long before (or after) the call are offered
    recent_minutes: int  # closed ones only within this window
    nearby_metres: int  # "nearby": within this distance of the call's position
    shown: int  # at most this many candidates, best first
    duplicate_closure_reason: str  # the closure reason a duplicate is closed with


def parse_link_policy(data: Any, categories: CategoryPolicy, source: str = "links.json") -> LinkPolicy:
    problems = Problems(source)
    top = Reader(data, "", problems)
    top.only("version", "duplicates")
    dup = top.child("duplicates")
    dup.only("live_hours", "recent_minutes", "nearby_metres", "shown", "closure_reason")
    reason = dup.code("closure_reason")
    if reason and reason not in categories.closure_reasons:
        problems.add("duplicates.closure_reason", f"{reason!r} is not a closure reason in categories.json")
    policy = LinkPolicy(
        version=top.text("version", limit=40),
        live_hours=int(dup.number("live_hours", 1, 168)),
        recent_minutes=int(dup.number("recent_minutes", 1, 1440)),
        nearby_metres=int(dup.number("nearby_metres", 10, 5000)),
        shown=int(dup.number("shown", 1, 50)),
        duplicate_closure_reason=reason,
    )
    problems.raise_if_any()
    return policy


@dataclass(frozen=True)
class CallFacts:
    """What a call gave that another call might share."""

    reference: str
    status: str
    received_at: datetime
    caller_name: str | None = None
    caller_phone: str | None = None
    location_text: str | None = None
    postcode: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    people: Mapping[int, str] = field(default_factory=dict)  # people on record attached: id -> name
    duplicate_of: str | None = None  # closed as a duplicate of this reference


@dataclass(frozen=True)
class Candidate:
    reference: str
    status: str
    received_at: datetime
    reasons: tuple[str, ...]
    score: int
    duplicate_of: str | None

    @property
    def live(self) -> bool:
        return self.status != CLOSED


def spoken_phone(number: str) -> str:
    """``07700900123`` as said and written in the UK: ``07700 900123``."""
    if len(number) == 11 and number.startswith("0"):
        return f"{number[:5]} {number[5:]}"
    return number


def _plain(text: str | None) -> str:
    """Case, punctuation and spacing ignored: ``12 Mill Lane,`` equals ``12 mill lane``."""
    return " ".join(re.sub(r"[^\w\s]", " ", (text or "").lower()).split())


def metres_between(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in metres (haversine)."""
    lat1, lat2 = math.radians(a[0]), math.radians(b[0])
    dlat, dlon = lat2 - lat1, math.radians(b[1] - a[1])
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * 6_371_000.0 * math.asin(math.sqrt(min(1.0, h)))


def ago(then: datetime, now: datetime) -> str:
    minutes = int((now - then).total_seconds() // 60)
    if minutes < 1:
        return "just now"
    if minutes < 120:
        return f"{minutes} minute{'' if minutes == 1 else 's'} ago"
    return f"{minutes // 60} hours ago"


def _position(call: CallFacts) -> tuple[float, float] | None:
    if call.latitude is None or call.longitude is None:
        return None
    return (call.latitude, call.longitude)


def reasons_shared(
    this: CallFacts, other: CallFacts, policy: LinkPolicy, now: datetime
) -> list[tuple[int, str]]:
    """Each thing the two calls share, with its weight and its reason in words."""
    found: list[tuple[int, str]] = []
    if this.caller_phone and this.caller_phone == other.caller_phone:
        found.append((5, f"same caller number {spoken_phone(this.caller_phone)}"))
    for person_id, name in this.people.items():
        if person_id in other.people:
            found.append((5, f"same person on record: {name}"))
    if _plain(this.caller_name) and _plain(this.caller_name) == _plain(other.caller_name):
        found.append((3, f"same caller name {this.caller_name}"))
    same_place = bool(_plain(this.location_text)) and _plain(this.location_text) == _plain(
        other.location_text
    )
    if same_place and (not this.postcode or not other.postcode or this.postcode == other.postcode):
        found.append((4, "same address"))
    elif this.postcode and this.postcode == other.postcode:
        found.append((2, f"same postcode {this.postcode}"))
    here, there = _position(this), _position(other)
    if here and there:
        metres = metres_between(here, there)
        if metres <= policy.nearby_metres:
            found.append(
                (
                    3 if metres <= policy.nearby_metres / 2 else 2,
                    f"{round(metres)} m away, {ago(other.received_at, now)}",
                )
            )
    return found


def in_window(this: CallFacts, other: CallFacts, policy: LinkPolicy) -> bool:
    """Live incidents within ``live_hours`` of the call; closed ones within ``recent_minutes``."""
    gap = abs(this.received_at - other.received_at)
    if other.status == CLOSED:
        return gap <= timedelta(minutes=policy.recent_minutes)
    return gap <= timedelta(hours=policy.live_hours)


def find_candidates(
    this: CallFacts,
    others: Sequence[CallFacts],
    policy: LinkPolicy,
    now: datetime,
    already: frozenset[str] = frozenset(),
) -> list[Candidate]:
    """The incidents that may be the same event as ``this``, best first, each with its reasons.

    1. Skip ``this`` itself, incidents already linked to it or declared separate
       (``already``), and any outside the policy's window (live or recently closed).
    2. Keep those sharing a caller number, a person on record, a caller name, an address or
       postcode, or a position within the policy's distance; each shared thing is a reason.
    3. Rank by the weight of the reasons, live before closed, then the most recent first;
       keep the policy's number.
    """
    found = []
    for other in others:
        if other.reference == this.reference or other.reference in already:
            continue
        if not in_window(this, other, policy):
            continue
        shared = reasons_shared(this, other, policy, now)
        if not shared:
            continue
        found.append(
            Candidate(
                other.reference,
                other.status,
                other.received_at,
                tuple(reason for _, reason in shared),
                sum(weight for weight, _ in shared),
                other.duplicate_of,
            )
        )
    found.sort(key=lambda c: (-c.score, not c.live, -c.received_at.timestamp()))
    return found[: policy.shown]


@dataclass(frozen=True)
class LinkSide:
    """One incident of a proposed link, as the rules need it."""

    reference: str
    status: str
    received_at: datetime
    day: date  # the force's local day it was received
    duplicate_of: str | None = None
    duplicates: tuple[str, ...] = ()  # incidents recorded as duplicates of this one


def check_link(
    this: LinkSide,
    other: LinkSide,
    relation: Relation,
    existing: Relation | None,
    policy: LinkPolicy,
) -> None:
    """Refuse a link that must not be made, naming the field at fault; return if it may.

    ``existing`` is the current relation between the two, if any.
    """
    if this.reference == other.reference:
        raise DomainError("an incident cannot be linked to itself; give another reference", "other")
    # Across midnight, a call a few minutes after a closed incident may still be linked.
    near = abs(this.received_at - other.received_at) <= timedelta(minutes=policy.recent_minutes)
    for side, whose in ((other, other.reference), (this, "this incident")):
        if side.status == CLOSED and this.day != other.day and not near:
            raise DomainError(
                f"{whose} is closed and was received on {side.day:%d %b %Y}, another day; "
                "only live incidents and those closed the same day can be linked",
                "other",
            )
    if existing is not None and (existing is not Relation.SEPARATE or relation is Relation.SEPARATE):
        said = "declared separate" if existing is Relation.SEPARATE else f"linked ({existing.value})"
        raise Conflict(f"{other.reference} is already {said} with this incident", "other")
    if relation is Relation.DUPLICATE:
        _check_duplicate(this, other)


def _check_duplicate(this: LinkSide, other: LinkSide) -> None:
    if this.status == CLOSED:
        raise DomainError(
            "this incident is closed; only an open call can be closed as a duplicate", "relation"
        )
    if this.status in UNIT_HELD:
        raise DomainError(
            "a unit is assigned to this incident; link it as related, or take the unit away first",
            "relation",
        )
    if this.duplicates:
        raise DomainError(
            f"{', '.join(this.duplicates)} {'is' if len(this.duplicates) == 1 else 'are'} recorded as "
            "a duplicate of this incident, so it cannot become a duplicate itself; link it as related",
            "relation",
        )
    if other.duplicate_of is not None:
        raise DomainError(
            f"{other.reference} is itself a duplicate of {other.duplicate_of}; link to {other.duplicate_of}",
            "other",
        )


def open_duplicates_of(duplicates: Sequence[tuple[str, str]]) -> list[str]:
    """Why an incident may not close yet: each call recorded as its duplicate that is open
    again (reopened after it was closed as a duplicate). ``duplicates``: (reference, status)."""
    return [
        f"{reference} is recorded as a duplicate of this incident and is open again; "
        "close it or link it differently first"
        for reference, status in duplicates
        if status != CLOSED
    ]
