"""Dispatch: units and their lifecycle, the risk-ordered queue, and advisory recommendations.

An open incident always has an owner: while it is open or graded it sits in a queue (call
handling, then dispatch); while it is dispatched or a unit is at scene it is held by its
units, one or several, each with its own status. The incident's status follows its units
(``incident_status_of``): at scene once any is at scene, dispatched while any is assigned
or en route, back on the queue when none is left. A unit is on one incident at a time.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from thriives.domain.dispatch_policy import DispatchPolicy
from thriives.domain.errors import DomainError
from thriives.domain.incidents import LATITUDE_RANGE, LONGITUDE_RANGE, Status
from thriives.domain.time_window import TimeWindow, check_within


class UnitStatus(StrEnum):
    AVAILABLE = "available"
    ASSIGNED = "assigned"
    EN_ROUTE = "en_route"
    AT_SCENE = "at_scene"
    UNAVAILABLE = "unavailable"


COMMITTED = frozenset({UnitStatus.ASSIGNED, UnitStatus.EN_ROUTE, UnitStatus.AT_SCENE})

# A unit's own moves (a dispatcher or the unit itself reporting). Assigning, taking a unit
# away and clearing are use-cases of their own because they move an incident too.
UNIT_MOVES: dict[UnitStatus, frozenset[UnitStatus]] = {
    UnitStatus.AVAILABLE: frozenset({UnitStatus.UNAVAILABLE}),
    UnitStatus.UNAVAILABLE: frozenset({UnitStatus.AVAILABLE}),
    UnitStatus.ASSIGNED: frozenset({UnitStatus.EN_ROUTE, UnitStatus.AT_SCENE}),
    UnitStatus.EN_ROUTE: frozenset({UnitStatus.AT_SCENE}),
    UnitStatus.AT_SCENE: frozenset(),
}


def check_unit_move(current: UnitStatus, target: UnitStatus) -> None:
    """Refuse a status change out of order, naming what is allowed."""
    if target in UNIT_MOVES[current]:
        return
    allowed = sorted(s.value for s in UNIT_MOVES[current])
    hint = ""
    if current in COMMITTED:
        hint = "; to free a committed unit, clear it or take it away with a reason"
    raise DomainError(
        f"a unit that is {current.value} cannot become {target.value}; "
        f"allowed: {', '.join(allowed) or 'none'}{hint}",
        "status",
    )


def require_available(call_sign: str, status: UnitStatus) -> None:
    if status is not UnitStatus.AVAILABLE:
        raise DomainError(f"{call_sign} is {status.value.replace('_', ' ')}, not available", "call_sign")


def require_free(
    call_sign: str, status: UnitStatus, held: str | None, here: str, field: str = "call_sign"
) -> None:
    """Refuse to send a unit that cannot go, saying where it is committed.

    ``held`` is the reference of the incident the unit is on (if any), ``here`` the one it
    would be sent to.
    """
    words = status.value.replace("_", " ")
    if status in COMMITTED and held == here:
        raise DomainError(f"{call_sign} is already {words} on {here}; a unit is sent once", field)
    if status in COMMITTED:
        raise DomainError(
            f"{call_sign} is committed elsewhere: {words} on {held or 'another incident'}; "
            "take it away or hand it over there first",
            field,
        )
    if status is not UnitStatus.AVAILABLE:
        raise DomainError(f"{call_sign} is {words}; make it available first", field)


def incident_status_of(units: Iterable[UnitStatus]) -> Status | None:
    """What an incident's committed units make it: at scene once any unit is at scene,
    dispatched while any is assigned or en route, None (back on the queue) when none is left."""
    found = set(units)
    if UnitStatus.AT_SCENE in found:
        return Status.AT_SCENE
    if found & {UnitStatus.ASSIGNED, UnitStatus.EN_ROUTE}:
        return Status.DISPATCHED
    return None


@dataclass(frozen=True)
class Position:
    latitude: float
    longitude: float


# A position reported a little ahead of the server's clock is a device's clock drifting.
POSITION_CLOCK_SKEW = timedelta(seconds=30)


def check_position(
    latitude: float | None,
    longitude: float | None,
    at: datetime | None,
    now: datetime,
    window: TimeWindow = TimeWindow(),
) -> Position | None:
    """A reported position: both coordinates or neither (position unknown), within the UK,
    at a time not in the future and not further back than ``window`` (``now`` when not given)."""
    if latitude is None and longitude is None:
        return None
    if latitude is None:
        raise DomainError("give the latitude with the longitude, or neither", "latitude")
    if longitude is None:
        raise DomainError("give the longitude with the latitude, or neither", "longitude")
    if not LATITUDE_RANGE[0] <= latitude <= LATITUDE_RANGE[1]:
        raise DomainError(f"{latitude} is outside the United Kingdom", "latitude")
    if not LONGITUDE_RANGE[0] <= longitude <= LONGITUDE_RANGE[1]:
        raise DomainError(f"{longitude} is outside the United Kingdom", "longitude")
    if at is not None and check_within(at, now, window, "at") > now + POSITION_CLOCK_SKEW:
        raise DomainError("the position's time is in the future", "at")
    return Position(latitude, longitude)


def distance_km(a: Position, b: Position) -> float:
    """Great-circle distance (haversine): a fair stand-in for road distance in ranking."""
    lat1, lat2 = math.radians(a.latitude), math.radians(b.latitude)
    dlat = lat2 - lat1
    dlon = math.radians(b.longitude - a.longitude)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(min(1.0, h)))


# ---- the queue -------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueItem:
    reference: str
    grade: str | None
    risk: str | None  # highest THRIIVES level of the latest assessment
    received_at: datetime
    cues: int = 0  # risk cues already known of an ungraded call (999, domestic abuse, words)


def queue_order(
    items: Iterable[QueueItem],
    grades: Sequence[str],
    levels: Sequence[str],
    ungraded_after: tuple[str, str] | None = None,
) -> list[QueueItem]:
    """Grade (most urgent first), then risk (highest first), then age (oldest first).

    An ungraded call is not read as low risk: with ``ungraded_after`` (the grade an ungraded
    call with a risk cue sorts after, and the grade one without any sorts after) it sits
    just below that grade, so above every less urgent graded call (scheduled work,
    resolution without deployment). Among ungraded calls in one place, the one with more
    cues comes first, then the oldest. Without ``ungraded_after`` it sorts after every grade.
    """
    last = len(grades) * 2

    def band(item: QueueItem) -> int:
        if item.grade in grades:
            return grades.index(item.grade) * 2
        if item.grade is None and ungraded_after is not None:
            after = ungraded_after[0] if item.cues else ungraded_after[1]
            return grades.index(after) * 2 + 1 if after in grades else last
        return last

    def key(item: QueueItem) -> tuple[int, int, int, datetime, str]:
        risk_rank = -levels.index(item.risk) if item.risk in levels else 1
        return (band(item), -item.cues, risk_rank, item.received_at, item.reference)

    return sorted(items, key=key)


def highest_level(levels: dict[str, str], order: Sequence[str]) -> str | None:
    ranked = [order.index(v) for v in levels.values() if v in order]
    return order[max(ranked)] if ranked else None


# ---- recommendation --------------------------------------------------------------------

BAND_MINUTES = 5.0


@dataclass(frozen=True)
class UnitView:
    call_sign: str
    unit_type: str
    skills: frozenset[str]
    status: UnitStatus
    position: Position | None  # its home station's
    last: Position | None = None  # its last known position
    last_at: datetime | None = None


@dataclass(frozen=True)
class Recommendation:
    call_sign: str
    distance_km: float | None
    minutes: float | None  # estimated travel time at the policy's speed
    has: tuple[str, ...]  # needed skills the unit has
    lacks: tuple[str, ...]  # wanted skills it lacks
    reasons: tuple[str, ...]
    unit_type: str = ""
    type_label: str = ""
    skill_labels: tuple[str, ...] = ()
    measured_from: str = "unknown"  # last_position, station or unknown
    position_at: datetime | None = None


def skill_words(policy: DispatchPolicy, codes: Iterable[str]) -> tuple[str, ...]:
    """Skills in words, as the force's policy names them."""
    return tuple(policy.skills[c].label if c in policy.skills else c.replace("_", " ") for c in codes)


