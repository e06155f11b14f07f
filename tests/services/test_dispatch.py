"""Dispatch use-cases on both stores: clocks from grading, assigning and moving units, the board.

The helpers at the top (a small force, opening and grading a call, a snapshot of an
incident) are shared by the reassessment and deadline tests.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from tests.conftest import FakeClock, People
from tests.services.test_assessments import facts_of, submission
from thriives.adapters.db.dispatch_tables import deadlines
from thriives.adapters.db.tables import districts, events, stations, units
from thriives.bootstrap import Container
from thriives.domain.accounts import Actor, Role
from thriives.domain.assessment import Rating
from thriives.domain.dispatch import UnitStatus
from thriives.domain.errors import Conflict, DomainError
from thriives.domain.incidents import Channel, Contact, Status
from thriives.domain.reassessment import Completion

# A two-district force: an urban town and a rural one 40 km away.
URBAN_STATION = (52.30, -1.50)
RURAL_STATION = (52.55, -1.05)
NEAR_URBAN = (52.305, -1.505)
NEAR_RURAL = (52.548, -1.052)
UNITS = (
    # call sign, type, station, skills, status, position
    ("AS11", "response", "AS1", ["taser"], "available", (52.300, -1.500)),
    ("AS12", "response", "AS1", [], "available", (52.320, -1.530)),
    ("AS21", "domestic_abuse", "AS1", ["da_trained"], "available", (52.312, -1.515)),
    ("AS99", "response", "AS1", [], "unavailable", (52.300, -1.500)),
    ("MO11", "response", "MO1", [], "available", (52.550, -1.050)),
)


def seed_force(container: Container) -> None:
    with container.uow(write=True) as uow:
        connection = uow.connection
        connection.execute(
            insert(districts),
            [
                {"code": "AS", "name": "Ashbury", "kind": "urban"},
                {"code": "MO", "name": "Moorfield", "kind": "rural"},
            ],
        )
        connection.execute(
            insert(stations),
            [
                {"code": code, "name": name, "district_code": district, "latitude": lat, "longitude": lon}
                for code, name, district, (lat, lon) in (
                    ("AS1", "Ashbury", "AS", URBAN_STATION),
                    ("MO1", "Moorfield", "MO", RURAL_STATION),
                )
            ],
        )
        connection.execute(
            insert(units),
            [
                {
                    "call_sign": call_sign,
                    "unit_type": kind,
                    "station_code": station,
                    "skills": skills,
                    "status": status,
                    "latitude": lat,
                    "longitude": lon,
                    "version": 1,
                }
                for call_sign, kind, station, skills, status, (lat, lon) in UNITS
            ],
        )
        uow.commit()


@pytest.fixture
def force(container: Container) -> None:
    seed_force(container)


def open_incident(
    container: Container,
    actor: Actor,
    clock: FakeClock,
    where: tuple[float, float] | None = NEAR_URBAN,
    **changes: Any,
) -> dict[str, Any]:
    values: dict[str, Any] = {
        "channel": Channel.EMERGENCY,
        "received_at": clock(),
        "opening_category": "crime_violence",
        "qualifiers": (),
        "account": "A fight outside the pub.",
    }
    if where is not None:
        values["latitude"], values["longitude"] = where
    values.update(changes)
    return container.incidents.open(actor, Contact(**values), clock()).incident


def assess(
    container: Container,
    actor: Actor,
    incident: dict[str, Any],
    clock: FakeClock,
    levels: dict[str, str] | None = None,
    **changes: Any,
) -> int:
    """Save an assessment (every factor low unless ``levels`` says otherwise); its version."""
    base = submission(container, facts_of(incident))
    ratings = dict(base.ratings) | {f: Rating(v, f"{f} is {v}") for f, v in (levels or {}).items()}
    made = submission(container, facts_of(incident), ratings=ratings, **changes)
    return container.assessments.assess(actor, incident["reference"], made, clock()).version


EMERGENCY = {"risk": "high"}  # risk_high: an emergency response
PRIORITY = {"investigation": "high"}  # any_factor_high: priority
SCHEDULED = {"engagement": "medium"}  # some risk, nothing high: scheduled


def incident_row(container: Container, reference: str) -> dict[str, Any]:
    with container.uow() as uow:
        return uow.incidents.require(reference)


def pending(container: Container, incident_id: str) -> list[tuple[str, datetime]]:
    with container.uow() as uow:
        return [(d["kind"], d["due_at"]) for d in uow.dispatch.pending_deadlines(incident_id)]


def attendance(container: Container, incident_id: str) -> list[tuple[str, datetime]]:
    """The pending attendance deadlines (the clock), without reassessment escalations."""
    return [d for d in pending(container, incident_id) if d[0].startswith("attendance.")]


def timeline(container: Container, incident_id: str) -> list[dict[str, Any]]:
    with container.uow() as uow:
        return uow.journal.timeline(incident_id)


def unit_row(container: Container, call_sign: str) -> dict[str, Any]:
    with container.uow() as uow:
        return uow.dispatch.unit(call_sign)


def snapshot(container: Container, reference: str) -> tuple[str, int, int]:
    """(status, version, how many events in the whole store): what a refusal must not change."""
    with container.uow() as uow:
        row = uow.incidents.require(reference)
        count = uow.connection.execute(select(func.count()).select_from(events)).scalar_one()
    return row["status"], row["version"], int(count)


def task_of(container: Container, incident_id: str) -> dict[str, Any] | None:
    with container.uow() as uow:
        return uow.dispatch.open_task(incident_id)


# ---- attendance clocks from grading ----------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "area", "target"),
    [(NEAR_URBAN, "urban", 15), (NEAR_RURAL, "rural", 20), (None, "urban", 15)],
    ids=["urban", "rural", "unknown"],
)
def test_grading_starts_the_attendance_clock_for_the_area(
    container: Container,
    force: None,
    people: People,
    clock: FakeClock,
    where: tuple[float, float] | None,
    area: str,
    target: int,
) -> None:
    handler = people()
    received = clock()
    incident = open_incident(container, handler, clock, where)
    clock.advance(minutes=2)
    assess(container, handler, incident, clock, EMERGENCY)
    row = incident_row(container, incident["reference"])
    assert (row["status"], row["grade"], row["area"]) == ("graded", "emergency", area)
    if where is None:
        assert container.dispatch.policy.unknown_area == area
    assert pending(container, incident["id"]) == [
        ("attendance.at_risk", received + timedelta(minutes=target * 0.75)),
        ("attendance.breach", received + timedelta(minutes=target)),
    ]


def test_a_regrade_reschedules_the_clock_and_only_times_still_ahead(
    container: Container, force: None, people: People, clock: FakeClock
) -> None:
    handler = people()
    received = clock()
    incident = open_incident(container, handler, clock)
    assess(container, handler, incident, clock, EMERGENCY)
    clock.advance(minutes=5)
    assess(container, handler, incident, clock, PRIORITY, grade="priority", override_reason="he has left")
    assert pending(container, incident["id"]) == [
        ("attendance.at_risk", received + timedelta(minutes=45)),
        ("attendance.breach", received + timedelta(minutes=60)),
    ]
    clock.advance(minutes=45)  # 50 minutes after the call: the at-risk point has passed
    assess(container, handler, incident, clock, EMERGENCY)
    assess(container, handler, incident, clock, PRIORITY, grade="priority", override_reason="he left again")
    assert pending(container, incident["id"]) == [("attendance.breach", received + timedelta(minutes=60))]
    with container.uow() as uow:
        states = uow.connection.execute(
            select(deadlines.c.state, func.count())
            .where(deadlines.c.incident_id == incident["id"])
            .group_by(deadlines.c.state)
        ).all()
    # the grading clock (stopped by the first grade), the emergency's 2, then the priority's 2
    assert dict(states) == {"cancelled": 5, "pending": 1}


def test_an_assessment_that_keeps_the_grade_leaves_the_clock_alone(
    container: Container, force: None, people: People, clock: FakeClock
) -> None:
    handler = people()
    incident = open_incident(container, handler, clock)
    assess(container, handler, incident, clock, EMERGENCY)
    before = pending(container, incident["id"])
    clock.advance(minutes=3)
    assess(container, handler, incident, clock, EMERGENCY | {"harm": "high"})
    assert pending(container, incident["id"]) == before


def test_an_ungraded_or_unresponded_incident_has_no_attendance_clock(
    container: Container, force: None, people: People, clock: FakeClock
) -> None:
    handler = people()
    received = clock()
    incident = open_incident(container, handler, clock)
    # Not graded yet: only its grading clock (a 999 call: 5 minutes) runs.
    assert pending(container, incident["id"]) == [("grading.late", received + timedelta(minutes=5))]
    assess(container, handler, incident, clock)  # every factor low: resolution, no target
    assert incident_row(container, incident["reference"])["grade"] == "resolution"
    # No attendance target; the follow-up the call is owed falls due in a day.
    assert pending(container, incident["id"]) == [("follow_up.overdue", received + timedelta(days=1))]


# ---- assigning -------------------------------------------------------------------------------


def test_resources_are_shown_only_once_graded_and_ranked_by_skill_then_distance(
    container: Container, force: None, people: People, clock: FakeClock
) -> None:
    handler, dispatcher = people(), people(Role.DISPATCHER)
    fight = open_incident(container, handler, clock)
    with pytest.raises(DomainError) as refused:
        container.dispatch.recommendations(dispatcher, fight["reference"])
    assert refused.value.field == "reference"
    assess(container, handler, fight, clock, EMERGENCY)
    needs, found = container.dispatch.recommendations(dispatcher, fight["reference"])
    assert [r.call_sign for r in found] == ["AS11", "AS12", "AS21", "MO11"]  # AS99 is unavailable
    assert needs["area"] == "urban" and needs["located"]
    domestic = open_incident(
        container, handler, clock, opening_category="domestic_incident", qualifiers=("domestic",)
    )
    assess(container, handler, domestic, clock)
    needs, found = container.dispatch.recommendations(dispatcher, domestic["reference"])
    assert needs["wanted"] == ["da_trained"]
    assert found[0].call_sign == "AS21" and found[0].lacks == ()
    assert found[1].lacks == ("da_trained",)


def test_assigning_the_recommended_unit_is_recorded_as_followed(
    container: Container, force: None, people: People, clock: FakeClock
) -> None:
    handler, dispatcher = people(), people(Role.DISPATCHER)
    incident = open_incident(container, handler, clock)
    assess(container, handler, incident, clock, EMERGENCY)
    clock.advance(minutes=2)
    after = container.dispatch.assign(dispatcher, incident["reference"], "AS11", None, clock())
    assert after["status"] == "dispatched"
    row = incident_row(container, incident["reference"])
    assert (row["status"], row["dispatched_at"]) == ("dispatched", clock())
    unit = unit_row(container, "AS11")
    assert (unit["status"], unit["incident_id"]) == ("assigned", incident["id"])
    with container.uow() as uow:
        (assignment,) = uow.dispatch.assignments_of(incident["id"])
    assert assignment["followed"] and assignment["reason"] is None
    assert assignment["recommended"][:2] == ["AS11", "AS12"]
    dispatched = [e for e in timeline(container, incident["id"]) if e["kind"] == "incident.dispatched"]
    assert dispatched[0]["data"]["followed"] is True and dispatched[0]["data"]["call_sign"] == "AS11"
    moves = [e["data"] for e in timeline(container, incident["id"]) if e["kind"] == "unit.status"]
    assert moves == [{"call_sign": "AS11", "before": "available", "after": "assigned"}]


def test_another_unit_than_the_recommendation_needs_a_reason_which_is_recorded(
    container: Container, force: None, people: People, clock: FakeClock
) -> None:
    handler, dispatcher = people(), people(Role.DISPATCHER)
    incident = open_incident(container, handler, clock)
    assess(container, handler, incident, clock, EMERGENCY)
    before = snapshot(container, incident["reference"])
    with pytest.raises(DomainError) as refused:
        container.dispatch.assign(dispatcher, incident["reference"], "AS12", None, clock())
    assert refused.value.field == "reason" and "AS11" in refused.value.message
    assert snapshot(container, incident["reference"]) == before
    assert unit_row(container, "AS12")["status"] == "available"
    container.dispatch.assign(dispatcher, incident["reference"], "AS12", " AS11 is on a break ", clock())
    with container.uow() as uow:
        (assignment,) = uow.dispatch.assignments_of(incident["id"])
    assert (assignment["followed"], assignment["reason"]) == (False, "AS11 is on a break")
    (event,) = [e for e in timeline(container, incident["id"]) if e["kind"] == "incident.dispatched"]
    assert (event["data"]["followed"], event["data"]["reason"]) == (False, "AS11 is on a break")


def test_concurrent_assignments_of_one_unit_send_it_to_one_incident_only(
    container: Container, force: None, people: People, clock: FakeClock
) -> None:
    handler, dispatcher = people(), people(Role.DISPATCHER)
    references = []
    for _ in range(6):
        incident = open_incident(container, handler, clock)
        assess(container, handler, incident, clock, EMERGENCY)
        references.append(incident["reference"])

    def attempt(reference: str) -> str | None:
        try:
            container.dispatch.assign(dispatcher, reference, "AS11", "the nearest", clock())
            return "sent"
        except DomainError as error:
            return error.field

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(attempt, references))
    assert results.count("sent") == 1 and set(results) <= {"sent", "call_sign", "version"}, results
    winner = references[results.index("sent")]
    statuses = {r: incident_row(container, r)["status"] for r in references}
    assert statuses == {r: "dispatched" if r == winner else "graded" for r in references}
    unit = unit_row(container, "AS11")
    assert (unit["status"], unit["incident_id"]) == ("assigned", incident_row(container, winner)["id"])


def test_a_unit_moves_en_route_then_at_scene_and_arrival_stops_the_clock(
    container: Container, force: None, people: People, clock: FakeClock
) -> None:
    handler, dispatcher = people(), people(Role.DISPATCHER)
    incident = open_incident(container, handler, clock)
    assess(container, handler, incident, clock, EMERGENCY)
    clock.advance(minutes=3)
    dispatched_at = clock()
    container.dispatch.assign(dispatcher, incident["reference"], "AS11", None, clock())
    clock.advance(minutes=1)
    container.dispatch.move(dispatcher, "AS11", UnitStatus.EN_ROUTE, clock())
    assert len(pending(container, incident["id"])) == 2  # still counting: nobody there yet
    assert incident_row(container, incident["reference"])["status"] == "dispatched"
    clock.advance(minutes=5)
    arrived_at = clock()
    container.dispatch.move(dispatcher, "AS11", UnitStatus.AT_SCENE, clock())
    row = incident_row(container, incident["reference"])
    assert (row["status"], row["dispatched_at"], row["arrived_at"]) == ("at_scene", dispatched_at, arrived_at)
    assert pending(container, incident["id"]) == []
    with container.uow() as uow:
        (assignment,) = uow.dispatch.assignments_of(incident["id"])
        states = uow.connection.execute(
            select(deadlines.c.state).where(deadlines.c.incident_id == incident["id"])
        ).all()
    assert (assignment["en_route_at"], assignment["arrived_at"]) == (
        dispatched_at + timedelta(minutes=1),
        arrived_at,
    )
    assert sorted(s for (s,) in states) == ["cancelled"] * 3  # the grading clock and the attendance two

    # Taken away and sent again: the first dispatch and the first arrival are what count.
    clock.advance(minutes=10)
    container.dispatch.take_away(dispatcher, "AS11", "needed at a collision", clock())
    assert attendance(container, incident["id"]) == []  # someone has attended: no new clock
    clock.advance(minutes=1)
    container.dispatch.assign(
        dispatcher, incident["reference"], "AS12", "AS11 still at the collision", clock()
    )
    clock.advance(minutes=4)
    container.dispatch.move(dispatcher, "AS12", UnitStatus.AT_SCENE, clock())
    row = incident_row(container, incident["reference"])
    assert (row["status"], row["dispatched_at"], row["arrived_at"]) == ("at_scene", dispatched_at, arrived_at)


def test_a_unit_taken_away_puts_its_incident_back_on_the_queue_with_a_reassessment_task(
    container: Container, force: None, people: People, clock: FakeClock
) -> None:
    handler, dispatcher = people(), people(Role.DISPATCHER)
    received = clock()
    incident = open_incident(container, handler, clock)
    assess(container, handler, incident, clock, EMERGENCY)
    container.dispatch.assign(dispatcher, incident["reference"], "AS11", None, clock())
    before = snapshot(container, incident["reference"])
    with pytest.raises(DomainError) as refused:
        container.dispatch.take_away(dispatcher, "AS11", "  ", clock())
    assert refused.value.field == "reason"
    assert snapshot(container, incident["reference"]) == before
    clock.advance(minutes=4)
    after = container.dispatch.take_away(dispatcher, "AS11", "diverted to a firearms call", clock())
    row = incident_row(container, incident["reference"])
    assert row["status"] == "graded" and row["version"] == before[1] + 1
    unit = unit_row(container, "AS11")
    assert (unit["status"], unit["incident_id"]) == ("available", None)
    task = task_of(container, incident["id"])
    assert task is not None and task["id"] == after["task"]
    assert [t["trigger"] for t in task["triggers"]] == ["unit_taken_away"]
    assert task["triggers"][0]["call_sign"] == "AS11"
    assert attendance(container, incident["id"]) == [
        ("attendance.at_risk", received + timedelta(minutes=11.25)),
        ("attendance.breach", received + timedelta(minutes=15)),
    ]
    kinds = [e["kind"] for e in timeline(container, incident["id"])]
    assert kinds[-3:] == ["unit.status", "incident.unit_taken_away", "reassessment.opened"]
    with container.uow() as uow:
        (assignment,) = uow.dispatch.assignments_of(incident["id"])
    assert (assignment["ended_at"], assignment["end_reason"]) == (clock(), "taken_away")

    # Sent again and stood down as unavailable this time.
    container.dispatch.assign(dispatcher, incident["reference"], "AS11", None, clock())
    container.dispatch.take_away(dispatcher, "AS11", "vehicle fault", clock(), unavailable=True)
    assert unit_row(container, "AS11")["status"] == "unavailable"
    task = task_of(container, incident["id"])
    assert task is not None and [t["trigger"] for t in task["triggers"]] == ["unit_taken_away"] * 2


def test_a_unit_hands_its_incident_over_to_another_in_one_step(
    container: Container, force: None, people: People, clock: FakeClock
) -> None:
    handler, dispatcher = people(), people(Role.DISPATCHER)
    incident = open_incident(container, handler, clock)
    assess(container, handler, incident, clock, EMERGENCY)
    container.dispatch.assign(dispatcher, incident["reference"], "AS11", None, clock())
    before = snapshot(container, incident["reference"])
    for to, reason, field in (("AS99", "AS99 is closer", "to_call_sign"), ("AS12", None, "reason")):
        with pytest.raises(DomainError) as refused:
            container.dispatch.hand_over(dispatcher, "AS11", to, reason, clock())
        assert refused.value.field == field
        assert snapshot(container, incident["reference"]) == before
    clock.advance(minutes=2)
    after = container.dispatch.hand_over(dispatcher, "AS11", "AS12", "end of AS11's shift", clock())
    assert after["status"] == "dispatched"
    assert (unit_row(container, "AS11")["status"], unit_row(container, "AS11")["incident_id"]) == (
        "available",
        None,
    )
    assert (unit_row(container, "AS12")["status"], unit_row(container, "AS12")["incident_id"]) == (
        "assigned",
        incident["id"],
    )
    with container.uow() as uow:
        first, second = uow.dispatch.assignments_of(incident["id"])
    assert (first["call_sign"], first["end_reason"], first["ended_at"]) == ("AS11", "handed_over", clock())
    assert (second["call_sign"], second["ended_at"], second["reason"]) == (
        "AS12",
        None,
        "end of AS11's shift",
    )
    (event,) = [e for e in timeline(container, incident["id"]) if e["kind"] == "incident.handed_over"]
    assert (event["data"]["from"], event["data"]["to"]) == ("AS11", "AS12")


def test_closing_releases_the_unit_and_cancels_every_deadline(
    container: Container, force: None, people: People, clock: FakeClock
) -> None:
    handler, dispatcher = people(), people(Role.DISPATCHER)
    incident = open_incident(container, handler, clock)
    assess(container, handler, incident, clock, EMERGENCY)
    container.dispatch.assign(dispatcher, incident["reference"], "AS11", None, clock())
    container.dispatch.move(dispatcher, "AS11", UnitStatus.EN_ROUTE, clock())
    clock.advance(minutes=6)
    container.incidents.close(  # an emergency nobody attended: a supervisor's decision
        people(Role.SUPERVISOR),
        incident["reference"],
        "crime_violence",
        "crime_recorded",
        "stood down",
        clock(),
    )
    unit = unit_row(container, "AS11")
    assert (unit["status"], unit["incident_id"]) == ("available", None)
    assert pending(container, incident["id"]) == []
    with container.uow() as uow:
        (assignment,) = uow.dispatch.assignments_of(incident["id"])
    assert (assignment["end_reason"], assignment["ended_at"]) == ("closed", clock())
    moves = [e["data"] for e in timeline(container, incident["id"]) if e["kind"] == "unit.status"]
    assert moves[-1] == {"call_sign": "AS11", "before": "en_route", "after": "available"}
    # The unit is free for the next incident.
    other = open_incident(container, handler, clock)
    assess(container, handler, other, clock, EMERGENCY)
    container.dispatch.assign(dispatcher, other["reference"], "AS11", None, clock())


# ---- the board and the times -----------------------------------------------------------------


def test_the_board_orders_the_queue_by_grade_then_risk_then_age_with_each_clock(
    container: Container, force: None, people: People, clock: FakeClock
) -> None:
    handler, dispatcher = people(), people(Role.DISPATCHER)
    start = clock()
    ungraded = open_incident(container, handler, clock, opening_category="crime_theft")
    clock.advance(minutes=1)
    old_low = open_incident(
        container, handler, clock, opening_category="domestic_incident", qualifiers=("domestic",)
    )
    assess(container, handler, old_low, clock)  # DA: emergency, every factor low
    clock.advance(minutes=2)
    priority = open_incident(container, handler, clock)
    assess(container, handler, priority, clock, PRIORITY)  # a factor high, but only priority
    clock.advance(minutes=2)
    high = open_incident(container, handler, clock)
    assess(container, handler, high, clock, EMERGENCY)
    clock.advance(minutes=6)
    new_low = open_incident(
        container, handler, clock, opening_category="domestic_incident", qualifiers=("domestic",)
    )
    assess(container, handler, new_low, clock)
    held = open_incident(container, handler, clock)
    assess(container, handler, held, clock, EMERGENCY)
    container.dispatch.assign(dispatcher, held["reference"], "AS11", None, clock())
    clock.now = start + timedelta(minutes=17)  # old_low 16 minutes old, high 12, new_low and held 6

    board = container.dispatch.board(dispatcher, clock())
    order = [e["reference"] for e in board["queue"]]
    assert order == [
        high["reference"],  # emergency, risk high
        old_low["reference"],  # emergency, low, older
        new_low["reference"],  # emergency, low, newer
        ungraded["reference"],  # not graded, but a 999 call: after emergencies, above priority
        priority["reference"],
    ]
    by_reference = {e["reference"]: e for e in board["queue"] + board["held"]}
    assert by_reference[old_low["reference"]]["clock"] == "breached"  # received 16 min ago
    assert by_reference[high["reference"]]["clock"] == "at_risk"  # 12 of 15 minutes gone
    assert by_reference[new_low["reference"]]["clock"] == "running"
    assert by_reference[priority["reference"]]["clock"] == "running"
    assert by_reference[ungraded["reference"]]["clock"] is None
    late = by_reference[ungraded["reference"]]
    assert (late["grading"], late["cues"], late["age_seconds"]) == ("late", ["999 call"], 17 * 60)
    assert late["grading_seconds_left"] == -12 * 60  # a 999 call: 5 minutes to grade
    assert by_reference[high["reference"]]["grading"] is None
    assert (board["ungraded"], board["grading_late"]) == (1, 1)
    assert by_reference[high["reference"]]["seconds_left"] == 3 * 60
    assert by_reference[high["reference"]]["risk"] == "high"
    assert [e["reference"] for e in board["held"]] == [held["reference"]]
    assert by_reference[held["reference"]]["call_sign"] == "AS11"
    assert next(u for u in board["units"] if u["call_sign"] == "AS11")["incident"] == held["reference"]
    assert by_reference[held["reference"]]["clock"] == "running"
    assert (board["breached"], board["at_risk"]) == (1, 1)
    # The worker has not run: old_low's two, high's at-risk, the ungraded call's grading clock.
    assert board["overdue_deadlines"] == 4
    container.deadlines.fire_due(clock(), "test")
    board = container.dispatch.board(dispatcher, clock())
    assert board["overdue_deadlines"] == 0 and board["failed_deadlines"] == 0
    assert sorted(t["reference"] for t in board["tasks"]) == sorted([old_low["reference"], high["reference"]])


def test_timing_measures_from_the_call_and_from_dispatch(
    container: Container, force: None, people: People, clock: FakeClock
) -> None:
    handler, dispatcher = people(), people(Role.DISPATCHER)
    incident = open_incident(container, handler, clock)
    clock.advance(minutes=2)
    assess(container, handler, incident, clock, EMERGENCY)
    clock.advance(minutes=3)
    container.dispatch.assign(dispatcher, incident["reference"], "AS11", None, clock())
    clock.advance(minutes=7, seconds=30)
    container.dispatch.move(dispatcher, "AS11", UnitStatus.AT_SCENE, clock())
    timing = container.dispatch.timing(dispatcher, incident["reference"], container.clock())
    times = timing["times"]
    assert (
        times["call_to_grade_s"],
        times["call_to_dispatch_s"],
        times["call_to_arrival_s"],
        times["dispatch_to_arrival_s"],
    ) == (120, 300, 750, 450)
    assert timing["clock"]["target_minutes"] == 15 and timing["deadlines"] == []
    assert [a["call_sign"] for a in timing["assignments"]] == ["AS11"]


def test_timing_of_an_incident_not_yet_attended_leaves_the_missing_times_empty(
    container: Container, force: None, people: People, clock: FakeClock
) -> None:
    handler = people()
    incident = open_incident(container, handler, clock)
    times = container.dispatch.timing(handler, incident["reference"], container.clock())["times"]
    assert times["call_to_dispatch_s"] is None and times["dispatch_to_arrival_s"] is None


# ---- bad input: refused with the field named, and nothing changed ----------------------------


def test_assigning_a_unit_that_is_not_available_is_refused_and_changes_nothing(
    container: Container, force: None, people: People, clock: FakeClock
) -> None:
    handler, dispatcher = people(), people(Role.DISPATCHER)
    first = open_incident(container, handler, clock)
    assess(container, handler, first, clock, EMERGENCY)
    container.dispatch.assign(dispatcher, first["reference"], "AS11", None, clock())
    second = open_incident(container, handler, clock)
    assess(container, handler, second, clock, EMERGENCY)
    before = snapshot(container, second["reference"])
    units_before = [unit_row(container, c) for c in ("AS11", "AS99")]
    for call_sign, where in (("AS11", first["reference"]), ("AS99", "unavailable")):
        with pytest.raises(DomainError) as refused:
            container.dispatch.assign(dispatcher, second["reference"], call_sign, "the nearest", clock())
        assert refused.value.field == "call_sign" and call_sign in refused.value.message
        assert where in refused.value.message  # says where the unit is committed
    with pytest.raises(DomainError) as refused:  # the same unit twice on one incident
        container.dispatch.assign(dispatcher, first["reference"], "AS11", "again", clock())
    assert refused.value.field == "call_sign" and "already assigned on" in refused.value.message
    with pytest.raises(DomainError) as refused:
        container.dispatch.assign(dispatcher, second["reference"], "NOPE", "made up", clock())
    assert refused.value.field == "call_sign"
    assert snapshot(container, second["reference"]) == before
    assert [unit_row(container, c) for c in ("AS11", "AS99")] == units_before
    container.incidents.close(  # an emergency nobody attended: a supervisor's decision
        people(Role.SUPERVISOR), first["reference"], "crime_violence", "crime_recorded", "gone", clock()
    )
    with pytest.raises(DomainError) as refused:  # a closed incident takes no unit
        container.dispatch.assign(dispatcher, first["reference"], "AS12", "a second unit", clock())
    assert refused.value.field == "reference"


def test_a_status_change_out_of_order_is_refused_and_changes_nothing(
    container: Container, force: None, people: People, clock: FakeClock
) -> None:
    handler, dispatcher = people(), people(Role.DISPATCHER)
    incident = open_incident(container, handler, clock)
    assess(container, handler, incident, clock, EMERGENCY)
    with pytest.raises(DomainError) as refused:
        container.dispatch.move(dispatcher, "AS11", UnitStatus.AT_SCENE, clock())  # not assigned
    assert refused.value.field == "status"
    container.dispatch.assign(dispatcher, incident["reference"], "AS11", None, clock())
    container.dispatch.move(dispatcher, "AS11", UnitStatus.AT_SCENE, clock())
    before = snapshot(container, incident["reference"])
    unit_before = unit_row(container, "AS11")
    for target in (UnitStatus.EN_ROUTE, UnitStatus.AVAILABLE, UnitStatus.ASSIGNED):
        with pytest.raises(DomainError) as refused:
            container.dispatch.move(dispatcher, "AS11", target, clock())
        assert refused.value.field == "status"
    for status in (Status.DISPATCHED, Status.OPEN, Status.CLOSED):
        with pytest.raises((DomainError, PermissionError)):
            container.incidents.change_status(dispatcher, incident["reference"], status, "because", clock())
    with pytest.raises(DomainError) as refused:
        container.incidents.change_status(
            dispatcher, incident["reference"], Status.GRADED, "because", clock()
        )
    assert refused.value.field == "status"  # a unit is taken away on the dispatch board only
    assert snapshot(container, incident["reference"]) == before
    assert unit_row(container, "AS11") == unit_before


def test_closing_an_incident_with_an_open_reassessment_is_refused_and_changes_nothing(
    container: Container, force: None, people: People, clock: FakeClock
) -> None:
    handler = people()
    incident = open_incident(container, handler, clock)
    assess(container, handler, incident, clock, EMERGENCY)
    task = container.dispatch.cut_off(handler, incident["reference"], clock())
    before = snapshot(container, incident["reference"])
    deadlines_before = pending(container, incident["id"])
    with pytest.raises(DomainError) as refused:
        container.incidents.close(
            handler, incident["reference"], "crime_violence", "no_trace", "gone", clock()
        )
    assert refused.value.field == "status" and str(task) in refused.value.message
    assert snapshot(container, incident["reference"]) == before
    assert pending(container, incident["id"]) == deadlines_before
    container.reassessments.complete(
        handler, task, Completion("spoke_to_victim", "all calm now", (), None, None, None), clock()
    )
    closed = container.incidents.close(  # an emergency nobody attended: a supervisor's decision
        people(Role.SUPERVISOR), incident["reference"], "crime_violence", "no_trace", "gone", clock()
    )
    assert closed["status"] == "closed"


def test_booking_a_full_slot_is_refused_and_changes_nothing(
    container: Container, force: None, people: People, clock: FakeClock
) -> None:
    handler, supervisor = people(), people(Role.SUPERVISOR)
    slot = container.reassessments.open_slots(supervisor, "AS", date(2026, 11, 27), "early", 1, clock())
    at = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    first = open_incident(container, handler, clock, opening_category="crime_theft")
    assess(container, handler, first, clock, SCHEDULED)
    container.reassessments.book(handler, first["reference"], slot["id"], at, "at home", clock())
    second = open_incident(container, handler, clock, opening_category="crime_theft")
    assess(container, handler, second, clock, SCHEDULED)
    before = snapshot(container, second["reference"])
    deadlines_before = pending(container, second["id"])
    with pytest.raises(Conflict) as refused:
        container.reassessments.book(handler, second["reference"], slot["id"], at, "at work", clock())
    assert refused.value.field == "slot_id" and "full" in refused.value.message
    assert snapshot(container, second["reference"]) == before
    assert pending(container, second["id"]) == deadlines_before
    with container.uow() as uow:
        assert uow.dispatch.slot(slot["id"])["booked"] == 1
        assert uow.dispatch.appointments_of(second["id"]) == []


def test_a_reassessment_with_no_contact_outcome_is_refused_and_changes_nothing(
    container: Container, force: None, people: People, clock: FakeClock
) -> None:
    handler = people()
    incident = open_incident(container, handler, clock)
    assess(container, handler, incident, clock, EMERGENCY)
    task = container.dispatch.cut_off(handler, incident["reference"], clock())
    before = snapshot(container, incident["reference"])
    deadlines_before = pending(container, incident["id"])
    for outcome, field in (
        (None, "contact_outcome"),
        ("", "contact_outcome"),
        ("rang_twice", "contact_outcome"),
    ):
        with pytest.raises(DomainError) as refused:
            container.reassessments.complete(
                handler, task, Completion(outcome, "no answer", ("advice",), None, None, None), clock()
            )
        assert refused.value.field == field
    assert snapshot(container, incident["reference"]) == before
    assert pending(container, incident["id"]) == deadlines_before
    still = task_of(container, incident["id"])
    assert still is not None and (still["id"], still["status"], still["done_at"]) == (task, "open", None)
