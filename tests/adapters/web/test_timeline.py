"""Timelines in plain words, on both stores: an incident taken through its whole life shows
on the incident page and the supervisor's review page without a server error, a ``None``,
a rule code, an enum value or JSON; and every event kind reads as words."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from tests.adapters.web.test_dispatch_pages import open_call, post, seed_force
from tests.adapters.web.test_pages import log_in
from tests.adapters.web.test_supervision_pages import assess, items_of, review_form
from tests.conftest import FakeClock, People, test_settings
from thriives.adapters.web.timeline import TITLES, Words, describe, words_for
from thriives.bootstrap import Container, build
from thriives.domain.accounts import Role
from thriives.domain.dash import DashSubmission
from thriives.domain.dispatch import UnitStatus
from thriives.domain.incidents import Status
from thriives.domain.reassessment import Completion


@pytest.fixture
def container(database_url: str, clock: FakeClock) -> Iterator[Container]:
    built = build(test_settings(database_url, worker_in_process=False), clock=clock)
    seed_force(built)
    yield built
    built.close()


def timeline_of(html: str) -> str:
    """The text of the page's timeline, tags removed."""
    section = html.split('id="timeline"', 1)[1].split("</ol>", 1)[0]
    return re.sub(r"<[^>]+>", " ", section.split(">", 1)[1])


def assert_plain(text: str) -> None:
    assert "None" not in text
    assert "{" not in text and "}" not in text
    assert "_" not in text, "an enum value, a field name or a rule code"
    assert not re.search(r"\b[a-z]+\.[a-z]+", text), "a rule code or an event kind"


def test_an_incident_through_its_whole_life_reads_in_plain_words_on_every_page(
    client: TestClient, container: Container, people: People, clock: FakeClock
) -> None:
    handler, dispatcher = people(Role.CALL_HANDLER), people(Role.DISPATCHER)
    supervisor = people(Role.SUPERVISOR)
    reference = open_call(container, handler, "domestic_incident", ("domestic",))
    container.intel.search(handler, {"name": "Jon Smyth"}, clock(), reference)
    assess(container, handler, reference, chosen="scheduled")  # a downgrade
    downgrade = items_of(container, supervisor, reference)["downgrade"]
    container.supervision.decide_downgrade(supervisor, downgrade, False, "he breaches bail", clock())
    answers = {q.id: "no" for q in container.assessment_policy.dash_questions}
    container.assessments.record_dash(handler, reference, DashSubmission(answers, {}), clock())
    clock.advance(minutes=20)
    container.deadlines.fire_due(clock(), "test")  # at risk, breached
    container.dispatch.assign(dispatcher, reference, "TH-A2", None, clock())
    clock.advance(minutes=2)
    container.dispatch.move(dispatcher, "TH-A2", UnitStatus.EN_ROUTE, clock())
    container.dispatch.move(dispatcher, "TH-A2", UnitStatus.AT_SCENE, clock())
    container.dispatch.take_away(dispatcher, "TH-A2", "diverted to a crash", clock())
    container.dispatch.cut_off(dispatcher, reference, clock())
    clock.advance(hours=1)
    container.deadlines.fire_due(clock(), "test")  # escalated
    assess(container, handler, reference)
    task = container.reassessments.open_tasks(dispatcher)[0]["id"]
    version = len(container.assessments.history(handler, reference, container.clock())[0])
    done = Completion("voicemail", "left a message", ("advice",), None, clock().replace(year=2027), version)
    container.reassessments.complete(dispatcher, task, done, clock())
    item = items_of(container, supervisor, reference)["domestic_abuse"]
    log_in(client, supervisor.username)
    page = f"/supervision/items/{item}"
    reviewed = post(
        client,
        f"/supervision/incidents/{reference}/review",
        page,
        item_id=str(item),
        **review_form(container),
    )
    assert reviewed.status_code == 303
    review = container.supervision.feedback(handler)[0]["id"]
    container.supervision.acknowledge(handler, review, "thanks", clock())
    container.dispatch.assign(dispatcher, reference, "TH-A1", "TH-A2 is at the crash", clock())
    container.incidents.close(dispatcher, reference, "domestic_incident", "no_trace", "all calm", clock())
    container.incidents.change_status(supervisor, reference, Status.OPEN, "she rang back", clock())

    with container.uow() as uow:
        kinds = {e["kind"] for e in uow.journal.timeline(uow.incidents.require(reference)["id"])}
    assert {
        "incident.opened",
        "review.queued",
        "intel.searched",
        "incident.assessed",
        "review.downgrade_requested",
        "review.downgrade_rejected",
        "incident.regraded",
        "incident.dash_recorded",
        "unit.status",
        "incident.dispatched",
        "incident.arrived",
        "incident.unit_taken_away",
        "incident.cut_off",
        "reassessment.opened",
        "reassessment.trigger_added",
        "attendance.breached",
        "reassessment.escalated",
        "reassessment.completed",
        "review.completed",
        "review.acknowledged",
        "incident.closed",
        "incident.reopen",
    } <= kinds

    shown = client.get(page)
    assert shown.status_code == 200
    assert_plain(timeline_of(shown.text))
    for actor in (supervisor, dispatcher, handler):
        log_in(client, actor.username)
        incident = client.get(f"/incidents/{reference}")
        assert incident.status_code == 200, actor.role
        text = timeline_of(incident.text)
        assert_plain(text)
        assert "None" not in incident.text
    for other in (f"/incidents/{reference}/assess", f"/board/incidents/{reference}", page):
        words_shown = re.sub(r"<[^>]+>", " ", client.get(other).text)
        # "None" is a THRIIVES level's name on the assessment form, so only elsewhere.
        assert "None" not in words_shown or other.endswith("/assess"), other
        assert not re.search(r"\b[a-z]+\.[a-z]+(_[a-z]+)+\b", words_shown), other  # a rule code
    assert "TH-A2: en route → at scene" in text
    assert "by worker" not in text and "automatically" in text  # the deadline worker, in words
    assert "grade: Scheduled → Emergency" in text
    assert "status: closed → open" in text and "closing category: Domestic incident → not set" in text
    assert "grade: Emergency (unchanged); status: graded (unchanged)" in text
    assert "why no DASH" not in text  # empty before and after: not a change
    assert text.count("closure note") == 1  # on reopening; on closing it is the reason
    assert "due " in text and "contact: " in text and "1 found" not in text.replace("0 found", "")


