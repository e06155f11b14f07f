"""The initial grade at first contact on both stores: dispatchable at once with its clock,
the full assessment due (escalated when late, not when in time), downgrades against the
current grade, and bad input that changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from tests.conftest import FakeClock, People
from tests.services.test_dispatch import EMERGENCY, assess, incident_row, open_incident, seed_force
from thriives.adapters.db.dispatch_tables import deadlines
from thriives.adapters.db.tables import audit_log, events, review_items
from thriives.bootstrap import Container
from thriives.domain.accounts import Role
from thriives.domain.errors import Conflict, DomainError
from thriives.domain.incidents import Status

REASON = "caller says her ex is at the door, kicking it"


@pytest.fixture
def force(container: Container) -> None:
    seed_force(container)


def counts(container: Container) -> tuple[int, int, int]:
    with container.uow() as uow:
        c = uow.connection
        return (
            c.execute(select(func.count()).select_from(events)).scalar_one(),
            c.execute(select(func.count()).select_from(audit_log)).scalar_one(),
            c.execute(select(func.count()).select_from(deadlines)).scalar_one(),
        )


def pending(container: Container, incident_id: str) -> set[str]:
    with container.uow() as uow:
        return {d["kind"] for d in uow.dispatch.pending_deadlines(incident_id)}


def timeline_kinds(container: Container, reference: str, clock: FakeClock, people: People) -> list[str]:
    _, timeline = container.incidents.view(people(Role.SUPERVISOR), reference, clock())
    return [e["kind"] for e in timeline]


def test_a_quick_grade_makes_the_incident_dispatchable_and_starts_its_clock(
    container: Container, people: People, clock: FakeClock, force: None
) -> None:
    handler, dispatcher = people(), people(Role.DISPATCHER)
    incident = open_incident(container, handler, clock)
    given_at = clock()
    record = container.initial_grades.give(
        handler, incident["reference"], "emergency", ["violence"], REASON, given_at
    )
    assert (record["grade"], record["reason"], record["given_by"]) == ("emergency", REASON, handler.username)
    row = incident_row(container, incident["reference"])
    assert (row["status"], row["grade"], row["graded_at"]) == (Status.GRADED.value, "emergency", given_at)
    assert {"attendance.at_risk", "attendance.breach", "assessment.due"} <= pending(container, row["id"])
    timing = container.dispatch.timing(dispatcher, incident["reference"], container.clock())
    assert timing["clock"]["target_minutes"] == 15
    _, found = container.dispatch.recommendations(dispatcher, incident["reference"])
    container.dispatch.assign(
        dispatcher, incident["reference"], found[0].call_sign, None, clock.advance(seconds=20)
    )
    assert incident_row(container, incident["reference"])["status"] == Status.DISPATCHED.value
    assert "incident.initial_graded" in timeline_kinds(container, incident["reference"], clock, people)


def test_the_supervisor_is_told_when_the_full_assessment_is_late(
    container: Container, people: People, clock: FakeClock, force: None
) -> None:
    handler = people()
    incident = open_incident(container, handler, clock)
    container.initial_grades.give(handler, incident["reference"], "emergency", [], REASON, clock())
    clock.advance(minutes=14)
    container.deadlines.fire_due(clock(), "w1")
    assert container.supervision.queue(people(Role.SUPERVISOR))["late_assessment"] == []
    clock.advance(minutes=2)
    container.deadlines.fire_due(clock(), "w1")
    queue = container.supervision.queue(people(Role.SUPERVISOR))["late_assessment"]
    assert [i["reference"] for i in queue] == [incident["reference"]]
    assert "incident.full_assessment_late" in timeline_kinds(container, incident["reference"], clock, people)
    record = container.initial_grades.record(handler, incident["reference"])
    assert record is not None and record["escalated_at"] == clock() and record["assessed_at"] is None


def test_a_full_assessment_in_time_is_recorded_and_nobody_is_told(
    container: Container, people: People, clock: FakeClock, force: None
) -> None:
    handler = people()
    incident = open_incident(container, handler, clock)
    container.initial_grades.give(handler, incident["reference"], "priority", [], REASON, clock())
    clock.advance(minutes=10)
    version = assess(container, handler, incident, clock, EMERGENCY)
    record = container.initial_grades.record(handler, incident["reference"])
    assert record is not None and (record["assessed_at"], record["assessment_version"]) == (clock(), version)
    assert "assessment.due" not in pending(container, incident_row(container, incident["reference"])["id"])
    clock.advance(minutes=40)
    container.deadlines.fire_due(clock(), "w1")
    assert container.supervision.queue(people(Role.SUPERVISOR))["late_assessment"] == []
    assert "incident.full_assessment_followed" in timeline_kinds(
        container, incident["reference"], clock, people
    )


def test_a_full_assessment_below_the_initial_grade_is_a_downgrade_needing_a_reason_and_a_supervisor(
    container: Container, people: People, clock: FakeClock, force: None
) -> None:
    handler = people()
    incident = open_incident(container, handler, clock, opening_category="crime_damage")
    container.initial_grades.give(handler, incident["reference"], "emergency", [], REASON, clock())
    before = counts(container)
    with pytest.raises(DomainError) as refused:
        assess(container, handler, incident, clock)  # every factor low: less than emergency
    assert refused.value.field == "override_reason"
    assert counts(container) == before
    assert incident_row(container, incident["reference"])["grade"] == "emergency"
    assess(container, handler, incident, clock, override_reason="he had left before the call ended")
    with container.uow() as uow:
        items = [
            dict(r._mapping)
            for r in uow.connection.execute(select(review_items).where(review_items.c.kind == "downgrade"))
        ]
    assert len(items) == 1 and items[0]["detail"]["lowered_from"] == "emergency"


def test_a_reassessment_with_lower_ratings_is_a_downgrade_against_the_current_grade(
    container: Container, people: People, clock: FakeClock, force: None
) -> None:
    handler = people()
    incident = open_incident(container, handler, clock, opening_category="crime_damage")
    assess(container, handler, incident, clock, EMERGENCY)
    with pytest.raises(DomainError) as refused:
        assess(container, handler, incident, clock)
    assert refused.value.field == "override_reason"
    assert incident_row(container, incident["reference"])["grade"] == "emergency"


@pytest.mark.parametrize(
    ("grade", "indicators", "reason", "field"),
    [
        ("scheduled", [], REASON, "grade"),
        ("emergency", ["violence", "bogus"], REASON, "indicators.1"),
        ("emergency", [], "", "reason"),
        ("emergency", [], "x" * 500, "reason"),
    ],
)
def test_a_bad_quick_grade_changes_nothing(
    container: Container,
    people: People,
    clock: FakeClock,
    force: None,
    grade: str,
    indicators: list[str],
    reason: str,
    field: str,
) -> None:
    handler = people()
    incident = open_incident(container, handler, clock)
    before = counts(container)
    with pytest.raises(DomainError) as refused:
        container.initial_grades.give(handler, incident["reference"], grade, indicators, reason, clock())
    assert refused.value.field == field
    assert counts(container) == before
    row = incident_row(container, incident["reference"])
    assert (row["status"], row["grade"]) == (Status.OPEN.value, None)


def test_an_incident_already_graded_or_closed_cannot_be_given_a_quick_grade(
    container: Container, people: People, clock: FakeClock, force: None
) -> None:
    handler = people()
    assessed: dict[str, Any] = open_incident(container, handler, clock)
    assess(container, handler, assessed, clock, EMERGENCY)
    again = open_incident(container, handler, clock)
    container.initial_grades.give(handler, again["reference"], "priority", [], REASON, clock())
    closed = open_incident(container, handler, clock)
    container.incidents.close(
        handler, closed["reference"], "crime_violence", "hoax", "the caller admitted a hoax", clock()
    )
    for reference in (assessed["reference"], again["reference"], closed["reference"]):
        before = counts(container)
        with pytest.raises(Conflict):
            container.initial_grades.give(handler, reference, "emergency", [], REASON, clock())
        assert counts(container) == before
