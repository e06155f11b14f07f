"""Delayed-attendance reassessment and appointments on both stores.

Tasks open when the worker fires a clock (at risk, breached), when a unit is taken away, at
once when a call is cut off, when a review falls due and when an appointment is missed or
cancelled; unfinished tasks escalate until done.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from tests.conftest import FakeClock, People
from tests.services.test_dispatch import (
    EMERGENCY,
    PRIORITY,
    SCHEDULED,
    assess,
    attendance,
    incident_row,
    open_incident,
    pending,
    seed_force,
    snapshot,
    task_of,
    timeline,
)
from thriives.adapters.db.dispatch_tables import deadlines
from thriives.bootstrap import Container
from thriives.domain.accounts import Role
from thriives.domain.dash import DashSubmission
from thriives.domain.dispatch import UnitStatus
from thriives.domain.errors import Conflict, DomainError
from thriives.domain.reassessment import Completion


@pytest.fixture
def force(container: Container) -> None:
    seed_force(container)


def fire(container: Container, clock: FakeClock) -> list[str]:
    """The kinds fired, without the grading clocks of ungraded calls (test_grading_clock.py)."""
    fired = container.deadlines.fire_due(clock(), "test-worker")
    return [f.kind for f in fired if f.kind != "grading.late"]


def kinds(container: Container, incident_id: str) -> list[str]:
    return [e["kind"] for e in timeline(container, incident_id)]


def tasks(container: Container, incident_id: str) -> list[dict[str, Any]]:
    with container.uow() as uow:
        return uow.dispatch.tasks_of(incident_id)


def triggers(task: dict[str, Any] | None) -> list[str]:
    assert task is not None, "no open task"
    return [t["trigger"] for t in task["triggers"]]


def states(container: Container, incident_id: str, kind: str) -> list[str]:
    with container.uow() as uow:
        rows = uow.connection.execute(
            select(deadlines.c.state)
            .where(deadlines.c.incident_id == incident_id, deadlines.c.kind == kind)
            .order_by(deadlines.c.id)
        ).all()
    return [state for (state,) in rows]


def done(
    outcome: str | None = "spoke_to_victim",
    safeguarding: tuple[str, ...] = (),
    review_at: datetime | None = None,
    version: int | None = None,
    note: str | None = None,
) -> Completion:
    return Completion(outcome, "spoke on her mobile", safeguarding, note, review_at, version)


# ---- when a task opens -----------------------------------------------------------------------


def test_a_task_opens_at_the_at_risk_share_and_a_breach_adds_to_it(
    container: Container, force: None, people: People, clock: FakeClock
) -> None:
    handler = people()
    start = clock()
    incident = open_incident(container, handler, clock)
    assess(container, handler, incident, clock, EMERGENCY)  # urban emergency: 15 minutes
    clock.now = start + timedelta(minutes=11, seconds=14)
    assert fire(container, clock) == []
    assert task_of(container, incident["id"]) is None
    clock.now = start + timedelta(minutes=11, seconds=16)  # past 75% of the target
    assert fire(container, clock) == ["attendance.at_risk"]
    task = task_of(container, incident["id"])
    assert triggers(task) == ["clock_at_risk"]
    assert task is not None and task["opened_at"] == clock() and not task["mandatory"]
    assert kinds(container, incident["id"])[-2:] == ["attendance.at_risk", "reassessment.opened"]
    assert fire(container, clock) == []  # fired once

    clock.now = start + timedelta(minutes=15)
    assert fire(container, clock) == ["attendance.breach"]
    again = task_of(container, incident["id"])
    assert again is not None and again["id"] == task["id"]
    assert triggers(again) == ["clock_at_risk", "clock_breached"]
    assert len(tasks(container, incident["id"])) == 1
    events = timeline(container, incident["id"])
    assert [e["kind"] for e in events][-3:] == [
        "attendance.breached",
        "review.queued",  # a breached clock goes to the supervisors' review queue
        "reassessment.trigger_added",
    ]
    assert events[-3]["data"]["due_at"] == (start + timedelta(minutes=15)).isoformat()


def test_a_dispatched_incident_still_reassesses_but_one_attended_does_not(
    container: Container, force: None, people: People, clock: FakeClock
) -> None:
    handler, dispatcher = people(), people(Role.DISPATCHER)
    waiting = open_incident(container, handler, clock)
    assess(container, handler, waiting, clock, EMERGENCY)
    container.dispatch.assign(dispatcher, waiting["reference"], "AS11", None, clock())
    attended = open_incident(container, handler, clock)
    assess(container, handler, attended, clock, EMERGENCY)
    container.dispatch.assign(dispatcher, attended["reference"], "AS12", "AS11 is busy", clock())
    clock.advance(minutes=5)
    container.dispatch.move(dispatcher, "AS12", UnitStatus.AT_SCENE, clock())
    clock.advance(minutes=15)
    assert sorted(fire(container, clock)) == ["attendance.at_risk", "attendance.breach"]
    assert triggers(task_of(container, waiting["id"])) == ["clock_at_risk", "clock_breached"]
    assert task_of(container, attended["id"]) is None
    assert states(container, attended["id"], "attendance.breach") == ["cancelled"]


def test_a_cut_off_call_opens_a_task_at_once(
    container: Container, force: None, people: People, clock: FakeClock
) -> None:
    handler = people()
    incident = open_incident(container, handler, clock)  # not even graded yet
    task_id = container.dispatch.cut_off(handler, incident["reference"], clock())
    task = task_of(container, incident["id"])
    assert task is not None and task["id"] == task_id and triggers(task) == ["call_cut_off"]
    assert kinds(container, incident["id"])[-2:] == ["incident.cut_off", "reassessment.opened"]
    after = container.dispatch.policy.escalate_after_minutes
    assert pending(container, incident["id"])[-1:] == [
        ("reassessment.escalate", clock() + timedelta(minutes=after))
    ]


@pytest.mark.parametrize(
    ("category", "qualifiers", "levels", "mandatory", "why"),
    [
        ("domestic_incident", (), {}, True, "domestic abuse"),
        ("crime_violence", ("domestic",), EMERGENCY, True, "domestic abuse"),
        ("concern_for_safety", (), {"vulnerability": "medium"}, True, "vulnerability medium"),
        ("concern_for_safety", (), {"vulnerability": "high"}, True, "vulnerability high"),
        ("concern_for_safety", (), {"vulnerability": "low", "risk": "high"}, False, "not domestic abuse"),
    ],
    ids=["da-category", "da-qualifier", "vulnerability-medium", "vulnerability-high", "neither"],
)
def test_a_task_is_mandatory_for_domestic_abuse_and_vulnerable_victims(
    container: Container,
    force: None,
    people: People,
    clock: FakeClock,
    category: str,
    qualifiers: tuple[str, ...],
    levels: dict[str, str],
    mandatory: bool,
    why: str,
) -> None:
    handler = people()
    incident = open_incident(container, handler, clock, opening_category=category, qualifiers=qualifiers)
    assess(container, handler, incident, clock, levels)
    container.dispatch.cut_off(handler, incident["reference"], clock())
    task = task_of(container, incident["id"])
    assert task is not None and task["mandatory"] is mandatory
    assert task["mandatory_why"].startswith(why)


# ---- finishing a task ------------------------------------------------------------------------


def test_a_mandatory_task_needs_a_fresh_assessment_safeguarding_and_a_review_time(
    container: Container, force: None, people: People, clock: FakeClock
) -> None:
    handler = people()
    incident = open_incident(
        container, handler, clock, opening_category="domestic_incident", qualifiers=("domestic",)
    )
    assess(container, handler, incident, clock)  # version 1, before the task
    clock.advance(minutes=1)
    task_id = container.dispatch.cut_off(handler, incident["reference"], clock())
    clock.advance(minutes=2)
    review = clock() + timedelta(minutes=30)

    def refused(completion: Completion) -> str | None:
        before = snapshot(container, incident["reference"])
        with pytest.raises(DomainError) as error:
            container.reassessments.complete(handler, task_id, completion, clock())
        assert snapshot(container, incident["reference"]) == before
        task = task_of(container, incident["id"])
        assert task is not None and task["id"] == task_id
        return error.value.field

    assert refused(done(None, ("advice",), review, None)) == "contact_outcome"
    assert refused(done("no_answer", ("advice",), review, None)) == "reassessed_version"
    assert refused(done("no_answer", ("advice",), review, 1)) == "reassessed_version"  # made before
    assert assess(container, handler, incident, clock, {"risk": "medium"}) == 2
    assert refused(done("no_answer", ("advice",), review, 3)) == "reassessed_version"  # no such version
    assert refused(done("no_answer", (), review, 2)) == "safeguarding"
    assert refused(done("no_answer", ("advice", "phoned_a_friend"), review, 2)) == "safeguarding.1"
    assert refused(done("no_answer", ("no_action_needed",), review, 2)) == "safeguarding_note"
    assert refused(done("no_answer", ("advice",), None, 2)) == "review_at"
    assert refused(done("no_answer", ("advice",), clock() - timedelta(minutes=1), 2)) == "review_at"

    finished = container.reassessments.complete(
        handler, task_id, done("voicemail", ("advice", "welfare_check"), review, 2), clock()
    )
    assert finished["status"] == "done"
    (task,) = tasks(container, incident["id"])
    assert (task["status"], task["done_by"], task["done_at"]) == ("done", handler.username, clock())
    assert (task["contact_outcome"], task["assessment_version"], task["review_at"]) == (
        "voicemail",
        2,
        review,
    )
    assert task["safeguarding"] == ["advice", "welfare_check"]
    assert states(container, incident["id"], "reassessment.escalate") == ["cancelled"]
    assert states(container, incident["id"], "reassessment.review") == ["pending"]
    event = timeline(container, incident["id"])[-1]
    assert event["kind"] == "reassessment.completed"
    assert event["data"]["checked"][1:] == [
        "THRIIVES re-run: version 2",
        "safeguarding: Safety advice given, Welfare check arranged",
    ]
    with pytest.raises(Conflict) as again:
        container.reassessments.complete(handler, task_id, done("voicemail", ("advice",), review, 2), clock())
    assert again.value.field == "task_id"


def test_a_task_that_is_not_mandatory_needs_only_the_contact_outcome(
    container: Container, force: None, people: People, clock: FakeClock
) -> None:
    handler = people()
    incident = open_incident(container, handler, clock)
    assess(container, handler, incident, clock, EMERGENCY)
    task_id = container.dispatch.cut_off(handler, incident["reference"], clock())
    container.reassessments.complete(handler, task_id, done("spoke_to_caller"), clock())
    assert task_of(container, incident["id"]) is None
    assert states(container, incident["id"], "reassessment.escalate") == ["cancelled"]
    assert states(container, incident["id"], "reassessment.review") == []


def test_the_review_time_opens_the_next_task_when_nobody_is_at_scene(
    container: Container, force: None, people: People, clock: FakeClock
) -> None:
    handler, dispatcher = people(), people(Role.DISPATCHER)
    waiting = open_incident(container, handler, clock, opening_category="crime_theft")
    attended = open_incident(container, handler, clock, opening_category="crime_theft")
    first: dict[str, int] = {}
    for incident in (waiting, attended):
        assess(container, handler, incident, clock, SCHEDULED)  # a day's target: no clock fires here
        task_id = container.dispatch.cut_off(handler, incident["reference"], clock())
        review = clock() + timedelta(minutes=30)
        container.reassessments.complete(handler, task_id, done(review_at=review), clock())
        first[incident["id"]] = task_id
    container.dispatch.assign(dispatcher, attended["reference"], "AS11", None, clock())
    container.dispatch.move(dispatcher, "AS11", UnitStatus.AT_SCENE, clock())
    clock.advance(minutes=29, seconds=59)
    assert fire(container, clock) == []
    clock.advance(seconds=1)
    assert fire(container, clock) == ["reassessment.review", "reassessment.review"]
    task = task_of(container, waiting["id"])
    assert triggers(task) == ["review_due"]
    assert task is not None and task["triggers"][0]["after_task"] == first[waiting["id"]]
    assert task_of(container, attended["id"]) is None  # someone is there: no reassessment


def test_an_unfinished_task_escalates_repeatedly_until_it_is_done(
    container: Container, force: None, people: People, clock: FakeClock
) -> None:
    handler = people()
    policy = container.dispatch.policy
    incident = open_incident(container, handler, clock, opening_category="crime_theft")
    opened = clock()
    task_id = container.dispatch.cut_off(handler, incident["reference"], clock())

    def escalations() -> list[dict[str, Any]]:
        return [
            e["data"] for e in timeline(container, incident["id"]) if e["kind"] == "reassessment.escalated"
        ]

    clock.now = opened + timedelta(minutes=policy.escalate_after_minutes) - timedelta(seconds=1)
    assert fire(container, clock) == [] and escalations() == []
    for count in (1, 2, 3):
        clock.now = opened + timedelta(
            minutes=policy.escalate_after_minutes + policy.escalate_every_minutes * (count - 1)
        )
        assert fire(container, clock) == ["reassessment.escalate"]
        assert [e["escalation"] for e in escalations()] == list(range(1, count + 1))
    task = task_of(container, incident["id"])
    assert task is not None and (task["escalations"], task["last_escalated_at"]) == (3, clock())
    board = container.dispatch.board(handler, clock())
    assert [(t["id"], t["overdue"], t["escalations"]) for t in board["tasks"]] == [(task_id, True, 3)]

    clock.advance(minutes=1)
    container.reassessments.complete(handler, task_id, done("no_answer"), clock())
    assert states(container, incident["id"], "reassessment.escalate") == ["fired"] * 3 + ["cancelled"]
    clock.advance(hours=2)
    assert fire(container, clock) == []
    assert len(escalations()) == 3


# ---- appointments ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "shift", "starts", "ends"),
    [
        (date(2026, 10, 24), "early", datetime(2026, 10, 24, 6, 0), datetime(2026, 10, 24, 14, 0)),
        (date(2026, 10, 25), "early", datetime(2026, 10, 25, 7, 0), datetime(2026, 10, 25, 15, 0)),
        (date(2026, 10, 24), "late", datetime(2026, 10, 24, 14, 0), datetime(2026, 10, 24, 22, 0)),
        (date(2026, 3, 29), "early", datetime(2026, 3, 29, 6, 0), datetime(2026, 3, 29, 14, 0)),
        (date(2026, 3, 28), "late", datetime(2026, 3, 28, 15, 0), datetime(2026, 3, 28, 23, 0)),
    ],
    ids=["last-bst-day", "clocks-go-back", "late-bst", "clocks-go-forward", "late-gmt"],
)
def test_slots_are_local_shifts_stored_in_utc_across_british_summer_time(
    container: Container,
    force: None,
    people: People,
    clock: FakeClock,
    day: date,
    shift: str,
    starts: datetime,
    ends: datetime,
) -> None:
    clock.now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    supervisor = people(Role.SUPERVISOR)
    slot = container.reassessments.open_slots(supervisor, "AS", day, shift, 4, clock())
    assert (slot["starts_at"], slot["ends_at"]) == (starts.replace(tzinfo=UTC), ends.replace(tzinfo=UTC))
    (stored,) = container.reassessments.slots(supervisor, "AS", starts.replace(tzinfo=UTC), days=1)
    assert (stored["starts_at"], stored["ends_at"], stored["day"], stored["shift"]) == (
        starts.replace(tzinfo=UTC),
        ends.replace(tzinfo=UTC),
        day.isoformat(),
        shift,
    )
    assert (stored["capacity"], stored["booked"]) == (4, 0)


def test_opening_slots_refuses_bad_input_naming_the_field(
    container: Container, force: None, people: People, clock: FakeClock
) -> None:
    supervisor, handler = people(Role.SUPERVISOR), people()
    tomorrow = date(2026, 11, 27)
    container.reassessments.open_slots(supervisor, "AS", tomorrow, "early", 2, clock())
    for district, day, shift, capacity, field in (
        ("AS", tomorrow, "early", 3, "shift"),  # already open
        ("AS", tomorrow, "night", 3, "shift"),
        ("AS", tomorrow, "late", 0, "capacity"),
        ("ZZ", tomorrow, "late", 3, "district"),
        ("AS", date(2026, 11, 25), "late", 3, "day"),
    ):
        with pytest.raises(DomainError) as refused:
            container.reassessments.open_slots(supervisor, district, day, shift, capacity, clock())
        assert refused.value.field == field
    with pytest.raises(PermissionError):
        container.reassessments.open_slots(handler, "AS", tomorrow, "late", 3, clock())
    assert len(container.reassessments.slots(supervisor, None, clock())) == 1


def _dash(container: Container, actor: Any, reference: str, clock: FakeClock) -> None:
    answers = {q.id: "no" for q in container.assessment_policy.dash_questions}
    result = container.assessments.record_dash(actor, reference, DashSubmission(answers, {}), clock())
    assert result.level == "standard"


def test_an_appointment_for_domestic_abuse_needs_dash_and_low_risk(
    container: Container, force: None, people: People, clock: FakeClock
) -> None:
    handler = people()
    downgrade = {
        "grade": "scheduled",
        "override_reason": "she is safe at her mother's and asked for tomorrow",
    }

    def da_incident(levels: dict[str, str]) -> dict[str, Any]:
        incident = open_incident(
            container, handler, clock, opening_category="domestic_incident", qualifiers=("domestic",)
        )
        assess(container, handler, incident, clock, levels, **downgrade)
        return incident

    low = da_incident({})
    result = container.reassessments.eligibility(handler, low["reference"])
    assert not result["allowed"] and result["domestic_abuse"]
    assert any("DASH" in r for r in result["reasons"])
    _dash(container, handler, low["reference"], clock)
    result = container.reassessments.eligibility(handler, low["reference"])
    assert result["allowed"], result["reasons"]
    assert result["reasons"] == ["domestic abuse: the assessment supports an appointment"]

    medium = da_incident({"risk": "medium"})
    _dash(container, handler, medium["reference"], clock)
    result = container.reassessments.eligibility(handler, medium["reference"])
    assert not result["allowed"] and any("risk medium" in r for r in result["reasons"])

    supervisor = people(Role.SUPERVISOR)
    slot = container.reassessments.open_slots(supervisor, "AS", date(2026, 11, 27), "early", 5, clock())
    before = snapshot(container, medium["reference"])
    with pytest.raises(DomainError) as refused:
        container.reassessments.book(
            handler,
            medium["reference"],
            slot["id"],
            datetime(2026, 11, 27, 9, 0, tzinfo=UTC),
            "home",
            clock(),
        )
    assert refused.value.field == "reference" and "risk medium" in refused.value.message
    assert snapshot(container, medium["reference"]) == before


def test_an_appointment_is_allowed_for_a_scheduled_incident_but_not_a_priority_one(
    container: Container, force: None, people: People, clock: FakeClock
) -> None:
    handler = people()
    scheduled = open_incident(container, handler, clock, opening_category="crime_theft")
    assess(container, handler, scheduled, clock, SCHEDULED)
    result = container.reassessments.eligibility(handler, scheduled["reference"])
    assert (result["allowed"], result["domestic_abuse"]) == (True, False)
    assert result["reasons"] == ["grade scheduled may have an appointment"]
    priority = open_incident(container, handler, clock, opening_category="crime_theft")
    assess(container, handler, priority, clock, PRIORITY)
    result = container.reassessments.eligibility(handler, priority["reference"])
    assert not result["allowed"] and "grade priority" in result["reasons"][0]


def _booked(
    container: Container, people: People, clock: FakeClock, capacity: int = 2
) -> tuple[Any, dict[str, Any], dict[str, Any], dict[str, Any]]:
    """A scheduled incident booked into tomorrow's early slot at 10:00 UTC."""
    handler, supervisor = people(), people(Role.SUPERVISOR)
    slot = container.reassessments.open_slots(
        supervisor, "AS", date(2026, 11, 27), "early", capacity, clock()
    )
    incident = open_incident(container, handler, clock, opening_category="crime_theft")
    assess(container, handler, incident, clock, SCHEDULED)
    assert len(attendance(container, incident["id"])) == 2
    at = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    booked = container.reassessments.book(
        handler, incident["reference"], slot["id"], at, " her flat ", clock()
    )
    return handler, slot, incident, booked


