"""Dispatch rules: the unit lifecycle, the risk-ordered queue, distances and recommendations."""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.domain.test_dispatch_policy import small_dispatch_policy
from thriives.domain.dispatch import (
    Position,
    QueueItem,
    Recommendation,
    UnitStatus,
    UnitView,
    check_position,
    check_unit_move,
    distance_km,
    highest_level,
    incident_status_of,
    nearest_area,
    needed_skills,
    queue_order,
    recommend,
    require_available,
    require_free,
)
from thriives.domain.errors import DomainError
from thriives.domain.incidents import Status

POLICY = small_dispatch_policy()
GRADES = ("emergency", "priority", "scheduled", "resolution")
LEVELS = ("none", "low", "medium", "high")
T0 = datetime(2026, 11, 26, 21, 0, tzinfo=UTC)

A, AS, ER, SC, U = (
    UnitStatus.AVAILABLE,
    UnitStatus.ASSIGNED,
    UnitStatus.EN_ROUTE,
    UnitStatus.AT_SCENE,
    UnitStatus.UNAVAILABLE,
)

# --- the unit lifecycle -------------------------------------------------------------------

# Every move a unit may make by itself, and nothing else (assigning, taking away and
# clearing are use-cases that move an incident too).
ALLOWED = {(A, U), (U, A), (AS, ER), (AS, SC), (ER, SC)}
EVERY_PAIR = [(current, target) for current in UnitStatus for target in UnitStatus]


@pytest.mark.parametrize(("current", "target"), sorted(ALLOWED))
def test_an_allowed_unit_move_is_accepted(current: UnitStatus, target: UnitStatus) -> None:
    check_unit_move(current, target)


@pytest.mark.parametrize(("current", "target"), [p for p in EVERY_PAIR if p not in ALLOWED])
def test_any_other_unit_move_is_refused_naming_the_allowed_moves(
    current: UnitStatus, target: UnitStatus
) -> None:
    with pytest.raises(DomainError) as refused:
        check_unit_move(current, target)
    allowed = sorted(t.value for c, t in ALLOWED if c is current)
    assert refused.value.field == "status"
    assert f"{current.value} cannot become {target.value}" in refused.value.message
    assert f"allowed: {', '.join(allowed) or 'none'}" in refused.value.message


@pytest.mark.parametrize("current", [AS, ER, SC])
def test_a_refused_committed_unit_is_told_how_to_be_freed(current: UnitStatus) -> None:
    with pytest.raises(DomainError) as refused:
        check_unit_move(current, A)
    assert "clear it or take it away with a reason" in refused.value.message


def test_an_unavailable_unit_moved_out_of_order_gets_no_hint_about_freeing() -> None:
    with pytest.raises(DomainError) as refused:
        check_unit_move(U, ER)
    assert refused.value.message == "a unit that is unavailable cannot become en_route; allowed: available"


def test_an_at_scene_unit_has_no_moves_of_its_own() -> None:
    with pytest.raises(DomainError) as refused:
        check_unit_move(SC, ER)
    assert "allowed: none" in refused.value.message


def test_only_an_available_unit_may_be_sent() -> None:
    require_available("TA01", A)
    for status in (AS, ER, SC, U):
        with pytest.raises(DomainError) as refused:
            require_available("TA01", status)
        assert refused.value.field == "call_sign"
        assert refused.value.message == f"TA01 is {status.value.replace('_', ' ')}, not available"


# --- the queue ----------------------------------------------------------------------------


def item(reference: str, grade: str | None, risk: str | None, minutes_ago: int) -> QueueItem:
    return QueueItem(reference, grade, risk, T0 - timedelta(minutes=minutes_ago))


def ordered(*items: QueueItem) -> list[str]:
    return [i.reference for i in queue_order(items, GRADES, LEVELS)]


def test_the_grade_comes_before_risk_and_age() -> None:
    assert ordered(
        item("old_scheduled_high", "scheduled", "high", 90),
        item("new_emergency_low", "emergency", "low", 1),
        item("priority_none", "priority", "none", 30),
    ) == ["new_emergency_low", "priority_none", "old_scheduled_high"]


def test_within_a_grade_the_highest_risk_comes_first() -> None:
    assert ordered(
        item("low", "priority", "low", 50),
        item("high", "priority", "high", 5),
        item("medium", "priority", "medium", 40),
        item("none", "priority", "none", 60),
    ) == ["high", "medium", "low", "none"]


def test_within_a_grade_and_risk_the_oldest_comes_first() -> None:
    assert ordered(
        item("newer", "emergency", "high", 2),
        item("oldest", "emergency", "high", 9),
        item("older", "emergency", "high", 5),
    ) == ["oldest", "older", "newer"]


