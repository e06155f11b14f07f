"""Nothing out of sight, on both stores: the grading clock of an ungraded call, the follow-up a
call resolved without deployment is owed, and lists that never drop a row without saying so."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from tests.conftest import FakeClock, People
from tests.services.test_dispatch import (  # noqa: F401 - force is a fixture
    EMERGENCY,
    assess,
    force,
    incident_row,
    open_incident,
    pending,
)
from tests.services.test_reassessments import kinds, states, timeline
from thriives.adapters.db.tables import audit_log
from thriives.bootstrap import Container
from thriives.domain.accounts import Role
from thriives.domain.errors import Conflict, DomainError
from thriives.domain.incidents import Channel

pytestmark = pytest.mark.usefixtures("force")


def fire(container: Container, clock: FakeClock) -> list[str]:
    return [f.kind for f in container.deadlines.fire_due(clock(), "test-worker")]


def late_events(container: Container, incident_id: str) -> list[dict[str, Any]]:
    return [e["data"] for e in timeline(container, incident_id) if e["kind"] == "grading.late"]


def queued(container: Container, kind: str) -> list[str]:
    supervisor = People(container)(Role.SUPERVISOR)
    return [i["reference"] for i in container.supervision.queue(supervisor)[kind]]


# ---- the grading clock ---------------------------------------------------------------------


def test_an_ungraded_call_runs_a_grading_clock_from_receipt_by_channel(
    container: Container, people: People, clock: FakeClock
) -> None:
    handler = people()
    received = clock() - timedelta(minutes=2)  # entered two minutes after the call came in
    urgent = open_incident(container, handler, clock, received_at=received)
    routine = open_incident(container, handler, clock, channel=Channel.NON_EMERGENCY)
    assert pending(container, urgent["id"]) == [("grading.late", received + timedelta(minutes=5))]
    assert pending(container, routine["id"]) == [("grading.late", clock() + timedelta(minutes=30))]


def test_grading_stops_the_grading_clock_and_starts_the_attendance_clock(
    container: Container, people: People, clock: FakeClock
) -> None:
    handler = people()
    incident = open_incident(container, handler, clock)
    clock.advance(minutes=2)
    assess(container, handler, incident, clock, EMERGENCY)
    assert states(container, incident["id"], "grading.late") == ["cancelled"]
    assert [kind for kind, _ in pending(container, incident["id"])] == [
        "attendance.at_risk",
        "attendance.breach",
    ]
    clock.advance(minutes=10)
    assert "grading.late" not in fire(container, clock)
    assert late_events(container, incident["id"]) == []


def test_closing_an_ungraded_call_stops_its_grading_clock(
    container: Container, people: People, clock: FakeClock
) -> None:
    handler = people()
    incident = open_incident(container, handler, clock, channel=Channel.NON_EMERGENCY)
    container.incidents.close(
        handler, incident["reference"], "crime_violence", "advice_given", "gone", clock()
    )
    assert states(container, incident["id"], "grading.late") == ["cancelled"]
    clock.advance(hours=2)
    assert fire(container, clock) == [] and late_events(container, incident["id"]) == []


def test_a_late_grading_escalates_to_the_supervisor_again_and_again_until_graded(
    container: Container, people: People, clock: FakeClock
) -> None:
    handler = people()
    incident = open_incident(container, handler, clock)
    every = container.dispatch.policy.grading.escalate_every_minutes
    clock.advance(minutes=5, seconds=-1)
    assert fire(container, clock) == []
    clock.advance(seconds=1)
    assert fire(container, clock) == ["grading.late"]
    assert queued(container, "late_grading") == [incident["reference"]]
    clock.advance(minutes=every)
    assert fire(container, clock) == ["grading.late"]
    assert [(e["escalation"], e["late_minutes"]) for e in late_events(container, incident["id"])] == [
        (1, 0),
        (2, every),
    ]
    assert queued(container, "late_grading") == [incident["reference"]]  # queued once
    board = container.dispatch.board(people(Role.DISPATCHER), clock())
    (entry,) = board["queue"]
    assert (entry["grading"], entry["grading_seconds_left"]) == ("late", -every * 60)
    assess(container, handler, incident, clock, EMERGENCY)
    clock.advance(hours=1)
    assert "grading.late" not in fire(container, clock)
    assert len(late_events(container, incident["id"])) == 2


# ---- the follow-up -------------------------------------------------------------------------


def resolved(container: Container, people: People, clock: FakeClock) -> tuple[dict[str, Any], dict[str, Any]]:
    handler = people()
    incident = open_incident(container, handler, clock, opening_category="crime_theft")
    assess(container, handler, incident, clock)  # every factor low: resolution without deployment
    assert incident_row(container, incident["reference"])["grade"] == "resolution"
    (follow_up,) = container.follow_ups.open(handler)
    return incident, follow_up


def test_a_call_resolved_without_deployment_gets_a_follow_up_with_a_time(
    container: Container, people: People, clock: FakeClock
) -> None:
    incident, follow_up = resolved(container, people, clock)
    assert (follow_up["reference"], follow_up["status"], follow_up["grade"]) == (
        incident["reference"],
        "open",
        "resolution",
    )
    assert follow_up["due_at"] == clock() + timedelta(days=1)
    assert "follow_up.opened" in kinds(container, incident["id"])
    board = container.dispatch.board(people(Role.DISPATCHER), clock())
    assert [(f["id"], f["overdue"]) for f in board["follow_ups"]] == [(follow_up["id"], False)]


def test_completing_a_follow_up_records_its_outcome_and_stops_its_clock(
    container: Container, people: People, clock: FakeClock
) -> None:
    incident, follow_up = resolved(container, people, clock)
    dispatcher = people(Role.DISPATCHER)
    clock.advance(hours=3)
    done = container.follow_ups.complete(
        dispatcher, follow_up["id"], "referred", " Victim Support ", "passed on", clock()
    )
    assert (done["status"], done["outcome"], done["agency"], done["done_by"]) == (
        "done",
        "referred",
        "Victim Support",
        dispatcher.username,
    )
    assert container.follow_ups.open(dispatcher) == []
    assert states(container, incident["id"], "follow_up.overdue") == ["cancelled"]
    completed = [e["data"] for e in timeline(container, incident["id"]) if e["kind"] == "follow_up.completed"]
    assert completed == [
        {"follow_up": follow_up["id"], "outcome": "referred", "agency": "Victim Support", "note": "passed on"}
    ]
    with container.uow() as uow:
        audited = uow.connection.execute(
            select(audit_log.c.operation, audit_log.c.record_id).where(
                audit_log.c.actor == dispatcher.username
            )
        ).all()
    assert [tuple(a) for a in audited] == [("alteration", incident["reference"])]
    with pytest.raises(Conflict):
        container.follow_ups.complete(dispatcher, follow_up["id"], "called_back", None, None, clock())


@pytest.mark.parametrize(
    ("outcome", "agency", "field"),
    [
        (None, None, "outcome"),
        ("", None, "outcome"),
        ("phoned", None, "outcome"),
        ("referred", " ", "agency"),
    ],
)
def test_a_follow_up_without_a_proper_outcome_is_refused_and_nothing_changes(
    container: Container,
    people: People,
    clock: FakeClock,
    outcome: str | None,
    agency: str | None,
    field: str,
) -> None:
    incident, follow_up = resolved(container, people, clock)
    before = kinds(container, incident["id"])
    with pytest.raises(DomainError) as refused:
        container.follow_ups.complete(people(), follow_up["id"], outcome, agency, None, clock())
    assert refused.value.field == field
    assert kinds(container, incident["id"]) == before
    assert container.follow_ups.get(people(), follow_up["id"])["status"] == "open"


def test_an_overdue_follow_up_escalates_through_the_worker_until_done(
    container: Container, people: People, clock: FakeClock
) -> None:
    incident, follow_up = resolved(container, people, clock)
    every = container.dispatch.policy.follow_up.escalate_every_minutes
    clock.advance(days=1)
    assert fire(container, clock) == ["follow_up.overdue"]
    clock.advance(minutes=every)
    assert fire(container, clock) == ["follow_up.overdue"]
    overdue = [
        e["data"]["escalation"]
        for e in timeline(container, incident["id"])
        if e["kind"] == "follow_up.overdue"
    ]
    assert overdue == [1, 2]
    assert queued(container, "late_follow_up") == [incident["reference"]]
    board = container.dispatch.board(people(Role.DISPATCHER), clock())
    assert [(f["overdue"], f["escalations"]) for f in board["follow_ups"]] == [(True, 2)]
    container.follow_ups.complete(people(), follow_up["id"], "no_contact", None, "three tries", clock())
    clock.advance(days=2)
    assert fire(container, clock) == []


def test_a_regrade_that_sends_someone_or_closing_cancels_the_follow_up(
    container: Container, people: People, clock: FakeClock
) -> None:
    handler = people()
    incident, follow_up = resolved(container, people, clock)
    assess(container, handler, incident, clock, EMERGENCY)
    assert container.follow_ups.get(handler, follow_up["id"])["status"] == "cancelled"
    assert states(container, incident["id"], "follow_up.overdue") == ["cancelled"]

    other, second = resolved(container, people, clock)
    container.incidents.close(handler, other["reference"], "crime_theft", "advice_given", "advised", clock())
    assert container.follow_ups.get(handler, second["id"])["status"] == "cancelled"
    assert "follow_up.cancelled" in kinds(container, other["id"])


# ---- lists that agree with their counts ---------------------------------------------------


def test_the_live_queue_pages_through_every_open_incident_and_says_how_many(
    container: Container, people: People, clock: FakeClock
) -> None:
    handler = people()
    opened = []
    for _ in range(7):
        opened.append(open_incident(container, handler, clock)["reference"])
        clock.advance(seconds=30)
    pages = [container.incidents.live_page(handler, 3, offset, now=clock()) for offset in (0, 3, 6)]
    assert [total for _, total in pages] == [7, 7, 7]
    assert [row["reference"] for rows, _ in pages for row in rows] == opened  # oldest first, each once
    with pytest.raises(DomainError) as refused:
        container.incidents.live_page(handler, 0, 0, now=clock())
    assert refused.value.field == "limit"
    with pytest.raises(DomainError) as refused:
        container.incidents.live_page(handler, 10, -1, now=clock())
    assert refused.value.field == "offset"


def test_the_board_counts_agree_with_its_lists(
    container: Container, people: People, clock: FakeClock
) -> None:
    handler = people()
    for channel in (Channel.EMERGENCY, Channel.NON_EMERGENCY, Channel.ONLINE):
        open_incident(container, handler, clock, channel=channel)
    graded = open_incident(container, handler, clock)
    assess(container, handler, graded, clock, EMERGENCY)
    clock.advance(minutes=6)  # the 999 call is late; the others have 30 minutes
    board = container.dispatch.board(people(Role.DISPATCHER), clock())
    assert len(board["queue"]) == 4
    assert board["ungraded"] == len([e for e in board["queue"] if e["grade"] is None]) == 3
    assert board["grading_late"] == len([e for e in board["queue"] if e["grading"] == "late"]) == 1
    assert board["queue"][0]["reference"] == graded["reference"]
