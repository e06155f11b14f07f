"""Attendance clocks, review times and wall-clock time across British Summer Time.

Every clock runs in real (elapsed) minutes: on the days the clocks change a 15-minute
target is still 15 minutes. Wall-clock times people choose are read in the force's zone;
the hour skipped in March is refused and the hour repeated in October is taken the first
time it happens, and said so.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.domain.test_assessment_policy import small_policy
from tests.domain.test_dispatch_policy import small_dispatch_policy
from thriives.domain.clocks import (
    AttendanceClock,
    attendance_clock,
    escalation_times,
    local_to_utc,
    review_time,
)
from thriives.domain.dispatch_policy import DispatchPolicy
from thriives.domain.errors import DomainError

ASSESSMENT = small_policy()  # emergency 15 urban / 20 rural, priority 60, scheduled 1440, resolution none
POLICY = small_dispatch_policy()  # clock from the call, reassess at 75% of the target
FROM_GRADING = dataclasses.replace(POLICY, clock_from="graded")
LONDON = ZoneInfo("Europe/London")
CALL = datetime(2026, 11, 26, 21, 0, tzinfo=UTC)


def clock(
    grade: str | None, area: str = "urban", graded_after: int | None = 4, policy: DispatchPolicy = POLICY
) -> AttendanceClock | None:
    graded = CALL + timedelta(minutes=graded_after) if graded_after is not None else None
    return attendance_clock(grade, area, CALL, graded, ASSESSMENT, policy)


# --- the attendance clock -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("grade", "area", "target"),
    [
        ("emergency", "urban", 15),
        ("emergency", "rural", 20),
        ("priority", "urban", 60),
        ("priority", "rural", 60),
        ("scheduled", "urban", 1440),
    ],
)
def test_the_clock_runs_against_the_grade_target_for_the_area(grade: str, area: str, target: int) -> None:
    found = clock(grade, area)
    assert found is not None
    assert (found.grade, found.area, found.target_minutes) == (grade, area, target)
    assert found.started_at == CALL
    assert found.due_at == CALL + timedelta(minutes=target)
    assert found.at_risk_at == CALL + timedelta(minutes=target * 0.75)


def test_an_emergency_clock_is_at_risk_at_75_percent_and_breached_at_the_target() -> None:
    found = clock("emergency")
    assert found is not None
    assert found.at_risk_at == CALL + timedelta(minutes=11, seconds=15)
    assert found.state(CALL) == "running"
    assert found.state(CALL + timedelta(minutes=11, seconds=14)) == "running"
    assert found.state(CALL + timedelta(minutes=11, seconds=15)) == "at_risk"
    assert found.state(CALL + timedelta(minutes=14, seconds=59)) == "at_risk"
    assert found.state(CALL + timedelta(minutes=15)) == "breached"
    assert found.state(CALL + timedelta(hours=3)) == "breached"


def test_once_someone_arrives_the_clock_is_met_or_missed_whatever_the_time_now() -> None:
    found = clock("emergency")
    assert found is not None
    later = CALL + timedelta(hours=5)
    assert found.state(later, arrived_at=CALL + timedelta(minutes=14)) == "met"
    assert found.state(later, arrived_at=CALL + timedelta(minutes=15)) == "met"
    assert found.state(later, arrived_at=CALL + timedelta(minutes=15, seconds=1)) == "missed"
    assert found.state(CALL, arrived_at=CALL + timedelta(minutes=1)) == "met"


def test_the_reassess_share_is_read_from_the_policy() -> None:
    half = dataclasses.replace(POLICY, reassess_at_share=0.5)
    found = clock("priority", policy=half)
    assert found is not None
    assert found.at_risk_at == CALL + timedelta(minutes=30)


def test_a_clock_from_the_call_ignores_when_it_was_graded() -> None:
    found = clock("emergency", graded_after=10)
    assert found is not None
    assert found.started_at == CALL


def test_a_clock_from_grading_starts_when_it_was_graded() -> None:
    found = clock("emergency", graded_after=10, policy=FROM_GRADING)
    assert found is not None
    assert found.started_at == CALL + timedelta(minutes=10)
    assert found.due_at == CALL + timedelta(minutes=25)


def test_a_clock_from_grading_without_a_grading_time_starts_at_the_call() -> None:
    found = clock("emergency", graded_after=None, policy=FROM_GRADING)
    assert found is not None
    assert found.started_at == CALL


@pytest.mark.parametrize("grade", ["resolution", None, "no_such_grade"])
def test_a_grade_without_a_target_has_no_clock(grade: str | None) -> None:
    assert clock(grade) is None


def test_a_clock_given_local_times_is_kept_in_utc() -> None:
    received = datetime(2026, 7, 1, 9, 0, tzinfo=LONDON)  # 08:00 UTC in summer time
    found = attendance_clock("emergency", "urban", received, None, ASSESSMENT, POLICY)
    assert found is not None
    assert found.started_at == datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
    assert found.started_at.utcoffset() == timedelta(0)
    assert found.due_at == datetime(2026, 7, 1, 8, 15, tzinfo=UTC)


# --- across the change of the clocks -----------------------------------------------------

CHANGE_DAYS = [
    pytest.param(datetime(2026, 3, 29, 0, 55, tzinfo=UTC), id="clocks-go-forward"),
    pytest.param(datetime(2026, 10, 25, 0, 55, tzinfo=UTC), id="clocks-go-back"),
]


@pytest.mark.parametrize("started", CHANGE_DAYS)
def test_a_15_minute_clock_across_the_change_is_due_15_real_minutes_later(started: datetime) -> None:
    found = attendance_clock("emergency", "urban", started, None, ASSESSMENT, POLICY)
    assert found is not None
    assert found.due_at == started + timedelta(minutes=15)
    assert found.due_at == datetime(started.year, started.month, started.day, 1, 10, tzinfo=UTC)
    assert (found.due_at - found.at_risk_at) == timedelta(minutes=3, seconds=45)
    assert found.state(found.due_at - timedelta(seconds=1)) == "at_risk"
    assert found.state(found.due_at) == "breached"


@pytest.mark.parametrize("started", CHANGE_DAYS)
def test_a_clock_started_in_local_time_across_the_change_is_15_real_minutes(started: datetime) -> None:
    local = started.astimezone(LONDON)  # 00:55 GMT in March, 01:55 BST (the first) in October
    found = attendance_clock("emergency", "urban", local, None, ASSESSMENT, POLICY)
    assert found is not None
    assert found.started_at == started
    assert found.due_at - found.started_at == timedelta(minutes=15)
    assert found.due_at == started + timedelta(minutes=15)


def test_the_wall_clock_shows_the_jump_but_the_clock_does_not() -> None:
    started = datetime(2026, 3, 29, 0, 55, tzinfo=UTC)
    found = attendance_clock("emergency", "urban", started, None, ASSESSMENT, POLICY)
    assert found is not None
    assert f"{found.started_at.astimezone(LONDON):%H:%M}" == "00:55"
    assert f"{found.due_at.astimezone(LONDON):%H:%M}" == "02:10"  # an hour skipped on the wall


# --- local wall-clock times ---------------------------------------------------------------


def test_a_time_in_the_hour_skipped_in_march_is_refused() -> None:
    with pytest.raises(DomainError) as refused:
        local_to_utc(datetime(2026, 3, 29, 1, 30), LONDON, "review_at")
    assert refused.value.field == "review_at"
    assert "01:30 on 29 Mar 2026 does not exist in Europe/London" in refused.value.message


def test_a_time_in_the_hour_repeated_in_october_is_its_first_occurrence_and_says_so() -> None:
    when, note = local_to_utc(datetime(2026, 10, 25, 1, 30), LONDON, "review_at")
    assert when == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 01:30 BST, not 01:30 GMT
    assert note is not None
    assert "01:30 on 25 Oct 2026 happens twice in Europe/London" in note
    assert "taken as the first, 01:30 BST" in note


@pytest.mark.parametrize(
    ("wall", "utc"),
    [
        (datetime(2026, 1, 15, 9, 0), datetime(2026, 1, 15, 9, 0, tzinfo=UTC)),
        (datetime(2026, 7, 1, 9, 0), datetime(2026, 7, 1, 8, 0, tzinfo=UTC)),
        (datetime(2026, 3, 29, 0, 59), datetime(2026, 3, 29, 0, 59, tzinfo=UTC)),
        (datetime(2026, 3, 29, 2, 0), datetime(2026, 3, 29, 1, 0, tzinfo=UTC)),
        (datetime(2026, 10, 25, 0, 59), datetime(2026, 10, 24, 23, 59, tzinfo=UTC)),
        (datetime(2026, 10, 25, 2, 0), datetime(2026, 10, 25, 2, 0, tzinfo=UTC)),
    ],
)
def test_an_ordinary_wall_clock_time_converts_with_no_note(wall: datetime, utc: datetime) -> None:
    assert local_to_utc(wall, LONDON, "at") == (utc, None)


def test_a_time_that_already_has_a_zone_is_only_converted() -> None:
    aware = datetime(2026, 10, 25, 1, 30, tzinfo=LONDON, fold=1)  # the second 01:30, GMT
    assert local_to_utc(aware, LONDON, "at") == (datetime(2026, 10, 25, 1, 30, tzinfo=UTC), None)


# --- review times and escalation -----------------------------------------------------------

NOW = datetime(2026, 11, 26, 21, 30, tzinfo=UTC)


def test_a_review_with_no_time_given_is_the_policy_default_from_now() -> None:
    assert review_time(NOW, None, None, POLICY, "review") == NOW + timedelta(minutes=30)


def test_a_review_in_minutes_is_from_now() -> None:
    assert review_time(NOW, 45, None, POLICY, "review") == NOW + timedelta(minutes=45)


def test_a_review_at_a_time_is_that_time_in_utc() -> None:
    at = datetime(2026, 11, 27, 9, 0, tzinfo=LONDON)
    assert review_time(NOW, None, at, POLICY, "review") == datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("minutes", "at", "message"),
    [
        (10, NOW + timedelta(hours=1), "give minutes or a time, not both"),
        (None, datetime(2026, 11, 27, 9, 0), "needs a time zone"),
        (None, NOW, "must be in the future"),
        (None, NOW - timedelta(minutes=1), "must be in the future"),
        (0, None, "must be in the future"),
        (1441, None, "must be within 1440 minutes"),
        (None, NOW + timedelta(days=2), "must be within 1440 minutes"),
    ],
)
def test_a_bad_review_time_is_refused_naming_the_field(
    minutes: int | None, at: datetime | None, message: str
) -> None:
    with pytest.raises(DomainError) as refused:
        review_time(NOW, minutes, at, POLICY, "review_at")
    assert (refused.value.message, refused.value.field) == (message, "review_at")


def test_the_longest_review_is_allowed() -> None:
    assert review_time(NOW, 1440, None, POLICY, "review") == NOW + timedelta(days=1)


def test_escalations_come_after_the_first_wait_then_every_interval() -> None:
    opened = NOW
    assert escalation_times(opened, POLICY, 0) == NOW + timedelta(minutes=10)
    assert escalation_times(opened, POLICY, 1) == NOW + timedelta(minutes=25)
    assert escalation_times(opened, POLICY, 3) == NOW + timedelta(minutes=55)