def test_an_ungraded_incident_comes_after_every_grade_however_old_or_risky() -> None:
    assert ordered(
        item("ungraded_old_high", None, "high", 120),
        item("resolution", "resolution", "none", 1),
        item("emergency", "emergency", "low", 3),
    ) == ["emergency", "resolution", "ungraded_old_high"]


def test_ungraded_incidents_are_still_shown_in_risk_then_age_order() -> None:
    assert ordered(
        item("b_new", None, None, 1),
        item("a_high", None, "high", 2),
        item("c_old", None, None, 10),
    ) == ["a_high", "c_old", "b_new"]


def test_a_grade_the_policy_does_not_know_sorts_with_the_ungraded() -> None:
    assert ordered(item("odd", "retired_grade", "high", 100), item("res", "resolution", None, 1)) == [
        "res",
        "odd",
    ]


def test_an_unassessed_risk_sorts_after_an_assessed_one_in_the_same_grade() -> None:
    assert ordered(item("unknown", "priority", None, 60), item("none", "priority", "none", 1)) == [
        "none",
        "unknown",
    ]


UNGRADED_AFTER = ("emergency", "priority")


def ungraded(reference: str, cues: int, minutes_ago: int) -> QueueItem:
    return QueueItem(reference, None, None, T0 - timedelta(minutes=minutes_ago), cues)


def live_order(*items: QueueItem) -> list[str]:
    return [i.reference for i in queue_order(items, GRADES, LEVELS, UNGRADED_AFTER)]


def test_an_ungraded_999_call_sits_above_graded_low_risk_work() -> None:
    assert live_order(
        item("vehicle_crime_resolution", "resolution", "none", 90),
        item("scheduled_old", "scheduled", "high", 120),
        ungraded("silent_999", 1, 1),
    ) == ["silent_999", "scheduled_old", "vehicle_crime_resolution"]


def test_an_ungraded_call_with_cues_comes_after_emergencies_and_before_priority() -> None:
    assert live_order(
        item("priority_old", "priority", "high", 60),
        ungraded("da_call", 2, 1),
        item("emergency_new", "emergency", "low", 1),
    ) == ["emergency_new", "da_call", "priority_old"]


def test_an_ungraded_call_without_cues_comes_after_priority_and_before_scheduled() -> None:
    assert live_order(
        item("scheduled", "scheduled", "high", 60),
        ungraded("quiet_101", 0, 1),
        item("priority", "priority", "none", 1),
    ) == ["priority", "quiet_101", "scheduled"]


def test_among_ungraded_calls_more_cues_come_first_then_the_oldest() -> None:
    assert live_order(
        ungraded("one_cue_old", 1, 30),
        ungraded("two_cues_new", 2, 1),
        ungraded("one_cue_older", 1, 40),
        ungraded("none_oldest", 0, 90),
    ) == ["two_cues_new", "one_cue_older", "one_cue_old", "none_oldest"]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.builds(
            QueueItem,
            reference=st.text("abcdef0123", min_size=1, max_size=6),
            grade=st.none() | st.sampled_from(GRADES),
            risk=st.none() | st.sampled_from(LEVELS),
            received_at=st.integers(0, 600).map(lambda m: T0 - timedelta(minutes=m)),
            cues=st.integers(0, 3),
        ),
        max_size=30,
        unique_by=lambda i: i.reference,
    )
)
def test_no_ungraded_call_is_ever_below_scheduled_or_resolution_work(items: list[QueueItem]) -> None:
    order = queue_order(items, GRADES, LEVELS, UNGRADED_AFTER)
    low = [n for n, i in enumerate(order) if i.grade in ("scheduled", "resolution")]
    unknown = [n for n, i in enumerate(order) if i.grade is None]
    assert not low or not unknown or max(unknown) < min(low)
    assert sorted(order, key=lambda i: i.reference) == sorted(items, key=lambda i: i.reference)


queue_items = st.lists(
    st.builds(
        QueueItem,
        reference=st.text("abcdef0123", min_size=1, max_size=6),
        grade=st.none() | st.sampled_from(GRADES),
        risk=st.none() | st.sampled_from(LEVELS),
        received_at=st.integers(0, 600).map(lambda m: T0 - timedelta(minutes=m)),
    ),
    max_size=30,
    unique_by=lambda i: i.reference,
)