def words(container: Container) -> Words:
    return words_for(container)


SAMPLES = {
    "incident.opened": {
        "after": {"reference": "X", "status": "open", "opening_category": "domestic_incident"}
    },
    "incident.assessed": {
        "before": {"grade": None, "status": "open"},
        "after": {"grade": "emergency", "status": "graded"},
        "version": 1,
        "proposed": "emergency",
        "rules": ["da.immediate_by_default"],
        "downgrade": False,
        "reason": None,
    },
    "unit.status": {"call_sign": "TH-A1", "before": "en_route", "after": "at_scene"},
    "incident.dispatched": {
        "before": {"status": "graded", "dispatched_at": None},
        "after": {"status": "dispatched", "dispatched_at": "2026-11-26T21:30:00+00:00"},
        "call_sign": "TH-A1",
        "recommended": ["TH-A2"],
        "followed": False,
        "reason": "nearer",
    },
    "deadline.failed": {"deadline": 3, "kind": "attendance_breach", "error": "KeyError: {'x': None}"},
    "appointment.booked": {"appointment": 1, "slot": 2, "at": "2026-11-27T10:00:00+00:00", "reasons": []},
    "appointment.missed": {"appointment": 1},
    "reassessment.completed": {
        "task": 1,
        "contact_outcome": "no_answer",
        "safeguarding": ["welfare_check"],
        "assessment_version": None,
        "review_at": None,
        "checked": [],
    },
    "incident.dash_recorded": {"level": "high", "yes_count": 14, "basis": "score", "marac_referral": True},
    "review.queued": {"item": 1, "kind": "attendance_breach"},
    "some.future_kind": {"before": {"closure_reason": None}, "after": {"closure_reason": "attended"}},
}


@pytest.mark.parametrize("kind", sorted(set(TITLES) | set(SAMPLES)))
def test_every_event_kind_reads_as_words(container: Container, kind: str) -> None:
    event = {
        "kind": kind,
        "at": datetime(2026, 11, 26, 21, 30, tzinfo=UTC),
        "actor": "x",
        "data": SAMPLES.get(kind, {}),
    }
    entry = describe(event, words(container))
    text = " ".join([entry.title, *entry.details, entry.reason or ""])
    assert entry.title and "." not in entry.title
    assert "None" not in text and "{" not in text
    assert not re.search(r"[a-z]_[a-z]", text), text


def test_values_are_worded_by_policy_and_local_time(container: Container) -> None:
    said = words(container)
    assert said.zone == ZoneInfo(container.settings.force_timezone)
    assert said.grade("emergency") == container.assessment_policy.grade("emergency").name  # type: ignore[union-attr]
    assert said.value("grade", None) == "not set"
    assert said.value("status", "at_scene") == "at scene"
    assert said.value("dispatched_at", "2026-07-01T12:00:00+00:00") == "01 Jul 2026 13:00"  # BST
    event = {
        "kind": "incident.assessed",
        "at": datetime(2026, 11, 26, tzinfo=UTC),
        "actor": "a",
        "data": SAMPLES["incident.assessed"],
    }
    details = describe(event, said).details
    assert details == (
        "assessment version 1",
        f"grade: not set → {said.grade('emergency')}",
        "status: open → graded",
    )
