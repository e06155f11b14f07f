"""The compliance figures' rules: shifts and weeks in local time, a report period's bounds, and
the shares computed from each group's sums."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from thriives.domain.compliance import (
    GROUPINGS,
    LONGEST_PERIOD_DAYS,
    Figures,
    Sums,
    figures,
    period_bounds,
    shift_of,
    total,
    week_of,
)
from thriives.domain.dispatch_policy import Shift
from thriives.domain.errors import DomainError

LONDON = ZoneInfo("Europe/London")
SHIFTS = (
    Shift("early", time(7), time(15)),
    Shift("late", time(15), time(23)),
    Shift("night", time(23), time(7)),
)


# ---- shifts --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "shift"),
    [
        (time(7, 0), "early"),
        (time(10, 30), "early"),
        (time(14, 59, 59), "early"),
        (time(15, 0), "late"),
        (time(22, 59, 59), "late"),
        (time(23, 0), "night"),  # the night shift starts one day...
        (time(23, 59, 59), "night"),
        (time(0, 0), "night"),  # ...and runs past midnight...
        (time(3, 15), "night"),
        (time(6, 59, 59), "night"),  # ...to the next morning
    ],
)
def test_a_local_time_falls_in_one_shift_including_the_night_across_midnight(at: time, shift: str) -> None:
    assert shift_of(datetime.combine(date(2026, 11, 26), at, tzinfo=LONDON), SHIFTS) == shift


def test_a_time_no_shift_covers_is_other() -> None:
    days_only = (Shift("days", time(8), time(20)), Shift("nights", time(22), time(6)))
    assert shift_of(datetime(2026, 11, 26, 7, 59), days_only) == "other"
    assert shift_of(datetime(2026, 11, 26, 20, 0), days_only) == "other"
    assert shift_of(datetime(2026, 11, 26, 21, 59), days_only) == "other"
    assert shift_of(datetime(2026, 11, 26, 5, 59), days_only) == "nights"
    assert shift_of(datetime(2026, 11, 26, 12, 0), ()) == "other"


def test_the_shift_is_read_from_the_local_wall_clock() -> None:
    """22:30 UTC in summer is 23:30 in London: the night shift, not the late."""
    summer = datetime(2026, 7, 1, 22, 30, tzinfo=UTC).astimezone(LONDON)
    winter = datetime(2026, 12, 1, 22, 30, tzinfo=UTC).astimezone(LONDON)
    assert (shift_of(summer, SHIFTS), shift_of(winter, SHIFTS)) == ("night", "late")


# ---- weeks -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "week"),
    [
        (date(2026, 11, 26), "2026-W48"),
        (date(2026, 1, 1), "2026-W01"),  # a Thursday: week 1 of its own year
        (date(2026, 12, 28), "2026-W53"),  # 2026 has 53 ISO weeks
        (date(2026, 12, 31), "2026-W53"),
        (date(2027, 1, 1), "2026-W53"),  # the first days of 2027 are in 2026's last week
        (date(2027, 1, 3), "2026-W53"),
        (date(2027, 1, 4), "2027-W01"),
        (date(2024, 12, 30), "2025-W01"),  # the last days of 2024 are in 2025's first week
        (date(2025, 12, 28), "2025-W52"),
        (date(2021, 1, 3), "2020-W53"),
    ],
)
def test_the_week_is_the_iso_week_of_its_year_at_year_ends(day: date, week: str) -> None:
    assert week_of(datetime.combine(day, time(12), tzinfo=LONDON)) == week


def test_the_week_turns_at_local_midnight_on_sunday() -> None:
    sunday_night = datetime(2026, 6, 28, 23, 30, tzinfo=UTC)  # 00:30 on Monday 29 June in London
    assert week_of(sunday_night.astimezone(LONDON)) == "2026-W27"
    assert week_of(sunday_night) == "2026-W26"


# ---- a report's period -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "first", "after", "hours"),
    [
        # a winter day: GMT, the local day is the UTC day
        (date(2026, 11, 26), date(2026, 11, 26), datetime(2026, 11, 26), datetime(2026, 11, 27), 24),
        # a summer day: BST, the local day starts at 23:00 UTC the day before
        (date(2026, 7, 1), date(2026, 7, 1), datetime(2026, 6, 30, 23), datetime(2026, 7, 1, 23), 24),
        # the clocks go forward on 29 March 2026: a local day of 23 hours
        (date(2026, 3, 29), date(2026, 3, 29), datetime(2026, 3, 29), datetime(2026, 3, 29, 23), 23),
        # the clocks go back on 25 October 2026: a local day of 25 hours
        (date(2026, 10, 25), date(2026, 10, 25), datetime(2026, 10, 24, 23), datetime(2026, 10, 26), 25),
        # a week across the change
        (
            date(2026, 10, 19),
            date(2026, 10, 25),
            datetime(2026, 10, 18, 23),
            datetime(2026, 10, 26),
            7 * 24 + 1,
        ),
        # a whole year: 365 local days, the lost and the gained hour cancel
        (date(2026, 1, 1), date(2026, 12, 31), datetime(2026, 1, 1), datetime(2027, 1, 1), 365 * 24),
    ],
    ids=["winter", "summer", "clocks-go-forward", "clocks-go-back", "week-across-change", "year"],
)
def test_a_period_is_whole_local_days_in_utc_across_the_clock_changes(
    start: date, end: date, first: datetime, after: datetime, hours: int
) -> None:
    low, high = period_bounds(start, end, LONDON)
    assert (low, high) == (first.replace(tzinfo=UTC), after.replace(tzinfo=UTC))
    assert low.utcoffset() == high.utcoffset() == timedelta(0)
    assert high - low == timedelta(hours=hours)


def test_a_period_that_ends_before_it_starts_is_refused_naming_end() -> None:
    with pytest.raises(DomainError) as refused:
        period_bounds(date(2026, 11, 26), date(2026, 11, 25), LONDON)
    assert refused.value.field == "end"
    assert "2026-11-25" in refused.value.message and "2026-11-26" in refused.value.message


def test_a_period_longer_than_the_longest_is_refused_naming_end() -> None:
    start = date(2026, 1, 1)
    period_bounds(start, start + timedelta(days=LONGEST_PERIOD_DAYS), LONDON)  # the longest allowed
    with pytest.raises(DomainError) as refused:
        period_bounds(start, start + timedelta(days=LONGEST_PERIOD_DAYS + 1), LONDON)
    assert refused.value.field == "end"
    assert str(LONGEST_PERIOD_DAYS) in refused.value.message


# ---- figures from sums -----------------------------------------------------------------------


def sums(group: str, **values: int) -> Sums:
    fields = {name: 0 for name in list(Sums.__dataclass_fields__)[1:]}
    return Sums(group, **(fields | values))


def test_figures_are_shares_of_the_sums() -> None:
    row = sums(
        "alice",
        incidents=8,
        assessed=6,
        searched=2,
        closed=5,
        closed_same_category=4,
        category_reviews=4,
        category_correct=3,
        tasks=3,
        tasks_on_time=1,
        reviews=2,
        score_total=150,
    )
    assert figures(row) == Figures(
        group="alice",
        incidents=8,
        assessed=0.75,
        searched=0.25,
        category_at_close=0.8,
        category_by_review=0.75,
        reassessed_on_time=1 / 3,
        reviews=2,
        score=75.0,
    )


def test_a_share_with_nothing_to_divide_is_none_not_zero() -> None:
    """No incidents closed, reviewed or reassessed: the figure is unknown, not 0%."""
    assert figures(sums("bob", incidents=3, assessed=0)) == Figures(
        "bob", 3, 0.0, 0.0, None, None, None, 0, None
    )
    assert figures(sums("nobody")) == Figures("nobody", 0, None, None, None, None, None, 0, None)
    reviewed_without_category = figures(sums("carol", incidents=1, reviews=1, score_total=40))
    assert (reviewed_without_category.category_by_review, reviewed_without_category.score) == (None, 40.0)


def test_the_total_adds_every_sum_and_its_shares_come_from_the_totals() -> None:
    rows = [
        sums(
            "alice",
            incidents=4,
            assessed=4,
            searched=1,
            closed=2,
            closed_same_category=2,
            reviews=1,
            score_total=90,
        ),
        sums(
            "bob",
            incidents=6,
            assessed=3,
            searched=3,
            closed=2,
            closed_same_category=0,
            tasks=2,
            tasks_on_time=2,
        ),
    ]
    whole = total(rows)
    assert whole == Sums("all", 10, 7, 4, 4, 2, 0, 0, 2, 2, 1, 90)
    shares = figures(whole)
    # shares of the totals, not the mean of each group's shares
    assert (shares.assessed, shares.searched, shares.category_at_close) == (0.7, 0.4, 0.5)
    assert (shares.reassessed_on_time, shares.score, shares.category_by_review) == (1.0, 90.0, None)
    assert total([]) == sums("all")


def test_the_groupings_are_handler_team_shift_and_week() -> None:
    assert GROUPINGS == ("handler", "team", "shift", "week")
