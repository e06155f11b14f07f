"""How well the risk model is being applied: the figures a supervisor and the inspectorate read.

Each incident contributes one row of facts (who handled it, their team, the shift and week
it came in, whether it was assessed, whether history was searched, its opening and closing
categories, its reassessment tasks and their timeliness, its reviews); the dashboard sums
those by handler, team, shift or week. The shares are computed here, from the sums, so the
same definitions serve the page, the CSV and the printed report.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from thriives.domain.dispatch_policy import Shift
from thriives.domain.errors import DomainError

GROUPINGS = ("handler", "team", "shift", "week")
LONGEST_PERIOD_DAYS = 400


def shift_of(local: datetime, shifts: Sequence[Shift]) -> str:
    """The control-room shift a local wall-clock time falls in (a shift may cross midnight)."""
    moment = local.time()
    for shift in shifts:
        if shift.start < shift.end:
            if shift.start <= moment < shift.end:
                return shift.code
        elif moment >= shift.start or moment < shift.end:
            return shift.code
    return "other"


def week_of(local: datetime) -> str:
    """The ISO week, e.g. ``2026-W48``."""
    year, week, _ = local.isocalendar()
    return f"{year}-W{week:02d}"


def period_bounds(start: date, end: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """UTC bounds of whole local days ``start`` to ``end`` inclusive; refuses a period that
    ends before it starts, naming ``end``."""
    if end < start:
        raise DomainError(f"the period ends ({end}) before it starts ({start})", "end")
    if (end - start).days > LONGEST_PERIOD_DAYS:
        raise DomainError(f"at most {LONGEST_PERIOD_DAYS} days", "end")
    if end == date.max:  # the period would end after the last day a date can hold
        raise DomainError("is out of range", "end")
    first = datetime.combine(start, time(0), tzinfo=zone)
    after = datetime.combine(end + timedelta(days=1), time(0), tzinfo=zone)
    # In UTC as promised: two datetimes in one zone subtract by wall clock (a day across a
    # clock change would measure 24 hours, not 23 or 25).
    return first.astimezone(UTC), after.astimezone(UTC)


@dataclass(frozen=True)
class Sums:
    """One group's sums, as the store adds them up."""

    group: str
    incidents: int
    assessed: int
    searched: int
    closed: int
    closed_same_category: int
    category_reviews: int
    category_correct: int
    tasks: int
    tasks_on_time: int
    reviews: int
    score_total: int


@dataclass(frozen=True)
class Figures:
    group: str
    incidents: int
    assessed: float | None  # share with a complete assessment
    searched: float | None  # share with history searched
    category_at_close: float | None  # opening category kept at closing
    category_by_review: float | None  # reviewers judged the opening category right
    reassessed_on_time: float | None  # tasks finished before their first escalation
    reviews: int
    score: float | None  # mean review score, 0 to 100


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def figures(sums: Sums) -> Figures:
    return Figures(
        sums.group,
        sums.incidents,
        _share(sums.assessed, sums.incidents),
        _share(sums.searched, sums.incidents),
        _share(sums.closed_same_category, sums.closed),
        _share(sums.category_correct, sums.category_reviews),
        _share(sums.tasks_on_time, sums.tasks),
        sums.reviews,
        sums.score_total / sums.reviews if sums.reviews else None,
    )


def total(rows: Sequence[Sums]) -> Sums:
    return Sums(
        "all",
        *(sum(getattr(r, name) for r in rows) for name in list(Sums.__dataclass_fields__)[1:]),
    )
