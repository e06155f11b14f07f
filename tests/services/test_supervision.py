"""Supervision on both stores: the review queue, deciding downgrades, reviews and feedback, the
QA facts kept in step with every change, the monthly sample, the dashboard and the backfill.

Bad input (an incident not in the queue, a review missing an item, a supervisor deciding their
own downgrade, a period ending before it starts) is refused with the field named, and nothing
changes.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Table, delete, func, insert, select

from tests.conftest import PASSWORD, FakeClock, People
from tests.services.test_assessments import facts_of, open_call, submission
from tests.services.test_dispatch import assess, attendance, incident_row, open_incident, seed_force, timeline
from tests.services.test_reassessments import done
from thriives.adapters.db.supervision_tables import qa_facts, reviews, sample_draws
from thriives.adapters.db.tables import audit_log, events, review_items
from thriives.bootstrap import Container
from thriives.domain.accounts import Actor, Role
from thriives.domain.assessment import Rating
from thriives.domain.compliance import Figures, Sums, figures
from thriives.domain.errors import Conflict, DomainError, Forbidden, NotFound
from thriives.domain.incidents import Status
from thriives.domain.review_form import Answer
from thriives.domain.sampling import Candidate, Pick, SamplePolicy, meets

_names = itertools.count(1)
NOVEMBER = "2026-11"


@pytest.fixture
def force(container: Container) -> None:
    seed_force(container)


# ---- helpers ---------------------------------------------------------------------------------


def member(container: Container, team: str | None, role: Role = Role.CALL_HANDLER, name: str = "") -> Actor:
    """A user in a watch or team (``people`` makes users with none)."""
    name = name or f"member{next(_names)}"
    user_id = container.accounts.add_user(name, name.title(), role, PASSWORD, container.clock(), team=team)
    return Actor(user_id, name, role, name.title())


def count(container: Container, table: Table) -> int:
    with container.uow() as uow:
        return int(uow.connection.execute(select(func.count()).select_from(table)).scalar_one())


def queued(container: Container, supervisor: Actor) -> dict[str, list[str]]:
    """The open review queue as references by kind."""
    return {
        k: [i["reference"] for i in items] for k, items in container.supervision.queue(supervisor).items()
    }


def items_of(container: Container, incident_id: str) -> list[dict[str, Any]]:
    with container.uow() as uow:
        return uow.assessments.review_items(incident_id)


def item_id(container: Container, incident_id: str, kind: str) -> int:
    (found,) = [i["id"] for i in items_of(container, incident_id) if i["kind"] == kind]
    return int(found)


def facts(container: Container, incident_id: str) -> dict[str, Any]:
    with container.uow() as uow:
        row = uow.supervision.facts(incident_id)
    assert row is not None, "no QA facts row"
    return row


def counters(container: Container, incident_id: str) -> dict[str, int]:
    row = facts(container, incident_id)
    return {k: v for k, v in row.items() if isinstance(v, int) and k not in ("incident_id",)}


ZERO = {
    "assessed": 0,
    "searched": 0,
    "closed": 0,
    "same_category": 0,
    "category_reviews": 0,
    "category_correct": 0,
    "tasks": 0,
    "tasks_on_time": 0,
    "reviews": 0,
    "score_total": 0,
}


def kinds(container: Container, incident_id: str) -> list[str]:
    return [e["kind"] for e in timeline(container, incident_id)]


def full_answers(container: Container, **changes: Answer) -> dict[str, Answer]:
    """A complete review of a THRIIVES assessment, every item answered ``yes`` unless changed."""
    factors = [f.code for f in container.assessment_policy.models["thriives"].factors]
    base = {
        "thriives_applied": Answer(factors={f: ("yes", f"{f}: fits what the caller said") for f in factors}),
        "category_correct": Answer("yes"),
        "right_questions": Answer("yes"),
        "history_searched": Answer("yes"),
        "grade_appropriate": Answer("yes"),
        "safeguarding_advice": Answer("yes"),
        "reassessment_done": Answer("not_applicable"),
    }
    return base | changes


def downgraded(
    container: Container, actor: Actor, clock: FakeClock, grade: str = "scheduled"
) -> tuple[dict[str, Any], int]:
    """A domestic-abuse call (proposed emergency) graded lower with a reason; its downgrade item."""
    incident = open_call(container, actor, clock)
    container.assessments.assess(
        actor,
        incident["reference"],
        submission(
            container, facts_of(incident), grade=grade, override_reason="suspect arrested at another address"
        ),
        clock(),
    )
    return incident, item_id(container, incident["id"], "downgrade")


# ---- the queue -------------------------------------------------------------------------------


def test_the_queue_holds_every_downgrade_and_each_domestic_abuse_and_high_risk_incident_once(
    container: Container, people: People, clock: FakeClock
) -> None:
    handler, supervisor = people(), people(Role.SUPERVISOR)
    da, _ = downgraded(container, handler, clock)
    clock.advance(minutes=1)
    high = open_incident(container, handler, clock)
    assess(container, handler, high, clock, {"risk": "high"})
    clock.advance(minutes=1)
    medium = open_incident(container, handler, clock, opening_category="crime_theft")
    assess(container, handler, medium, clock, {"harm": "medium"})
    # assessed again: each is still queued once for review, but a second downgrade is a
    # second decision
    clock.advance(minutes=5)
    container.assessments.assess(
        handler,
        da["reference"],
        submission(container, facts_of(da), grade="scheduled", override_reason="still in custody"),
        clock(),
    )
    assess(container, handler, high, clock, {"risk": "high", "harm": "high"})
    assess(container, handler, medium, clock, {"harm": "medium"})

    assert queued(container, supervisor) == {
        "downgrade": [da["reference"], da["reference"]],
        "domestic_abuse": [da["reference"]],
        "high_risk": [high["reference"]],
        "attendance_breach": [],
        "late_reassessment": [],
        "late_grading": [],
        "late_follow_up": [],
        "late_assessment": [],
        "sample": [],
    }
    assert kinds(container, high["id"]).count("review.queued") == 1
    assert kinds(container, da["id"]).count("review.downgrade_requested") == 2
    high_item = next(i for i in items_of(container, high["id"]) if i["kind"] == "high_risk")
    assert high_item["detail"] == {"assessment_version": 1, "factors": ["risk"]}
    assert high_item["created_by"] == handler.username
    with pytest.raises(PermissionError):
        container.supervision.queue(handler)


def test_a_breached_clock_and_a_late_reassessment_are_queued_once_by_the_deadline_worker(
    container: Container, force: None, people: People, clock: FakeClock
) -> None:
    handler, supervisor = people(), people(Role.SUPERVISOR)
    start = clock()
    incident = open_incident(container, handler, clock, opening_category="crime_theft")
    assess(container, handler, incident, clock, grade="priority")  # an upgrade: no high factor
    assert queued(container, supervisor)["high_risk"] == []

    def fire_at(minutes: int) -> list[str]:
        clock.now = start + timedelta(minutes=minutes)
        return [f.kind for f in container.deadlines.fire_due(clock(), "test-worker")]

    assert fire_at(45) == ["attendance.at_risk"]  # priority, urban: 60 minutes; a task opens at 75%
    assert queued(container, supervisor)["late_reassessment"] == []
    assert fire_at(55) == ["reassessment.escalate"]  # the task is still open 10 minutes on
    assert queued(container, supervisor)["late_reassessment"] == [incident["reference"]]
    assert queued(container, supervisor)["attendance_breach"] == []
    assert fire_at(60) == ["attendance.breach"]
    assert fire_at(65) == ["reassessment.escalate"]
    assert fire_at(75) == ["reassessment.escalate"]
    queue = queued(container, supervisor)
    assert (queue["attendance_breach"], queue["late_reassessment"]) == (
        [incident["reference"]],
        [incident["reference"]],
    )
    breach = next(i for i in items_of(container, incident["id"]) if i["kind"] == "attendance_breach")
    assert breach["detail"] == {"due_at": (start + timedelta(minutes=60)).isoformat()}
    late = next(i for i in items_of(container, incident["id"]) if i["kind"] == "late_reassessment")
    assert late["detail"]["escalation"] == 1 and late["created_at"] == start + timedelta(minutes=55)
    # the task counts as reassessed late in the figures
    task = container.reassessments.open_tasks(handler)[0]
    container.reassessments.complete(handler, task["id"], done("no_answer"), clock())
    assert counters(container, incident["id"]) == ZERO | {"assessed": 1, "tasks": 1}


# ---- deciding downgrades ---------------------------------------------------------------------


def test_approving_a_downgrade_records_the_decision_and_keeps_the_grade(
    container: Container, people: People, clock: FakeClock
) -> None:
    handler, supervisor = people(), people(Role.SUPERVISOR)
    incident, downgrade = downgraded(container, handler, clock)
    clock.advance(minutes=3)
    decided = container.supervision.decide_downgrade(
        supervisor, downgrade, True, "  custody confirmed by the arresting officer ", clock()
    )
    assert decided == {
        "item": downgrade,
        "status": "approved",
        "grade": "scheduled",
        "reference": incident["reference"],
    }
    item = next(i for i in items_of(container, incident["id"]) if i["id"] == downgrade)
    assert (item["status"], item["decided_by"], item["decided_at"], item["decision_reason"]) == (
        "approved",
        supervisor.username,
        clock(),
        "custody confirmed by the arresting officer",
    )
    assert incident_row(container, incident["reference"])["grade"] == "scheduled"
    events_now = timeline(container, incident["id"])
    assert events_now[-1]["kind"] == "review.downgrade_approved"
    assert events_now[-1]["data"] == {
        "item": downgrade,
        "proposed": "emergency",
        "chosen": "scheduled",
        "reason": "custody confirmed by the arresting officer",
    }
    assert "incident.regraded" not in kinds(container, incident["id"])
    assert queued(container, supervisor)["downgrade"] == []


def test_rejecting_a_downgrade_regrades_the_incident_and_restarts_its_clock(
    container: Container, force: None, people: People, clock: FakeClock
) -> None:
    handler, supervisor = people(), people(Role.SUPERVISOR)
    received = clock()
    incident, downgrade = downgraded(container, handler, clock)
    before = incident_row(container, incident["reference"])
    scheduled_clock = attendance(container, incident["id"])
    clock.advance(minutes=3)
    decided = container.supervision.decide_downgrade(
        supervisor, downgrade, False, "he has a history of breaching bail", clock()
    )
    assert (decided["status"], decided["grade"]) == ("rejected", "emergency")
    after = incident_row(container, incident["reference"])
    assert (after["grade"], after["version"]) == ("emergency", before["version"] + 1)
    # the emergency clock, from the call (urban: 15 minutes), in place of the scheduled one
    emergency_clock = [
        ("attendance.at_risk", received + timedelta(minutes=15 * 0.75)),
        ("attendance.breach", received + timedelta(minutes=15)),
    ]
    assert attendance(container, incident["id"]) == emergency_clock != scheduled_clock
    tail = timeline(container, incident["id"])[-2:]
    assert [e["kind"] for e in tail] == ["review.downgrade_rejected", "incident.regraded"]
    assert tail[1]["data"] == {
        "before": {"grade": "scheduled"},
        "after": {"grade": "emergency"},
        "reason": "he has a history of breaching bail",
    }
    assert tail[1]["actor"] == supervisor.username
    item = next(i for i in items_of(container, incident["id"]) if i["id"] == downgrade)
    assert (item["status"], item["decided_by"]) == ("rejected", supervisor.username)
    # the board shows the new grade
    board = container.dispatch.board(supervisor, clock())
    assert {i["reference"]: i["grade"] for i in board["queue"]}[incident["reference"]] == "emergency"


def test_a_supervisor_cannot_decide_their_own_downgrade_and_nothing_changes(
    container: Container, people: People, clock: FakeClock
) -> None:
    supervisor, colleague = people(Role.SUPERVISOR), people(Role.SUPERVISOR)
    incident, downgrade = downgraded(container, supervisor, clock)
    before = (incident_row(container, incident["reference"]), count(container, events))
    for approve in (True, False):
        with pytest.raises(Forbidden) as refused:
            container.supervision.decide_downgrade(supervisor, downgrade, approve, "fine by me", clock())
        assert refused.value.field == "item_id"
    assert (incident_row(container, incident["reference"]), count(container, events)) == before
    assert next(i for i in items_of(container, incident["id"]) if i["id"] == downgrade)["status"] == "open"
    decided = container.supervision.decide_downgrade(colleague, downgrade, True, "agreed", clock())
    assert decided["status"] == "approved"


def test_a_downgrade_is_decided_once_with_a_reason(
    container: Container, people: People, clock: FakeClock
) -> None:
    handler, supervisor, other = people(), people(Role.SUPERVISOR), people(Role.SUPERVISOR)
    incident, downgrade = downgraded(container, handler, clock)
    for reason in (None, "", "   "):
        with pytest.raises(DomainError) as missing:
            container.supervision.decide_downgrade(supervisor, downgrade, False, reason, clock())
        assert missing.value.field == "reason"
    with pytest.raises(DomainError) as too_long:
        container.supervision.decide_downgrade(supervisor, downgrade, False, "x" * 2_001, clock())
    assert too_long.value.field == "reason"
    assert incident_row(container, incident["reference"])["grade"] == "scheduled"
    container.supervision.decide_downgrade(supervisor, downgrade, True, "agreed", clock())
    before = (incident_row(container, incident["reference"]), count(container, events))
    with pytest.raises(Conflict) as twice:
        container.supervision.decide_downgrade(other, downgrade, False, "I disagree", clock())
    assert twice.value.field == "item_id" and supervisor.username in twice.value.message
    assert (incident_row(container, incident["reference"]), count(container, events)) == before


def test_only_a_downgrade_item_is_decided_and_only_by_a_supervisor(
    container: Container, people: People, clock: FakeClock
) -> None:
    handler, supervisor = people(), people(Role.SUPERVISOR)
    incident, downgrade = downgraded(container, handler, clock)
    da_item = item_id(container, incident["id"], "domestic_abuse")
    with pytest.raises(DomainError) as not_downgrade:
        container.supervision.decide_downgrade(supervisor, da_item, True, "ok", clock())
    assert not_downgrade.value.field == "item_id"
    with pytest.raises(NotFound):
        container.supervision.decide_downgrade(supervisor, 999_999, True, "ok", clock())
    with pytest.raises(PermissionError):
        container.supervision.decide_downgrade(people(), downgrade, True, "ok", clock())


# ---- reviews ---------------------------------------------------------------------------------


def test_a_review_of_an_incident_not_in_the_queue_is_refused_and_nothing_written(
    container: Container, people: People, clock: FakeClock
) -> None:
    handler, supervisor = people(), people(Role.SUPERVISOR)
    quiet = open_incident(container, handler, clock, opening_category="crime_theft")
    assess(container, handler, quiet, clock)
    # a downgrade alone is decided, not reviewed
    lowered = open_incident(container, handler, clock, opening_category="crime_theft")
    assess(
        container, handler, lowered, clock, {"harm": "medium"}, grade="resolution", override_reason="resolved"
    )
    assert queued(container, supervisor)["downgrade"] == [lowered["reference"]]
    before = count(container, events)
    for incident in (quiet, lowered):
        with pytest.raises(DomainError) as refused:
            container.supervision.review(
                supervisor, incident["reference"], full_answers(container), "Good.", clock()
            )
        assert refused.value.field == "reference"
        assert incident["reference"] in refused.value.message
        assert counters(container, incident["id"])["reviews"] == 0
    with pytest.raises(NotFound) as unknown:
        container.supervision.review(supervisor, "CR-NOSUCH", full_answers(container), "Good.", clock())
    assert unknown.value.field == "reference"
    assert (count(container, reviews), count(container, events)) == (0, before)


def test_a_review_missing_an_item_is_refused_naming_it_and_nothing_written(
    container: Container, people: People, clock: FakeClock
) -> None:
    handler, supervisor = people(), people(Role.SUPERVISOR)
    incident, _ = downgraded(container, handler, clock)
    before = (
        count(container, events),
        items_of(container, incident["id"]),
        counters(container, incident["id"]),
    )
    for missing in ("history_searched", "thriives_applied"):
        answers = full_answers(container)
        del answers[missing]
        with pytest.raises(DomainError) as refused:
            container.supervision.review(supervisor, incident["reference"], answers, "Good.", clock())
        assert refused.value.field == f"answers.{missing}"
    with pytest.raises(DomainError) as no_feedback:
        container.supervision.review(supervisor, incident["reference"], full_answers(container), " ", clock())
    assert no_feedback.value.field == "feedback"
    factors = dict(full_answers(container)["thriives_applied"].factors or {})
    del factors["vulnerability"]
    with pytest.raises(DomainError) as factor:
        container.supervision.review(
            supervisor,
            incident["reference"],
            full_answers(container, thriives_applied=Answer(factors=factors)),
            "Good.",
            clock(),
        )
    assert factor.value.field == "answers.thriives_applied.vulnerability"
    after = (
        count(container, events),
        items_of(container, incident["id"]),
        counters(container, incident["id"]),
    )
    assert after == before and count(container, reviews) == 0


def test_a_review_is_stored_with_its_form_and_handler_and_closes_the_incidents_review_items(
    container: Container, people: People, clock: FakeClock
) -> None:
    handler, supervisor = people(), people(Role.SUPERVISOR)
    incident = open_call(container, handler, clock)
    high = submission(container, facts_of(incident))
    ratings = dict(high.ratings)
    ratings["risk"] = Rating("high", "he has a knife")
    container.assessments.assess(
        handler,
        incident["reference"],
        submission(
            container, facts_of(incident), ratings=ratings, grade="priority", override_reason="he left"
        ),
        clock(),
    )
    assert sorted(i["kind"] for i in items_of(container, incident["id"])) == [
        "domestic_abuse",
        "downgrade",
        "high_risk",
    ]
    clock.advance(hours=2)
    answers = full_answers(
        container,
        right_questions=Answer("partly", note="did not ask about children"),
        category_correct=Answer("no", correction="concern_for_safety"),
    )
    result = container.supervision.review(
        supervisor, incident["reference"], answers, "  Ask about children every time. ", clock()
    )
    # earned: THRIIVES 3 + category 0 + questions 0.5 x 2 + history 2 + grade 2 + advice 1, of 11
    assert result["score"] == round(100 * 9 / 11) == 82
    assert (result["handler"], result["form_version"]) == (handler.username, "review-form-1")
    with container.uow() as uow:
        stored = uow.supervision.review(result["id"])
    assert stored["reference"] == incident["reference"]
    assert (stored["form_version"], stored["score"], stored["handler"], stored["reviewer"]) == (
        "review-form-1",
        82,
        handler.username,
        supervisor.username,
    )
    assert (stored["feedback"], stored["reviewed_at"], stored["acknowledged_at"]) == (
        "Ask about children every time.",
        clock(),
        None,
    )
    assert stored["answers"]["category_correct"] == {
        "value": "no",
        "note": None,
        "correction": "concern_for_safety",
    }
    assert stored["answers"]["right_questions"] == {"value": "partly", "note": "did not ask about children"}
    assert set(stored["answers"]["thriives_applied"]["factors"]) == {
        f.code for f in container.assessment_policy.models["thriives"].factors
    }
    by_kind = {i["kind"]: i for i in items_of(container, incident["id"])}
    assert stored["review_item_id"] in (by_kind["domestic_abuse"]["id"], by_kind["high_risk"]["id"])
    for kind in ("domestic_abuse", "high_risk"):
        assert (by_kind[kind]["status"], by_kind[kind]["decided_by"], by_kind[kind]["decision_reason"]) == (
            "reviewed",
            supervisor.username,
            f"review {result['id']}",
        )
    assert by_kind["downgrade"]["status"] == "open"  # still waits for its own decision
    assert counters(container, incident["id"]) == ZERO | {
        "assessed": 1,
        "category_reviews": 1,
        "category_correct": 0,
        "reviews": 1,
        "score_total": 82,
    }
    event = timeline(container, incident["id"])[-1]
    assert (event["kind"], event["data"]) == (
        "review.completed",
        {"review": result["id"], "score": 82, "form": "review-form-1", "handler": handler.username},
    )
    # reviewed: no longer in the queue, so not reviewed twice
    with pytest.raises(DomainError) as again:
        container.supervision.review(
            supervisor, incident["reference"], full_answers(container), "Again.", clock()
        )
    assert again.value.field == "reference"
    assert count(container, reviews) == 1


def test_a_review_finds_its_incident_however_long_the_queue_ahead_of_it(
    container: Container, people: People, clock: FakeClock
) -> None:
    handler, supervisor = people(), people(Role.SUPERVISOR)
    older = open_incident(container, handler, clock, opening_category="crime_theft")
    ahead = {
        "incident_id": older["id"],
        "kind": "sample",
        "detail": {},
        "status": "open",
        "created_by": supervisor.username,
        "created_at": clock() - timedelta(days=1),
    }
    with container.uow(write=True) as uow:  # a year's backlog queued before it
        uow.connection.execute(insert(review_items), [ahead] * 10_000)
        uow.commit()
    incident, _ = downgraded(container, handler, clock)
    result = container.supervision.review(
        supervisor, incident["reference"], full_answers(container), "Good.", clock()
    )
    assert result["score"] == 100
    assert [i["status"] for i in items_of(container, incident["id"]) if i["kind"] == "domestic_abuse"] == [
        "reviewed"
    ]
    assert count(container, review_items) == 10_000 + 2  # the backlog untouched, still open
    with container.uow() as uow:
        still_open = uow.connection.execute(
            select(func.count()).select_from(review_items).where(review_items.c.status == "open")
        ).scalar_one()
    assert still_open == 10_000 + 1  # the backlog and the downgrade


def test_a_reviewer_reads_the_call_assessments_searches_and_timeline_and_is_audited(
    container: Container, people: People, clock: FakeClock
) -> None:
    handler, supervisor = people(), people(Role.SUPERVISOR)
    incident, _ = downgraded(container, handler, clock)
    container.intel.search(handler, {"name": "John Smith"}, clock(), reference=incident["reference"])
    view = container.supervision.item(
        supervisor, item_id(container, incident["id"], "domestic_abuse"), clock()
    )
    assert view["incident"]["reference"] == incident["reference"]
    assert [a["version"] for a in view["assessments"]] == [1]
    assert len(view["searches"]) == 1 and view["handler"] == handler.username
    assert "incident.assessed" in [e["kind"] for e in view["timeline"]]
    with container.uow() as uow:
        audited = uow.connection.execute(
            select(audit_log.c.operation, audit_log.c.record_id, audit_log.c.justification).where(
                audit_log.c.actor == supervisor.username
            )
        ).all()
    assert [tuple(a) for a in audited] == [
        ("consultation", incident["reference"], "supervision: quality assurance of call handling")
    ]
    with pytest.raises(PermissionError):
        container.supervision.item(handler, item_id(container, incident["id"], "domestic_abuse"), clock())


# ---- facts kept in step ----------------------------------------------------------------------


def test_the_facts_follow_opening_assessing_searching_closing_and_reopening(
    container: Container, people: People, clock: FakeClock
) -> None:
    handler, supervisor = member(container, "B watch"), people(Role.SUPERVISOR)
    clock.now = datetime(2026, 11, 24, 6, 30, tzinfo=UTC)  # 06:30 GMT: the night shift
    incident = open_incident(container, handler, clock, opening_category="crime_theft")
    row = facts(container, incident["id"])
    assert (row["handler"], row["team"], row["shift"], row["week"], row["received_at"]) == (
        handler.username,
        "B watch",
        "night",
        "2026-W48",
        clock(),
    )
    assert counters(container, incident["id"]) == ZERO
    assess(container, handler, incident, clock)
    assert counters(container, incident["id"]) == ZERO | {"assessed": 1}
    container.intel.search(handler, {"name": "John Smith"}, clock(), reference=incident["reference"])
    container.intel.search(handler, {"name": "Jon Smith"}, clock(), reference=incident["reference"])
    container.intel.search(
        handler, {"name": "Someone Else"}, clock(), justification="checking a name for a colleague"
    )
    assert counters(container, incident["id"]) == ZERO | {"assessed": 1, "searched": 1}
    container.incidents.close(
        handler, incident["reference"], "crime_theft", "advice_given", "advice given", clock()
    )
    assert counters(container, incident["id"]) == ZERO | {
        "assessed": 1,
        "searched": 1,
        "closed": 1,
        "same_category": 1,
    }
    container.incidents.change_status(
        supervisor, incident["reference"], Status.OPEN, "caller rang back", clock()
    )
    assert counters(container, incident["id"]) == ZERO | {"assessed": 1, "searched": 1}
    container.incidents.close(
        handler, incident["reference"], "crime_damage", "advice_given", "advice given", clock()
    )
    assert counters(container, incident["id"]) == ZERO | {"assessed": 1, "searched": 1, "closed": 1}
    # a handler in no team is counted under "no team"; a summer evening in local time
    loner = people()
    clock.now = datetime(2026, 7, 5, 22, 30, tzinfo=UTC)  # 23:30 BST on Sunday 5 July
    summer = open_incident(container, loner, clock)
    row = facts(container, summer["id"])
    assert (row["team"], row["shift"], row["week"]) == ("no team", "night", "2026-W27")


def test_the_facts_count_reassessment_tasks_and_those_done_on_time(
    container: Container, force: None, people: People, clock: FakeClock
) -> None:
    handler = people()
    on_time = open_incident(container, handler, clock, opening_category="crime_theft")
    task = container.dispatch.cut_off(handler, on_time["reference"], clock())
    assert counters(container, on_time["id"]) == ZERO | {"tasks": 1}
    clock.advance(minutes=5)
    container.reassessments.complete(handler, task, done(), clock())
    assert counters(container, on_time["id"]) == ZERO | {"tasks": 1, "tasks_on_time": 1}

    late = open_incident(container, handler, clock, opening_category="crime_theft")
    task = container.dispatch.cut_off(handler, late["reference"], clock())
    clock.advance(minutes=container.dispatch.policy.escalate_after_minutes)
    fired = container.deadlines.fire_due(clock(), "test-worker")
    assert [f.kind for f in fired if f.kind != "grading.late"] == ["reassessment.escalate"]
    clock.advance(minutes=1)
    container.reassessments.complete(handler, task, done(), clock())
    assert counters(container, late["id"]) == ZERO | {"tasks": 1}
    # a second task on the same incident counts again
    clock.advance(minutes=1)
    again = container.dispatch.cut_off(handler, on_time["reference"], clock())
    container.reassessments.complete(handler, again, done(), clock())
    assert counters(container, on_time["id"]) == ZERO | {"tasks": 2, "tasks_on_time": 2}


# ---- feedback --------------------------------------------------------------------------------


def reviewed(container: Container, handler: Actor, supervisor: Actor, clock: FakeClock) -> dict[str, Any]:
    incident, _ = downgraded(container, handler, clock)
    clock.advance(minutes=30)
    return container.supervision.review(
        supervisor, incident["reference"], full_answers(container), "Well handled.", clock()
    ) | {"reference": incident["reference"], "incident_id": incident["id"]}


def test_a_handler_sees_and_acknowledges_the_reviews_of_their_own_work(
    container: Container, people: People, clock: FakeClock
) -> None:
    handler, other, supervisor = people(), people(), people(Role.SUPERVISOR)
    review = reviewed(container, handler, supervisor, clock)
    mine = container.supervision.feedback(handler)
    assert [(r["id"], r["reference"], r["score"], r["feedback"]) for r in mine] == [
        (review["id"], review["reference"], 100, "Well handled.")
    ]
    assert container.supervision.feedback(other) == []
    assert [r["id"] for r in container.supervision.unacknowledged(supervisor)] == [review["id"]]

    clock.advance(hours=1)
    before = count(container, events)
    with pytest.raises(Forbidden) as not_theirs:
        container.supervision.acknowledge(other, review["id"], None, clock())
    assert not_theirs.value.field == "review_id"
    with pytest.raises(DomainError) as long_note:
        container.supervision.acknowledge(handler, review["id"], "x" * 2_001, clock())
    assert long_note.value.field == "note"
    with pytest.raises(NotFound):
        container.supervision.acknowledge(handler, 999_999, None, clock())
    assert count(container, events) == before
    assert [r["id"] for r in container.supervision.unacknowledged(supervisor)] == [review["id"]]

    acknowledged = container.supervision.acknowledge(handler, review["id"], " Understood. ", clock())
    assert (acknowledged["acknowledged_at"], acknowledged["acknowledgement"]) == (clock(), "Understood.")
    assert container.supervision.unacknowledged(supervisor) == []
    (stored,) = container.supervision.feedback(handler)
    assert (stored["acknowledged_at"], stored["acknowledgement"]) == (clock(), "Understood.")
    assert timeline(container, review["incident_id"])[-1]["kind"] == "review.acknowledged"
    with pytest.raises(Conflict):
        container.supervision.acknowledge(handler, review["id"], None, clock())


def test_who_may_see_feedback_and_the_unacknowledged(
    container: Container, people: People, clock: FakeClock
) -> None:
    handler, supervisor = people(), people(Role.SUPERVISOR)
    reviewed(container, handler, supervisor, clock)
    with pytest.raises(PermissionError):
        container.supervision.unacknowledged(handler)
    with pytest.raises(PermissionError):
        container.supervision.feedback(people(Role.ANALYST))
    assert container.supervision.feedback(people(Role.DISPATCHER)) == []


# ---- the sample ------------------------------------------------------------------------------


def open_at(
    container: Container, actor: Actor, clock: FakeClock, at: datetime, **changes: Any
) -> dict[str, Any]:
    clock.now = at
    return open_incident(container, actor, clock, **changes)


def test_drawing_the_sample_logs_the_draw_queues_the_picks_and_can_be_reproduced(
    container: Container, people: People, clock: FakeClock
) -> None:
    alice, bob, supervisor = people(), people(), people(Role.SUPERVISOR)
    first = datetime(2026, 11, 1, 0, 0, tzinfo=UTC)
    pool = {
        open_at(container, actor, clock, first + timedelta(hours=7 * n + i), opening_category="crime_theft")[
            "reference"
        ]: actor.username
        for n in range(12)
        for i, actor in enumerate((alice, bob))
    }
    # not in the pool: last month's call, and one queued already for another reason
    open_at(
        container, alice, clock, datetime(2026, 10, 31, 23, 59, tzinfo=UTC), opening_category="crime_theft"
    )
    clock.now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    da, _ = downgraded(container, bob, clock)
    drawn_at = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # November is over
    clock.now = drawn_at

    drawn = container.supervision.draw_sample(supervisor, NOVEMBER, " seed-1 ", clock())
    assert drawn["candidates"] == len(pool) == 24
    picks = drawn["picks"]
    assert all(pool[p["reference"]] == p["handler"] for p in picks)
    assert Counter(p["handler"] for p in picks) == {alice.username: 3, bob.username: 3}
    with container.uow() as uow:
        (logged,) = uow.supervision.draws()
    assert (logged["id"], logged["period"], logged["seed"], logged["candidates"]) == (
        drawn["id"],
        NOVEMBER,
        "seed-1",
        24,
    )
    assert (logged["share"], logged["drawn_by"], logged["drawn_at"]) == (
        {"share": 0.02, "per_handler": 3},
        supervisor.username,
        drawn_at,
    )
    assert logged["picks"] == picks and logged["policy_version"] == container.supervision.policy.version
    assert queued(container, supervisor)["sample"] == [p["reference"] for p in picks]
    with container.uow() as uow:
        sample_items = uow.supervision.open_items(["sample"])
    assert [i["detail"] for i in sample_items] == [{"draw": drawn["id"], "why": p["why"]} for p in picks]
    with container.uow() as uow:
        drawn_event = uow.connection.execute(
            select(events.c.data).where(events.c.kind == "review.sample_drawn")
        ).scalar_one()
    assert drawn_event == {"draw": drawn["id"], "period": NOVEMBER, "picked": 6}

    # later calls of the month, and a pooled call queued since, leave the logged draw reproducible
    open_at(container, alice, clock, drawn_at + timedelta(hours=1), opening_category="crime_theft")
    later = next(r for r in pool if r not in {p["reference"] for p in picks})
    clock.advance(minutes=1)
    assess(container, alice, incident_row(container, later), clock, {"risk": "high"})
    assert later in queued(container, supervisor)["high_risk"]
    again = container.supervision.reproduce(supervisor, drawn["id"])
    assert (again["same"], again["candidates"], again["picks"]) == (True, 24, picks)
    # a sampled call can be reviewed like any other in the queue
    result = container.supervision.review(
        supervisor, picks[0]["reference"], full_answers(container), "Good call.", clock()
    )
    assert result["handler"] == picks[0]["handler"]
    assert da["reference"] not in pool


def test_a_call_with_only_a_categorisation_cue_is_in_the_sample_pool(
    container: Container, people: People, clock: FakeClock
) -> None:
    """A cue is shown to the handler and recorded, but does not put the call in the review
    queue, so it must not keep the call out of the sample either."""
    handler, supervisor = people(), people(Role.SUPERVISOR)
    clock.now = datetime(2026, 11, 3, 9, tzinfo=UTC)
    cued = open_call(
        container,
        handler,
        clock,
        opening_category="concern_for_safety",
        qualifiers=(),
        account="My ex-husband keeps turning up and I'm scared for the kids.",
    )
    container.assessments.assess(handler, cued["reference"], submission(container, facts_of(cued)), clock())
    assert [i["kind"] for i in items_of(container, cued["id"])] == ["categorisation_cue"]
    assert all(cued["reference"] not in refs for refs in queued(container, supervisor).values())
    clock.now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # November is over
    drawn = container.supervision.draw_sample(supervisor, NOVEMBER, "seed", clock())
    assert drawn["candidates"] == 1
    assert [p["reference"] for p in drawn["picks"]] == [cued["reference"]]
    assert container.supervision.reproduce(supervisor, drawn["id"])["same"]


def test_a_second_draw_for_a_month_and_bad_input_are_refused_and_nothing_written(
    container: Container, people: People, clock: FakeClock
) -> None:
    handler, supervisor = people(), people(Role.SUPERVISOR)
    open_at(container, handler, clock, datetime(2026, 11, 3, 9, tzinfo=UTC), opening_category="crime_theft")
    clock.now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # November is over
    before = (count(container, sample_draws), count(container, review_items), count(container, events))
    assert before[:2] == (0, 0)
    bad = [
        ("2026-13", "seed", "period"),
        ("November", "seed", "period"),
        ("2026-11-01", "seed", "period"),
        ("", "seed", "period"),
        ("2026-12", "seed", "period"),  # not over yet
        (NOVEMBER, "", "seed"),
        (NOVEMBER, "   ", "seed"),
        (NOVEMBER, "x" * 101, "seed"),
    ]
    for period, seed, field in bad:
        with pytest.raises(DomainError) as refused:
            container.supervision.draw_sample(supervisor, period, seed, clock())
        assert refused.value.field == field, (period, seed)
    assert (
        count(container, sample_draws),
        count(container, review_items),
        count(container, events),
    ) == before
    with pytest.raises(PermissionError):
        container.supervision.draw_sample(handler, NOVEMBER, "seed", clock())

    container.supervision.draw_sample(supervisor, NOVEMBER, "seed", clock())
    before = (count(container, sample_draws), count(container, review_items), count(container, events))
    with pytest.raises(Conflict) as twice:
        container.supervision.draw_sample(supervisor, NOVEMBER, "another seed", clock())
    assert twice.value.field == "period"
    assert (
        count(container, sample_draws),
        count(container, review_items),
        count(container, events),
    ) == before
    with pytest.raises(DomainError) as unknown:
        container.supervision.reproduce(supervisor, 999_999)
    assert unknown.value.field == "draw_id"


def test_a_realistic_month_sample_meets_its_policy(
    container: Container, people: People, clock: FakeClock
) -> None:
    """Three handlers with 40 calls each in November (some at the month's edges in UTC)."""
    handlers = [people(), people(), people()]
    first = datetime(2026, 11, 1, 0, 0, tzinfo=UTC)
    pool = []
    for n in range(40):
        for i, actor in enumerate(handlers):
            at = first + timedelta(minutes=(n * 3 + i) * 239)  # spread over the 30 days
            incident = open_at(container, actor, clock, at, opening_category="crime_theft")
            pool.append(Candidate(incident["reference"], actor.username))
    assert clock() < datetime(2026, 12, 1, tzinfo=UTC)
    supervisor = people(Role.SUPERVISOR)
    clock.now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    drawn = container.supervision.draw_sample(supervisor, NOVEMBER, "2026-12-01 draw", clock())
    policy = SamplePolicy(0.02, 3)
    assert drawn["candidates"] == 120
    chosen = [Pick(**p) for p in drawn["picks"]]
    assert meets(chosen, pool, policy) == []
    assert len(chosen) >= math.ceil(0.02 * 120)
    assert (
        all(n >= 3 for n in Counter(p.handler for p in chosen).values())
        and len(Counter(p.handler for p in chosen)) == 3
    )
    assert {p.reference for p in chosen} <= {c.reference for c in pool}


# ---- the dashboard ---------------------------------------------------------------------------


def november(container: Container, clock: FakeClock) -> dict[str, Any]:
    """A small month with figures worked out by hand (GMT throughout, so local time is UTC).

    alice (A watch): a1 Mon 2nd 08:00 early W45, assessed, searched, closed same category;
                     a2 Mon 2nd 23:30 night W45, assessed, closed as another category;
                     a3 Tue 17th 16:00 late W47, domestic abuse, assessed, reviewed 91 with
                     the category judged wrong.
    bob (B watch):   b1 Tue 10th 03:00 night W46, a task done on time;
                     b3 Thu 12th 10:00 early W46, a task done late;
                     b2 Sun 15th 12:00 early W46, assessed high risk, reviewed 100.
    Outside the period: one on 31 October 23:59 and one on 1 December 00:00.
    """
    alice = member(container, "A watch", name="alice")
    bob = member(container, "B watch", name="bob")
    supervisor = member(container, None, Role.SUPERVISOR, name="sarge")
    made: dict[str, Any] = {"supervisor": supervisor, "alice": alice, "bob": bob}
    made["o1"] = open_at(container, alice, clock, datetime(2026, 10, 31, 23, 59, tzinfo=UTC))

    a1 = made["a1"] = open_at(
        container, alice, clock, datetime(2026, 11, 2, 8, tzinfo=UTC), opening_category="crime_theft"
    )
    assess(container, alice, a1, clock)
    container.intel.search(alice, {"name": "John Smith"}, clock(), reference=a1["reference"])
    container.incidents.close(alice, a1["reference"], "crime_theft", "advice_given", "advice given", clock())

    a2 = made["a2"] = open_at(
        container, alice, clock, datetime(2026, 11, 2, 23, 30, tzinfo=UTC), opening_category="crime_theft"
    )
    assess(container, alice, a2, clock)
    container.incidents.close(alice, a2["reference"], "crime_damage", "advice_given", "advice given", clock())

    b1 = made["b1"] = open_at(
        container, bob, clock, datetime(2026, 11, 10, 3, tzinfo=UTC), opening_category="crime_theft"
    )
    task = container.dispatch.cut_off(bob, b1["reference"], clock())
    clock.advance(minutes=5)
    container.reassessments.complete(bob, task, done(), clock())

    b3 = made["b3"] = open_at(
        container, bob, clock, datetime(2026, 11, 12, 10, tzinfo=UTC), opening_category="crime_theft"
    )
    task = container.dispatch.cut_off(bob, b3["reference"], clock())
    clock.advance(minutes=10)
    fired = container.deadlines.fire_due(clock(), "test-worker")
    assert [f.kind for f in fired if f.kind != "grading.late"] == ["reassessment.escalate"]
    clock.advance(minutes=2)
    container.reassessments.complete(bob, task, done(), clock())

    b2 = made["b2"] = open_at(container, bob, clock, datetime(2026, 11, 15, 12, tzinfo=UTC))
    assess(container, bob, b2, clock, {"risk": "high"})

    clock.now = datetime(2026, 11, 17, 16, tzinfo=UTC)
    a3 = made["a3"] = open_call(container, alice, clock)
    container.assessments.assess(alice, a3["reference"], submission(container, facts_of(a3)), clock())

    clock.now = datetime(2026, 11, 20, 9, tzinfo=UTC)
    wrong = full_answers(container, category_correct=Answer("no", correction="concern_for_safety"))
    assert (
        container.supervision.review(supervisor, a3["reference"], wrong, "Check the category.", clock())[
            "score"
        ]
        == 91
    )
    assert (
        container.supervision.review(supervisor, b2["reference"], full_answers(container), "Good.", clock())[
            "score"
        ]
        == 100
    )

    made["o2"] = open_at(container, bob, clock, datetime(2026, 12, 1, 0, 0, tzinfo=UTC))
    return made


def by(sums: list[Sums]) -> list[Figures]:
    return [figures(s) for s in sums]


def test_the_dashboard_figures_by_handler_team_shift_and_week_match_the_hand_count(
    container: Container, force: None, clock: FakeClock
) -> None:
    made = november(container, clock)
    supervisor = made["supervisor"]
    alice = Sums("alice", 3, 3, 1, 2, 1, 1, 0, 0, 0, 1, 91)
    bob = Sums("bob", 3, 1, 0, 0, 0, 1, 1, 2, 1, 1, 100)

    def dashboard(
        grouping: str, start: date = date(2026, 11, 1), end: date = date(2026, 11, 30)
    ) -> dict[str, Any]:
        return container.supervision.dashboard(supervisor, start, end, grouping)

    handler = dashboard("handler")
    assert handler["rows"] == by([alice, bob])
    assert handler["rows"][0] == Figures("alice", 3, 1.0, 1 / 3, 0.5, 0.0, None, 1, 91.0)
    assert handler["rows"][1] == Figures("bob", 3, 1 / 3, 0.0, None, 1.0, 0.5, 1, 100.0)
    assert handler["total"] == Figures("all", 6, 4 / 6, 1 / 6, 0.5, 0.5, 0.5, 2, 95.5)
    assert dashboard("team")["rows"] == by(
        [Sums("A watch", *list(vars(alice).values())[1:]), Sums("B watch", *list(vars(bob).values())[1:])]
    )
    assert dashboard("shift")["rows"] == by(
        [
            Sums("early", 3, 2, 1, 1, 1, 1, 1, 1, 0, 1, 100),  # a1, b3, b2
            Sums("late", 1, 1, 0, 0, 0, 1, 0, 0, 0, 1, 91),  # a3
            Sums("night", 2, 1, 0, 1, 0, 0, 0, 1, 1, 0, 0),  # a2, b1
        ]
    )
    assert dashboard("week")["rows"] == by(
        [
            Sums("2026-W45", 2, 2, 1, 2, 1, 0, 0, 0, 0, 0, 0),  # a1, a2
            Sums("2026-W46", 3, 1, 0, 0, 0, 1, 1, 2, 1, 1, 100),  # b1, b3, b2
            Sums("2026-W47", 1, 1, 0, 0, 0, 1, 0, 0, 0, 1, 91),  # a3
        ]
    )
    # one local day: only that day's calls
    day = dashboard("handler", date(2026, 11, 2), date(2026, 11, 2))
    assert day["rows"] == by([Sums("alice", 2, 2, 1, 2, 1, 0, 0, 0, 0, 0, 0)])
    # the days either side of the month hold the two calls left out
    edges = dashboard("handler", date(2026, 10, 31), date(2026, 12, 1))
    assert [(r.group, r.incidents) for r in edges["rows"]] == [("alice", 4), ("bob", 4)]
    # an analyst reads the same figures
    analyst = member(container, None, Role.ANALYST)
    assert (
        container.supervision.dashboard(analyst, date(2026, 11, 1), date(2026, 11, 30), "team")["total"]
        == handler["total"]
    )


def test_a_dashboard_period_ending_before_it_starts_or_a_bad_grouping_is_refused(
    container: Container, people: People
) -> None:
    supervisor = people(Role.SUPERVISOR)
    with pytest.raises(DomainError) as backwards:
        container.supervision.dashboard(supervisor, date(2026, 11, 30), date(2026, 11, 1), "handler")
    assert backwards.value.field == "end"
    with pytest.raises(DomainError) as grouping:
        container.supervision.dashboard(supervisor, date(2026, 11, 1), date(2026, 11, 30), "district")
    assert grouping.value.field == "by"
    with pytest.raises(PermissionError):
        container.supervision.dashboard(people(), date(2026, 11, 1), date(2026, 11, 30), "handler")
    empty = container.supervision.dashboard(supervisor, date(2026, 11, 1), date(2026, 11, 30), "week")
    assert empty["rows"] == [] and empty["total"] == Figures("all", 0, None, None, None, None, None, 0, None)


# ---- the backfill ----------------------------------------------------------------------------


def all_facts(container: Container) -> dict[str, dict[str, Any]]:
    with container.uow() as uow:
        rows = uow.connection.execute(select(qa_facts)).all()
    return {row.incident_id: dict(row._mapping) for row in rows}


def test_backfill_writes_the_same_facts_for_incidents_that_have_none(
    container: Container, force: None, clock: FakeClock
) -> None:
    made = november(container, clock)
    kept = all_facts(container)
    unreviewed = [made[k]["id"] for k in ("o1", "a1", "a2", "b1", "b3", "o2")]
    with container.uow(write=True) as uow:
        uow.connection.execute(delete(qa_facts).where(qa_facts.c.incident_id.in_(unreviewed)))
        uow.commit()
    assert count(container, qa_facts) == len(kept) - len(unreviewed)
    assert container.supervision.backfill_facts() == len(unreviewed)
    assert all_facts(container) == kept
    assert container.supervision.backfill_facts() == 0
