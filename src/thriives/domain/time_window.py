"""How far from the server's clock a time sent by a client may be: a plausible window.

A contact's ``received_at`` and a unit's position ``at`` are the client's word for when
something happened. Taken on trust, a typo or a device with a dead clock-battery writes
1970 into the record and distorts the clocks that run from it (grading, attendance) and
every figure built on them. So such a time must lie within the window the force sets in
``times.json`` (e.g. 24 hours back, 5 minutes ahead for a clock drifting), or it is refused
naming the field. A time too far from ours to be a date at all (year 1 at +14:00) is
refused the same way, never a server error.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from thriives.domain.errors import DomainError
from thriives.domain.policy_reader import Problems, Reader


@dataclass(frozen=True)
class TimeWindow:
    back: timedelta = timedelta(hours=24)
    ahead: timedelta = timedelta(minutes=5)
    version: str = "built-in"


def check_within(value: datetime, now: datetime, window: TimeWindow, field: str) -> datetime:
    """``value`` in UTC when it lies within ``window`` of ``now``; else a DomainError naming ``field``."""
    if value.tzinfo is None:
        raise DomainError("needs a time zone (e.g. 2026-11-26T18:00:00Z)", field)
    try:
        utc = value.astimezone(UTC)
    except (OverflowError, ValueError) as error:
        raise DomainError("is not a plausible date and time", field) from error
    if utc > now + window.ahead:
        raise DomainError(
            f"is in the future (more than {_words(window.ahead)} ahead of the server's clock)", field
        )
    if utc < now - window.back:
        raise DomainError(f"is more than {_words(window.back)} ago; give the time it happened", field)
    return utc


def _words(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def parse_time_window(data: Any, source: str = "times.json") -> TimeWindow:
    """The window for received and event times from ``times.json``; every problem named."""
    problems = Problems(source)
    top = Reader(data, "", problems)
    top.only("version", "received")
    version = top.text("version", limit=80)
    received = Reader(top.data.get("received"), "received", problems)
    received.only("back_hours", "ahead_minutes")
    back = received.number("back_hours", 1, 24 * 31)
    ahead = received.number("ahead_minutes", 0, 60)
    problems.raise_if_any()
    return TimeWindow(timedelta(hours=back), timedelta(minutes=ahead), version)