def type_words(policy: DispatchPolicy, code: str) -> str:
    return policy.unit_types[code].label if code in policy.unit_types else code.replace("_", " ")


def ago(delta: timedelta) -> str:
    minutes = max(0, round(delta.total_seconds() / 60))
    if minutes < 1:
        return "just now"
    if minutes < 120:
        return f"{minutes} min ago"
    return f"{minutes // 60} h ago"


def origin(unit: UnitView, now: datetime | None, max_age: timedelta) -> tuple[Position | None, str, str]:
    """Where a unit's distance is measured from, which that is, and the words saying so:
    its last known position while recent, otherwise its station."""
    if unit.last is not None and unit.last_at is not None and now is not None:
        if now - unit.last_at <= max_age:
            return unit.last, "last_position", f"from its last known position, {ago(now - unit.last_at)}"
        note = f"from its station: no recent position (last {ago(now - unit.last_at)})"
    else:
        note = "from its station: no recent position"
    if unit.position is None:
        return None, "unknown", "position unknown: neither a recent position nor a station"
    return unit.position, "station", note


def needed_skills(
    policy: DispatchPolicy, category: str, qualifiers: frozenset[str], indicators: frozenset[str]
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """(required skills, wanted skills, the needs that asked for them)."""
    required: dict[str, None] = {}
    wanted: dict[str, None] = {}
    why: list[str] = []
    for need in policy.needs:
        if need.applies(category, qualifiers, indicators):
            why.append(need.code)
            for skill in need.skills:
                (required if need.required else wanted)[skill] = None
    return tuple(required), tuple(s for s in wanted if s not in required), tuple(why)


def recommend(
    units: Iterable[UnitView],
    where: Position | None,
    area: str,
    required: Sequence[str],
    wanted: Sequence[str],
    policy: DispatchPolicy,
    now: datetime | None = None,
) -> list[Recommendation]:
    """Available units able to go, best first. Advisory only: the dispatcher decides.

    Distances are from each unit's last known position while it is no older than the
    policy's ``position_max_age_minutes`` (at ``now``), otherwise from its station, and the
    reasons say which.

    1. A unit without every required skill is not recommended at all.
    2. Nearest first, by travel time in bands of ``BAND_MINUTES``, so a wanted skill never
       sends a unit from far away when one is close by.
    3. Within a band: fewest wanted skills lacking (the DA-trained officer when one is as
       near), then a general unit before a specialist (a type in ``specialist_types``)
       whose specialism this incident does not need, so the armed unit stays free.
    4. Then nearest.
    """
    speed = policy.speed_kmh[area]
    max_age = timedelta(minutes=policy.position_max_age_minutes)
    # Rank every able unit on numbers alone; put into words only the few shown.
    ranked: list[tuple[tuple[int, int, bool, float, str], UnitView, float | None, tuple[str, ...]]] = []
    for unit in units:
        if unit.status is not UnitStatus.AVAILABLE:
            continue
        if any(skill not in unit.skills for skill in required):
            continue
        lacks = tuple(s for s in wanted if s not in unit.skills)
        start = origin(unit, now, max_age)[0]
        distance = distance_km(start, where) if start and where else None
        minutes = distance / speed * 60 if distance is not None else None
        spare = unit.unit_type in policy.specialist_types and not any(
            s in unit.skills for s in (*required, *wanted)
        )
        band = int(minutes // BAND_MINUTES) if minutes is not None else 1_000_000
        key = (band, len(lacks), spare, distance if distance is not None else math.inf, unit.call_sign)
        ranked.append((key, unit, distance, lacks))
    ranked.sort(key=lambda entry: entry[0])
    return [
        _worded(unit, distance, lacks, key[2], where, speed, required, wanted, policy, now, max_age)
        for key, unit, distance, lacks in ranked[: policy.recommend]
    ]


def _worded(
    unit: UnitView,
    distance: float | None,
    lacks: tuple[str, ...],
    spare: bool,
    where: Position | None,
    speed: float,
    required: Sequence[str],
    wanted: Sequence[str],
    policy: DispatchPolicy,
    now: datetime | None,
    max_age: timedelta,
) -> Recommendation:
    """One ranked unit as the dispatcher reads it: what it has, how far, and why."""
    has = tuple(s for s in (*required, *wanted) if s in unit.skills)
    _start, measured_from, from_words = origin(unit, now, max_age)
    minutes = distance / speed * 60 if distance is not None else None
    reasons = []
    if required:
        reasons.append(f"has the required {', '.join(skill_words(policy, required))}")
    if wanted:
        if lacks:
            reasons.append(f"lacks {', '.join(skill_words(policy, lacks))}")
        else:
            reasons.append(f"has {', '.join(skill_words(policy, wanted))}")
    if distance is None:
        reasons.append("distance unknown (no location)" if where is None else from_words)
    else:
        reasons.append(f"{distance:.1f} km, about {minutes:.0f} min {from_words}")
    if spare:
        reasons.append(f"{type_words(policy, unit.unit_type)} unit: kept free if a general one is as near")
    return Recommendation(
        unit.call_sign,
        distance,
        minutes,
        has,
        lacks,
        tuple(reasons),
        unit.unit_type,
        type_words(policy, unit.unit_type),
        skill_words(policy, sorted(unit.skills)),
        measured_from,
        unit.last_at if measured_from == "last_position" else None,
    )


def nearest_area(where: Position, stations: Iterable[tuple[Position, str]]) -> str | None:
    """The area kind (urban or rural) of the station nearest a position."""
    best: tuple[float, str] | None = None
    for position, kind in stations:
        d = distance_km(where, position)
        if best is None or d < best[0]:
            best = (d, kind)
    return best[1] if best else None