@settings(max_examples=200, deadline=None)
@given(queue_items, st.randoms())
def test_the_queue_holds_every_item_once_whatever_order_they_arrive_in(
    items: list[QueueItem], rng: random.Random
) -> None:
    first = queue_order(items, GRADES, LEVELS)
    shuffled = list(items)
    rng.shuffle(shuffled)
    assert queue_order(shuffled, GRADES, LEVELS) == first
    assert sorted(first, key=lambda i: i.reference) == sorted(items, key=lambda i: i.reference)


@settings(max_examples=200, deadline=None)
@given(queue_items)
def test_no_item_is_ever_ahead_of_a_more_urgent_grade(items: list[QueueItem]) -> None:
    ranks = [GRADES.index(i.grade) if i.grade else len(GRADES) for i in queue_order(items, GRADES, LEVELS)]
    assert ranks == sorted(ranks)


def test_the_highest_level_of_an_assessment_is_its_risk() -> None:
    assert highest_level({"threat": "low", "harm": "high", "risk": "medium"}, LEVELS) == "high"
    assert highest_level({"threat": "none"}, LEVELS) == "none"
    assert highest_level({}, LEVELS) is None
    assert highest_level({"threat": "severe"}, LEVELS) is None


# --- distance and area --------------------------------------------------------------------

LONDON = Position(51.5074, -0.1278)
PARIS = Position(48.8566, 2.3522)


def test_distance_is_the_great_circle_distance() -> None:
    assert distance_km(LONDON, PARIS) == pytest.approx(343.5, abs=1.0)
    assert distance_km(Position(52.0, -1.0), Position(53.0, -1.0)) == pytest.approx(111.2, abs=0.1)
    assert distance_km(LONDON, LONDON) == 0.0


def test_distance_is_the_same_both_ways() -> None:
    assert distance_km(LONDON, PARIS) == pytest.approx(distance_km(PARIS, LONDON))


def test_the_area_is_that_of_the_nearest_station() -> None:
    stations = [(Position(52.0, -1.0), "urban"), (Position(52.4, -1.6), "rural")]
    assert nearest_area(Position(52.05, -1.02), stations) == "urban"
    assert nearest_area(Position(52.35, -1.55), stations) == "rural"
    assert nearest_area(Position(52.05, -1.02), []) is None


# --- what an incident needs ---------------------------------------------------------------


def test_domestic_abuse_wants_a_trained_unit_but_does_not_require_one() -> None:
    required, wanted, why = needed_skills(POLICY, "domestic_incident", frozenset(), frozenset())
    assert (required, wanted, why) == ((), ("da_trained",), ("domestic_abuse",))


def test_a_firearm_requires_firearms_and_a_skill_required_is_not_also_wanted() -> None:
    required, wanted, why = needed_skills(
        POLICY, "crime_burglary", frozenset({"domestic"}), frozenset({"firearm", "weapon"})
    )
    assert required == ("firearms",)
    assert wanted == ("da_trained", "taser")
    assert why == ("domestic_abuse", "firearm", "weapon")


def test_an_incident_no_need_applies_to_needs_nothing() -> None:
    assert needed_skills(POLICY, "crime_burglary", frozenset(), frozenset({"violence"})) == ((), (), ())


# --- recommendations ----------------------------------------------------------------------
# The small policy travels at 30 km/h in towns and 60 km/h in the country, so a 5-minute
# travel band is 2.5 km urban and 5 km rural; "armed" is a specialist unit type.

SCENE = Position(52.0, -1.0)


def unit(
    call_sign: str, km_north: float | None, *skills: str, status: UnitStatus = A, unit_type: str = "response"
) -> UnitView:
    where = None if km_north is None else Position(52.0 + km_north / 111.195, -1.0)
    return UnitView(call_sign, unit_type, frozenset(skills), status, where)


def call_signs(found: list[Recommendation]) -> list[str]:
    return [r.call_sign for r in found]


def test_a_unit_lacking_a_required_skill_is_never_recommended() -> None:
    units = [unit("NEAR", 0.5, "taser"), unit("FAR", 9.0, "firearms")]
    found = recommend(units, SCENE, "urban", ("firearms",), (), POLICY)
    assert call_signs(found) == ["FAR"]
    assert found[0].has == ("firearms",)
    assert "has the required Firearms" in found[0].reasons  # skills in words


@pytest.mark.parametrize("status", [AS, ER, SC, U])
def test_a_unit_that_is_not_available_is_never_recommended(status: UnitStatus) -> None:
    units = [unit("BUSY", 0.1, "da_trained", status=status), unit("FREE", 5.0)]
    assert call_signs(recommend(units, SCENE, "urban", (), ("da_trained",), POLICY)) == ["FREE"]