def test_booking_an_appointment_stops_the_clock_and_schedules_its_check(
    container: Container, force: None, people: People, clock: FakeClock
) -> None:
    handler, slot, incident, booked = _booked(container, people, clock)
    assert (booked["status"], booked["place"]) == ("booked", "her flat")
    missed_after = container.dispatch.policy.missed_after_minutes
    assert pending(container, incident["id"]) == [
        ("appointment.check", datetime(2026, 11, 27, 10, 0, tzinfo=UTC) + timedelta(minutes=missed_after))
    ]
    assert states(container, incident["id"], "attendance.breach") == ["cancelled"]
    with container.uow() as uow:
        assert uow.dispatch.slot(slot["id"])["booked"] == 1
        (appointment,) = uow.dispatch.appointments_of(incident["id"])
    assert (appointment["status"], appointment["booked_by"]) == ("booked", handler.username)
    assert kinds(container, incident["id"])[-1] == "appointment.booked"
    assert incident_row(container, incident["reference"])["status"] == "graded"

    before = snapshot(container, incident["reference"])
    for at, place, field in (
        (datetime(2026, 11, 27, 10, 0, tzinfo=UTC), "again", "reference"),  # already booked
    ):
        with pytest.raises(DomainError) as refused:
            container.reassessments.book(handler, incident["reference"], slot["id"], at, place, clock())
        assert refused.value.field == field
    other = open_incident(container, handler, clock, opening_category="crime_theft")
    assess(container, handler, other, clock, SCHEDULED)
    before_other = snapshot(container, other["reference"])
    for at, place, field in (
        (datetime(2026, 11, 27, 16, 0, tzinfo=UTC), "home", "at"),  # after the shift
        (datetime(2026, 11, 27, 10, 0), "home", "at"),  # no time zone
        (datetime(2026, 11, 27, 10, 0, tzinfo=UTC), "   ", "place"),
    ):
        with pytest.raises(DomainError) as refused:
            container.reassessments.book(handler, other["reference"], slot["id"], at, place, clock())
        assert refused.value.field == field
    assert snapshot(container, incident["reference"])[:2] == before[:2]
    assert snapshot(container, other["reference"]) == before_other


