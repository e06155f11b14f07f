"""Dispatch: units and their lifecycle, the risk-ordered queue, and advisory recommendations.

An open incident always has exactly one owner: while it is open or graded it sits in a
queue (call handling, then dispatch); while it is dispatched or a unit is at scene it is
held by exactly one unit. Every unit move below keeps that true, and says which incident
move goes with it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from thriives.domain.dispatch_policy import DispatchPolicy
from thriives.domain.errors import DomainError


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


@dataclass(frozen=True)
class Position:
    latitude: float
    longitude: float


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
    position: Position | None


@dataclass(frozen=True)
class Recommendation:
    call_sign: str
    distance_km: float | None
    minutes: float | None  # estimated travel time at the policy's speed
    has: tuple[str, ...]  # needed skills the unit has
    lacks: tuple[str, ...]  # wanted skills it lacks
    reasons: tuple[str, ...]


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
) -> list[Recommendation]:
    """Available units able to go, best first. Advisory only: the dispatcher decides.

    1. A unit without every required skill is not recommended at all.
    2. Nearest first, by travel time in bands of ``BAND_MINUTES``, so a wanted skill never
       sends a unit from far away when one is close by.
    3. Within a band: fewest wanted skills lacking (the DA-trained officer when one is as
       near), then a general unit before a specialist (a type in ``specialist_types``)
       whose specialism this incident does not need, so the armed unit stays free.
    4. Then nearest.
    """
    speed = policy.speed_kmh[area]
    ranked: list[tuple[tuple[int, int, bool, float, str], Recommendation]] = []
    for unit in units:
        if unit.status is not UnitStatus.AVAILABLE:
            continue
        if any(skill not in unit.skills for skill in required):
            continue
        has = tuple(s for s in (*required, *wanted) if s in unit.skills)
        lacks = tuple(s for s in wanted if s not in unit.skills)
        distance = distance_km(unit.position, where) if unit.position and where else None
        minutes = distance / speed * 60 if distance is not None else None
        reasons = []
        if required:
            reasons.append(f"has the required {', '.join(required)}")
        if wanted:
            if lacks:
                reasons.append(f"lacks {', '.join(lacks)}")
            else:
                reasons.append(f"has {', '.join(wanted)}")
        if distance is None:
            reasons.append("distance unknown (no location)")
        else:
            reasons.append(f"{distance:.1f} km, about {minutes:.0f} min")
        spare = unit.unit_type in policy.specialist_types and not has
        if spare:
            reasons.append(f"{unit.unit_type.replace('_', ' ')} unit: kept free if a general one is as near")
        band = int(minutes // BAND_MINUTES) if minutes is not None else 1_000_000
        ranked.append(
            (
                (band, len(lacks), spare, distance if distance is not None else math.inf, unit.call_sign),
                Recommendation(unit.call_sign, distance, minutes, has, lacks, tuple(reasons)),
            )
        )
    ranked.sort(key=lambda pair: pair[0])
    return [r for _, r in ranked[: policy.recommend]]


def nearest_area(where: Position, stations: Iterable[tuple[Position, str]]) -> str | None:
    """The area kind (urban or rural) of the station nearest a position."""
    best: tuple[float, str] | None = None
    for position, kind in stations:
        d = distance_km(where, position)
        if best is None or d < best[0]:
            best = (d, kind)
    return best[1] if best else None