def test_a_near_unit_comes_before_a_far_one_with_the_wanted_skills() -> None:
    units = [unit("FAR_BOTH", 8.0, "da_trained", "taser"), unit("NEAR_NONE", 0.5)]
    found = recommend(units, SCENE, "urban", (), ("da_trained", "taser"), POLICY)
    assert call_signs(found) == ["NEAR_NONE", "FAR_BOTH"]


def test_within_a_travel_band_units_lacking_fewer_wanted_skills_come_first_then_the_nearest() -> None:
    units = [  # all within 2.5 km: the first 5-minute band in town
        unit("NEAREST_NONE", 0.5),
        unit("FAR_BOTH", 2.4, "da_trained", "taser"),
        unit("MID_ONE", 2.0, "taser"),
        unit("NEAR_ONE", 1.0, "da_trained"),
    ]
    found = recommend(units, SCENE, "urban", (), ("da_trained", "taser"), POLICY)
    assert call_signs(found) == ["FAR_BOTH", "NEAR_ONE", "MID_ONE"]  # the policy recommends three
    assert [r.lacks for r in found] == [(), ("taser",), ("da_trained",)]


@pytest.mark.parametrize(("area", "first"), [("urban", "CLOSE_NONE"), ("rural", "TRAINED")])
def test_the_travel_band_follows_the_area_speed(area: str, first: str) -> None:
    # 2.6 km is 5.2 minutes in town (the second band) but 2.6 minutes in the country (the first)
    units = [unit("TRAINED", 2.6, "da_trained"), unit("CLOSE_NONE", 2.4)]
    assert call_signs(recommend(units, SCENE, area, (), ("da_trained",), POLICY))[0] == first


def test_within_a_band_a_general_unit_comes_before_a_specialist_not_needed() -> None:
    units = [unit("ARMED", 0.3, "firearms", unit_type="armed"), unit("GENERAL", 2.0)]
    found = recommend(units, SCENE, "urban", (), (), POLICY)
    assert call_signs(found) == ["GENERAL", "ARMED"]
    assert found[1].reasons[-1] == "Armed response unit: kept free if a general one is as near"
    assert all("kept free" not in reason for reason in found[0].reasons)


def test_a_specialist_is_not_kept_back_from_work_that_needs_it() -> None:
    units = [unit("ARMED", 0.3, "firearms", unit_type="armed"), unit("GENERAL", 2.0, "firearms")]
    found = recommend(units, SCENE, "urban", ("firearms",), (), POLICY)
    assert call_signs(found) == ["ARMED", "GENERAL"]
    assert all("kept free" not in reason for reason in found[0].reasons)


def test_a_nearer_specialist_comes_before_a_general_unit_a_band_further() -> None:
    units = [unit("ARMED", 0.3, unit_type="armed"), unit("GENERAL", 3.0)]
    assert call_signs(recommend(units, SCENE, "urban", (), (), POLICY)) == ["ARMED", "GENERAL"]


def test_a_recommendation_gives_its_reasons_distance_and_time() -> None:
    (first,) = recommend([unit("TA01", 6.0, "taser")], SCENE, "urban", (), ("da_trained", "taser"), POLICY)
    assert first.distance_km == pytest.approx(6.0, abs=0.01)
    assert first.minutes == pytest.approx(12.0, abs=0.05)  # 6 km at 30 km/h
    assert first.has == ("taser",)
    assert first.reasons == (
        "lacks Domestic-abuse trained",
        "6.0 km, about 12 min from its station: no recent position",
    )


def test_the_travel_time_uses_the_area_speed() -> None:
    (rural,) = recommend([unit("TA01", 6.0)], SCENE, "rural", (), (), POLICY)
    assert rural.minutes == pytest.approx(6.0, abs=0.05)  # 6 km at 60 km/h


def test_a_unit_with_every_wanted_skill_says_so() -> None:
    (first,) = recommend([unit("TA01", 1.0, "da_trained")], SCENE, "urban", (), ("da_trained",), POLICY)
    assert first.reasons[0] == "has Domestic-abuse trained"
    assert first.lacks == ()


def test_without_a_location_units_are_ranked_by_skills_alone_and_say_why() -> None:
    units = [unit("TB02", 1.0), unit("TA01", 9.0), unit("TC03", 20.0, "da_trained")]
    found = recommend(units, None, "urban", (), ("da_trained",), POLICY)
    assert call_signs(found) == ["TC03", "TA01", "TB02"]  # then the call sign breaks the tie
    assert all(r.distance_km is None and r.minutes is None for r in found)
    assert found[1].reasons == ("lacks Domestic-abuse trained", "distance unknown (no location)")