def test_a_missed_appointment_is_found_by_the_worker_and_opens_a_reassessment(
    container: Container, force: None, people: People, clock: FakeClock
) -> None:
    _handler, _slot, incident, booked = _booked(container, people, clock)
    check_at = datetime(2026, 11, 27, 10, 0, tzinfo=UTC) + timedelta(
        minutes=container.dispatch.policy.missed_after_minutes
    )
    clock.now = check_at - timedelta(seconds=1)
    assert fire(container, clock) == []
    clock.now = check_at
    assert fire(container, clock) == ["appointment.check"]
    with container.uow() as uow:
        appointment = uow.dispatch.appointment(booked["id"])
    assert (appointment["status"], appointment["ended_at"]) == ("missed", check_at)
    assert triggers(task_of(container, incident["id"])) == ["appointment_missed_or_cancelled"]
    assert kinds(container, incident["id"])[-2:] == ["appointment.missed", "reassessment.opened"]
    assert len(attendance(container, incident["id"])) == 2  # the clock runs again


def test_a_cancelled_appointment_gives_its_place_back_and_opens_a_reassessment(
    container: Container, force: None, people: People, clock: FakeClock
) -> None:
    handler, slot, incident, booked = _booked(container, people, clock, capacity=1)
    for outcome, note, field in (("postponed", "x", "outcome"), ("cancelled", " ", "note")):
        with pytest.raises(DomainError) as refused:
            container.reassessments.end_appointment(handler, booked["id"], outcome, note, clock())
        assert refused.value.field == field
    clock.advance(hours=1)
    container.reassessments.end_appointment(handler, booked["id"], "cancelled", "she is away", clock())
    with container.uow() as uow:
        assert uow.dispatch.slot(slot["id"])["booked"] == 0
        assert uow.dispatch.appointment(booked["id"])["status"] == "cancelled"
    assert states(container, incident["id"], "appointment.check") == ["cancelled"]
    assert triggers(task_of(container, incident["id"])) == ["appointment_missed_or_cancelled"]
    assert len(attendance(container, incident["id"])) == 2
    with pytest.raises(Conflict) as again:
        container.reassessments.end_appointment(handler, booked["id"], "kept", None, clock())
    assert again.value.field == "appointment_id"
    # The place given back can be booked by another incident.
    other = open_incident(container, handler, clock, opening_category="crime_theft")
    assess(container, handler, other, clock, SCHEDULED)
    at = datetime(2026, 11, 27, 11, 0, tzinfo=UTC)
    container.reassessments.book(handler, other["reference"], slot["id"], at, "the station", clock())


def test_a_kept_appointment_opens_no_task(
    container: Container, force: None, people: People, clock: FakeClock
) -> None:
    handler, _slot, incident, booked = _booked(container, people, clock)
    clock.now = datetime(2026, 11, 27, 10, 20, tzinfo=UTC)
    container.reassessments.end_appointment(handler, booked["id"], "kept", None, clock())
    clock.advance(hours=1)
    assert fire(container, clock) == []
    assert task_of(container, incident["id"]) is None
    assert pending(container, incident["id"]) == []
