"""Appointments: shift windows in real time across BST, who may have one, and booking a slot."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.domain.test_assessment_policy import small_policy
from tests.domain.test_dispatch_policy import small_dispatch_policy
from thriives.domain.appointments import MAX_PLACE, SlotView, check_booking, eligibility, shift_window
from thriives.domain.dispatch_policy import Shift
from thriives.domain.errors import Conflict, DomainError

LONDON = ZoneInfo("Europe/London")
ASSESSMENT = small_policy()
POLICY = small_dispatch_policy()  # appointments for scheduled; DA at most risk low and DASH standard
EARLY = Shift("early", time(7, 0), time(15, 0))
NIGHT = Shift("night", time(23, 0), time(7, 0))
SMALL_HOURS = Shift("small_hours", time(0, 0), time(6, 0))
FORWARD, BACK = date(2026, 3, 29), date(2026, 10, 25)  # the clocks go forward, and back


def hours(window: tuple[datetime, datetime]) -> float:
    start, end = window
    return (end - start) / timedelta(hours=1)


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# --- shift windows ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "start", "end"),
    [
        (date(2026, 1, 15), utc(2026, 1, 15, 7, 0), utc(2026, 1, 15, 15, 0)),  # GMT
        (date(2026, 7, 1), utc(2026, 7, 1, 6, 0), utc(2026, 7, 1, 14, 0)),  # BST
        (FORWARD, utc(2026, 3, 29, 6, 0), utc(2026, 3, 29, 14, 0)),
        (BACK, utc(2026, 10, 25, 7, 0), utc(2026, 10, 25, 15, 0)),
    ],
)
def test_a_day_shift_is_eight_hours_even_on_the_days_the_clocks_change(
    day: date, start: datetime, end: datetime
) -> None:
    window = shift_window(day, EARLY, LONDON)
    assert window == (start, end)
    assert hours(window) == 8
    assert all(t.utcoffset() == timedelta(0) for t in window)


def test_a_night_shift_ends_the_next_day() -> None:
    window = shift_window(date(2026, 1, 15), NIGHT, LONDON)
    assert window == (utc(2026, 1, 15, 23, 0), utc(2026, 1, 16, 7, 0))
    assert hours(window) == 8


def test_a_night_shift_across_the_clocks_going_back_is_nine_hours() -> None:
    window = shift_window(date(2026, 10, 24), NIGHT, LONDON)
    assert window == (utc(2026, 10, 24, 22, 0), utc(2026, 10, 25, 7, 0))
    assert hours(window) == 9


def test_a_night_shift_across_the_clocks_going_forward_is_seven_hours() -> None:
    window = shift_window(date(2026, 3, 28), NIGHT, LONDON)
    assert window == (utc(2026, 3, 28, 23, 0), utc(2026, 3, 29, 6, 0))
    assert hours(window) == 7


@pytest.mark.parametrize(("day", "length"), [(FORWARD, 5), (BACK, 7), (date(2026, 1, 15), 6)])
def test_a_shift_over_one_to_two_in_the_morning_on_a_change_day_gains_or_loses_the_hour(
    day: date, length: int
) -> None:
    assert hours(shift_window(day, SMALL_HOURS, LONDON)) == length


# --- who may be offered one -------------------------------------------------------------------


def test_a_scheduled_call_that_is_not_domestic_abuse_may_have_one() -> None:
    found = eligibility("scheduled", False, {"risk": "high"}, None, POLICY, ASSESSMENT)
    assert found.allowed
    assert found.reasons == ("grade scheduled may have an appointment",)


@pytest.mark.parametrize("grade", ["emergency", "priority", "resolution", None])
def test_a_grade_the_policy_does_not_list_may_not(grade: str | None) -> None:
    found = eligibility(grade, False, {}, None, POLICY, ASSESSMENT)
    assert not found.allowed
    assert found.reasons == (f"grade {grade or 'none'} is not one that may have an appointment (scheduled)",)


@pytest.mark.parametrize(("risk", "dash"), [("none", "standard"), ("low", "standard")])
def test_domestic_abuse_may_have_one_when_risk_and_dash_are_within_the_policy(risk: str, dash: str) -> None:
    found = eligibility("scheduled", True, {"risk": risk, "threat": "high"}, dash, POLICY, ASSESSMENT)
    assert found.allowed
    assert found.reasons == ("domestic abuse: the assessment supports an appointment",)


@pytest.mark.parametrize("risk", ["medium", "high", None])
def test_domestic_abuse_with_risk_above_the_policy_or_unassessed_may_not(risk: str | None) -> None:
    levels = {"risk": risk} if risk else {}
    found = eligibility("scheduled", True, levels, "standard", POLICY, ASSESSMENT)
    assert not found.allowed
    (reason,) = found.reasons
    assert reason.startswith(
        f"domestic abuse with risk {risk or 'not assessed'}: an appointment needs risk at most low"
    )


@pytest.mark.parametrize("dash", ["medium", "high"])
def test_domestic_abuse_with_dash_above_the_policy_may_not(dash: str) -> None:
    found = eligibility("scheduled", True, {"risk": "low"}, dash, POLICY, ASSESSMENT)
    assert not found.allowed
    assert found.reasons == (f"DASH {dash}: an appointment needs DASH at most standard",)


def test_domestic_abuse_without_dash_may_not() -> None:
    found = eligibility("scheduled", True, {"risk": "none"}, None, POLICY, ASSESSMENT)
    assert not found.allowed
    assert found.reasons == ("domestic abuse without a DASH record: complete DASH first",)


def test_every_reason_against_is_given_at_once() -> None:
    found = eligibility("emergency", True, {"risk": "high"}, "high", POLICY, ASSESSMENT)
    assert not found.allowed
    assert len(found.reasons) == 3
    assert [r.split(" ")[0] for r in found.reasons] == ["grade", "domestic", "DASH"]


def test_the_domestic_abuse_limits_are_read_from_the_policy() -> None:
    looser = dataclasses.replace(POLICY, da_highest_risk="medium", da_highest_dash="medium")
    assert eligibility("scheduled", True, {"risk": "medium"}, "medium", looser, ASSESSMENT).allowed
    assert not eligibility("scheduled", True, {"risk": "high"}, "medium", looser, ASSESSMENT).allowed


# --- booking a slot ---------------------------------------------------------------------------

NOW = utc(2026, 11, 26, 21, 30)
SLOT = SlotView(7, "URB", utc(2026, 11, 27, 7, 0), utc(2026, 11, 27, 15, 0), capacity=3, booked=1)


def refused(slot: SlotView, at: datetime, place: str | None, now: datetime = NOW) -> DomainError:
    with pytest.raises(DomainError) as error:
        check_booking(slot, at, place, now)
    return error.value


def test_a_booking_inside_the_slot_returns_the_place_trimmed() -> None:
    assert (
        check_booking(SLOT, utc(2026, 11, 27, 10, 0), "  the library, Ashbury  ", NOW)
        == "the library, Ashbury"
    )


def test_the_slot_start_is_inside_and_its_end_is_not() -> None:
    assert check_booking(SLOT, SLOT.starts_at, "home", NOW) == "home"
    assert refused(SLOT, SLOT.ends_at, "home").field == "at"


def test_a_full_slot_is_a_conflict() -> None:
    full = dataclasses.replace(SLOT, booked=3)
    error = refused(full, utc(2026, 11, 27, 10, 0), "home")
    assert isinstance(error, Conflict)
    assert (error.field, error.status) == ("slot_id", 409)
    assert error.message == "this slot is full (3 of 3 booked)"
    check_booking(dataclasses.replace(SLOT, booked=2), utc(2026, 11, 27, 10, 0), "home", NOW)


@pytest.mark.parametrize(
    "at", [utc(2026, 11, 27, 6, 59), utc(2026, 11, 27, 15, 30), utc(2026, 11, 28, 10, 0)]
)
def test_a_time_outside_the_slot_is_refused(at: datetime) -> None:
    error = refused(SLOT, at, "home")
    assert (error.field, error.message) == ("at", "must be within the slot's shift")
    assert not isinstance(error, Conflict)


def test_a_time_in_the_past_is_refused() -> None:
    later = utc(2026, 11, 27, 11, 0)
    error = refused(SLOT, utc(2026, 11, 27, 10, 0), "home", now=later)
    assert (error.field, error.message) == ("at", "must be in the future")
    assert refused(SLOT, later, "home", now=later).message == "must be in the future"


def test_a_time_without_a_zone_is_refused() -> None:
    assert refused(SLOT, datetime(2026, 11, 27, 10, 0), "home").message == "needs a time zone"


@pytest.mark.parametrize("place", [None, "", "   \n"])
def test_an_empty_place_is_refused(place: str | None) -> None:
    error = refused(SLOT, utc(2026, 11, 27, 10, 0), place)
    assert error.field == "place"
    assert "where the victim will be seen" in error.message


def test_a_place_over_the_limit_is_refused() -> None:
    assert refused(SLOT, utc(2026, 11, 27, 10, 0), "x" * (MAX_PLACE + 1)).field == "place"
    assert check_booking(SLOT, utc(2026, 11, 27, 10, 0), "x" * MAX_PLACE, NOW) == "x" * MAX_PLACE


def test_a_local_time_inside_the_slot_is_accepted() -> None:
    summer = SlotView(8, "URB", utc(2026, 7, 1, 6, 0), utc(2026, 7, 1, 14, 0), 1, 0)
    at = datetime(2026, 7, 1, 7, 30, tzinfo=LONDON)  # 06:30 UTC
    assert check_booking(summer, at, "home", utc(2026, 6, 30, 12, 0)) == "home"
    late = datetime(2026, 7, 1, 14, 30, tzinfo=LONDON)  # 13:30 UTC: inside, though 14:30 on the wall
    assert check_booking(summer, late, "home", utc(2026, 6, 30, 12, 0)) == "home"
    assert (
        refused(summer, datetime(2026, 7, 1, 15, 0, tzinfo=LONDON), "home", utc(2026, 6, 30, 12, 0)).field
        == "at"
    )