def test_a_unit_without_a_position_comes_after_located_units() -> None:
    found = recommend(
        [unit("AAA", None, "da_trained"), unit("ZZZ", 20.0)], SCENE, "urban", (), ("da_trained",), POLICY
    )
    assert call_signs(found) == ["ZZZ", "AAA"]


def test_no_more_units_are_recommended_than_the_policy_says() -> None:
    units = [unit(f"T{n:02d}", n / 2) for n in range(10)]
    assert call_signs(recommend(units, SCENE, "urban", (), (), POLICY)) == ["T00", "T01", "T02"]
    five = dataclasses.replace(POLICY, recommend=5)
    assert len(recommend(units, SCENE, "urban", (), (), five)) == 5


def test_no_unit_able_to_go_means_no_recommendation() -> None:
    units = [unit("TA01", 1.0, status=U), unit("TA02", 1.0, "taser")]
    assert recommend(units, SCENE, "urban", ("firearms",), (), POLICY) == []


# ---- several units, positions -------------------------------------------------------------

NOW = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)


def test_a_recent_last_position_is_measured_from_and_said_so() -> None:
    near = Position(52.0 + 1.0 / 111.195, -1.0)  # 1 km from the scene
    recent = dataclasses.replace(unit("TA01", 9.0), last=near, last_at=NOW - timedelta(minutes=3))
    stale = dataclasses.replace(
        unit("TA02", 9.0), last=near, last_at=NOW - timedelta(minutes=POLICY.position_max_age_minutes + 1)
    )
    never = unit("TA03", 9.0)
    found = {r.call_sign: r for r in recommend([recent, stale, never], SCENE, "urban", (), (), POLICY, NOW)}
    assert found["TA01"].measured_from == "last_position" and found["TA01"].distance_km == pytest.approx(
        1.0, 0.01
    )
    assert found["TA01"].reasons[-1] == "1.0 km, about 2 min from its last known position, 3 min ago"
    assert found["TA02"].measured_from == "station" and found["TA02"].distance_km == pytest.approx(9.0, 0.01)
    assert found["TA02"].reasons[-1].endswith("from its station: no recent position (last 21 min ago)")
    assert found["TA03"].reasons[-1].endswith("from its station: no recent position")
    assert found["TA01"].type_label == "Response"


def test_without_a_time_the_station_is_used() -> None:
    near = Position(52.0 + 1.0 / 111.195, -1.0)
    (found,) = recommend(
        [dataclasses.replace(unit("TA01", 9.0), last=near, last_at=NOW)], SCENE, "urban", (), (), POLICY
    )
    assert found.measured_from == "station"


@pytest.mark.parametrize(
    ("units", "status"),
    [
        ([], None),
        ([AS], Status.DISPATCHED),
        ([AS, ER], Status.DISPATCHED),
        ([ER, SC], Status.AT_SCENE),
        ([SC], Status.AT_SCENE),
    ],
)
def test_an_incident_status_follows_its_units(units: list[UnitStatus], status: Status | None) -> None:
    assert incident_status_of(units) == status


@pytest.mark.parametrize(
    ("status", "held", "words"),
    [
        (ER, "REF-1", "TA01 is committed elsewhere: en route on REF-1"),
        (SC, "REF-2", "TA01 is already at scene on REF-2"),
        (U, None, "TA01 is unavailable"),
    ],
)
def test_a_unit_that_cannot_go_is_refused_saying_where(
    status: UnitStatus, held: str | None, words: str
) -> None:
    with pytest.raises(DomainError) as refused:
        require_free("TA01", status, held, "REF-2")
    assert refused.value.field == "call_sign" and refused.value.message.startswith(words)
    require_free("TA01", UnitStatus.AVAILABLE, None, "REF-2")


@pytest.mark.parametrize(
    ("lat", "lon", "at", "field"),
    [
        (48.0, -1.0, None, "latitude"),
        (52.0, 5.0, None, "longitude"),
        (52.0, None, None, "longitude"),
        (None, -1.0, None, "latitude"),
        (52.0, -1.0, NOW + timedelta(minutes=2), "at"),
    ],
)
def test_a_bad_position_is_refused_naming_the_field(
    lat: float | None, lon: float | None, at: datetime | None, field: str
) -> None:
    with pytest.raises(DomainError) as refused:
        check_position(lat, lon, at, NOW)
    assert refused.value.field == field


def test_a_good_position_or_none() -> None:
    assert check_position(52.0, -1.0, NOW - timedelta(minutes=1), NOW) == Position(52.0, -1.0)
    assert check_position(None, None, None, NOW) is None
