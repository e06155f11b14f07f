"""A time sent by a client must lie within the force's plausible window, or it is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from thriives.domain.errors import DomainError
from thriives.domain.time_window import TimeWindow, check_within, parse_time_window
from thriives.policy.loading import load_time_window

NOW = datetime(2026, 11, 26, 21, 30, tzinfo=UTC)
WINDOW = TimeWindow(timedelta(hours=24), timedelta(minutes=5))


@pytest.mark.parametrize(
    "value",
    [
        datetime(1, 1, 1, 0, 0, tzinfo=timezone(timedelta(hours=14))),  # before year 1 in UTC
        datetime(9999, 12, 31, 23, 0, tzinfo=timezone(timedelta(hours=-14))),  # after 9999 in UTC
        datetime(1900, 1, 1, tzinfo=UTC),
        datetime(1970, 1, 1, tzinfo=UTC),
        NOW - timedelta(hours=24, seconds=1),
        NOW + timedelta(minutes=5, seconds=1),
        datetime(2026, 11, 26, 21, 30),  # no time zone
    ],
)
def test_a_time_outside_the_window_is_refused_naming_the_field(value: datetime) -> None:
    with pytest.raises(DomainError) as refused:
        check_within(value, NOW, WINDOW, "received_at")
    assert refused.value.field == "received_at"


def test_a_time_inside_the_window_is_kept_in_utc() -> None:
    ahead = datetime(2026, 11, 26, 23, 34, tzinfo=timezone(timedelta(hours=2)))
    assert check_within(ahead, NOW, WINDOW, "at") == NOW + timedelta(minutes=4)
    assert check_within(NOW - timedelta(hours=23), NOW, WINDOW, "at") == NOW - timedelta(hours=23)


def test_the_shipped_window_is_a_day_back_and_five_minutes_ahead() -> None:
    window = load_time_window()
    assert (window.back, window.ahead) == (timedelta(hours=24), timedelta(minutes=5))


def test_a_bad_times_policy_names_every_problem() -> None:
    with pytest.raises(ValueError, match="received.back_hours") as refused:
        parse_time_window({"version": "x", "received": {"back_hours": 0, "ahead_minutes": "5"}, "odd": 1})
    assert "received.ahead_minutes" in str(refused.value) and "odd" in str(refused.value)
