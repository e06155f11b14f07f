"""Assessment use-cases on both stores: grading an incident, history, downgrades, cues, DASH."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from tests.conftest import FakeClock, People
from thriives.adapters.db.tables import assessments, review_items
from thriives.bootstrap import Container
from thriives.domain.accounts import Actor, Role
from thriives.domain.assessment import AdviceRecord, CallFacts, Rating, Submission, advice_due
from thriives.domain.dash import DashSubmission
from thriives.domain.errors import DomainError
from thriives.domain.incidents import Channel, Contact, Status


def submission(container: Container, facts: CallFacts, **changes: Any) -> Submission:
    policy = container.assessment_policy
    model = policy.models["thriives"]
    values: dict[str, Any] = {
        "model": "thriives",
        "ratings": {f.code: Rating("low", f"{f.name}: nothing of note said") for f in model.factors},
        "advice": {code: AdviceRecord(True) for code in advice_due(facts, policy)},
    }
    values.update(changes)
    return Submission(**values)


def open_call(container: Container, actor: Actor, clock: FakeClock, **changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "channel": Channel.EMERGENCY,
        "received_at": clock(),
        "opening_category": "domestic_incident",
        "qualifiers": ("domestic",),
        "caller_phone": "07700900555",
        "account": "He is shouting again.",
    }
    values.update(changes)
    return container.incidents.open(actor, Contact(**values), clock()).incident


def facts_of(incident: dict[str, Any]) -> CallFacts:
    return CallFacts(incident["opening_category"], frozenset(incident["qualifiers"]), incident["channel"])


def test_a_domestic_abuse_call_is_graded_emergency_with_its_reasons(
    container: Container, people: People, clock: FakeClock
) -> None:
    handler = people()
    incident = open_call(container, handler, clock)
    answers = {"da_suspect_present": "yes", "da_children_vulnerable": "children"}
    known = {k: v for k, v in answers.items() if k in container.assessment_policy.questions}
    assessed = container.assessments.assess(
        handler, incident["reference"], submission(container, facts_of(incident), answers=known), clock()
    )
    assert assessed.version == 1
    assert assessed.evaluation.final_grade == "emergency"
    assert "da.immediate_by_default" in [r.rule for r in assessed.evaluation.proposed.deciding]
    with container.uow() as uow:
        stored = uow.incidents.get(incident["reference"])
    assert stored is not None
    assert (stored["status"], stored["grade"]) == (Status.GRADED.value, "emergency")
    _, timeline = container.incidents.view(handler, incident["reference"], clock())
    assert timeline[-1]["kind"] == "incident.assessed"
    assert timeline[-1]["data"]["after"]["grade"] == "emergency"


def test_a_reassessment_is_a_new_version_and_history_is_kept(
    container: Container, people: People, clock: FakeClock
) -> None:
    handler = people()
    incident = open_call(container, handler, clock)
    facts = facts_of(incident)
    container.assessments.assess(handler, incident["reference"], submission(container, facts), clock())
    clock.advance(minutes=20)
    risk_high = submission(container, facts)
    ratings = dict(risk_high.ratings) | {"risk": Rating("high", "he has come back with a knife")}
    second = container.assessments.assess(
        handler, incident["reference"], submission(container, facts, ratings=ratings), clock()
    )
    assert second.version == 2
    history, _ = container.assessments.history(handler, incident["reference"], container.clock())
    assert [h["version"] for h in history] == [1, 2]
    assert history[1]["levels"]["risk"] == "high"
    assert history[0]["policy_version"] == container.assessment_policy.version


def test_a_downgrade_needs_a_reason_and_goes_to_a_supervisor(
    container: Container, people: People, clock: FakeClock
) -> None:
    handler = people()
    incident = open_call(container, handler, clock)
    facts = facts_of(incident)
    with pytest.raises(DomainError) as refused:
        container.assessments.assess(
            handler, incident["reference"], submission(container, facts, grade="scheduled"), clock()
        )
    assert refused.value.field == "override_reason"
    with container.uow() as uow:
        assert uow.connection.execute(select(func.count()).select_from(assessments)).scalar_one() == 0
        assert uow.incidents.get(incident["reference"])["grade"] is None  # type: ignore[index]
    assessed = container.assessments.assess(
        handler,
        incident["reference"],
        submission(
            container,
            facts,
            grade="scheduled",
            override_reason="victim at a friend's house, suspect in custody elsewhere",
        ),
        clock(),
    )
    assert assessed.evaluation.downgrade
    with container.uow() as uow:
        items = uow.assessments.review_items(incident["id"])
    # the call for review (as every DA incident is, from its opening), and the downgrade for a decision
    assert [(i["kind"], i["status"]) for i in items] == [("domestic_abuse", "open"), ("downgrade", "open")]
    assert items[1]["detail"]["proposed"] == "emergency" and items[1]["detail"]["chosen"] == "scheduled"


def test_an_upgrade_is_free(container: Container, people: People, clock: FakeClock) -> None:
    handler = people()
    incident = open_call(container, handler, clock, opening_category="admin_lost_found", qualifiers=())
    assessed = container.assessments.assess(
        handler, incident["reference"], submission(container, facts_of(incident), grade="priority"), clock()
    )
    assert not assessed.evaluation.downgrade and assessed.evaluation.final_grade == "priority"


def test_a_silent_999_call_from_a_number_with_domestic_abuse_history_is_an_emergency(
    container: Container, people: People, clock: FakeClock
) -> None:
    handler = people()
    earlier = open_call(container, handler, clock)
    container.incidents.close(
        people(Role.SUPERVISOR),  # it waits for its domestic-abuse review; a supervisor may close
        earlier["reference"],
        "domestic_incident",
        "attended_resolved",
        "resolved at the door",
        clock(),
        dash_exemption="victim declined",
    )
    clock.advance(days=40)
    silent = open_call(
        container, handler, clock, opening_category="abandoned_call", qualifiers=(), account=""
    )
    assessed = container.assessments.assess(
        handler,
        silent["reference"],
        submission(container, facts_of(silent), call_states=frozenset({"silent"})),
        clock(),
    )
    assert assessed.linked_incidents == (earlier["reference"],)
    assert assessed.evaluation.final_grade == "emergency"
    assert [r.rule for r in assessed.evaluation.proposed.deciding] == ["da.silent_call_from_linked_number"]


def test_a_cue_in_the_callers_words_is_shown_and_recorded_but_changes_nothing(
    container: Container, people: People, clock: FakeClock
) -> None:
    handler = people()
    incident = open_call(
        container,
        handler,
        clock,
        opening_category="concern_for_safety",
        qualifiers=(),
        account="My ex-husband keeps turning up and I'm scared for the kids.",
    )
    assessed = container.assessments.assess(
        handler, incident["reference"], submission(container, facts_of(incident)), clock()
    )
    suggested = {q for s in assessed.suggestions for q in s.qualifiers}
    assert "domestic" in suggested
    with container.uow() as uow:
        stored = uow.incidents.get(incident["reference"])
        items = uow.assessments.review_items(incident["id"])
    assert (
        stored is not None
        and stored["qualifiers"] == []
        and stored["opening_category"] == "concern_for_safety"
    )
    assert "categorisation_cue" in [i["kind"] for i in items]


def test_a_closed_incident_cannot_be_assessed(container: Container, people: People, clock: FakeClock) -> None:
    handler = people()
    incident = open_call(container, handler, clock, opening_category="crime_theft", qualifiers=())
    container.incidents.close(
        handler, incident["reference"], "crime_theft", "crime_recorded", "crime recorded", clock()
    )
    with pytest.raises(DomainError) as refused:
        container.assessments.assess(
            handler, incident["reference"], submission(container, facts_of(incident)), clock()
        )
    assert refused.value.field == "status"


def test_dash_is_scored_recorded_and_lets_a_domestic_incident_close(
    container: Container, people: People, clock: FakeClock
) -> None:
    handler = people()
    incident = open_call(container, handler, clock)
    ids = [q.id for q in container.assessment_policy.dash_questions]
    answers = {qid: ("yes" if i < 14 else "no") for i, qid in enumerate(ids)}
    result = container.assessments.record_dash(
        handler, incident["reference"], DashSubmission(answers, {}), clock()
    )
    assert (result.yes_count, result.level, result.marac_referral) == (14, "high", True)
    closed = container.incidents.close(
        people(Role.SUPERVISOR),
        incident["reference"],
        "domestic_incident",
        "crime_recorded",
        "DASH done",
        clock(),
    )
    assert closed["status"] == "closed"


def test_a_dash_with_a_question_not_asked_is_refused_and_nothing_saved(
    container: Container, people: People, clock: FakeClock
) -> None:
    handler = people()
    incident = open_call(container, handler, clock)
    ids = [q.id for q in container.assessment_policy.dash_questions]
    with pytest.raises(DomainError) as refused:
        container.assessments.record_dash(
            handler, incident["reference"], DashSubmission({i: "no" for i in ids[:-1]}, {}), clock()
        )
    assert refused.value.field == f"answers.{ids[-1]}"
    assert container.assessments.history(handler, incident["reference"], container.clock())[1] == []


def test_supervisors_keep_versioned_aide_memoires(
    container: Container, people: People, clock: FakeClock
) -> None:
    supervisor, handler = people(Role.SUPERVISOR), people()
    assert (
        container.assessments.set_aide_memoire(supervisor, "domestic_incident", "Key word; secure", clock())
        == 1
    )
    assert (
        container.assessments.set_aide_memoire(supervisor, "domestic_incident", "Key word; kids", clock())
        == 2
    )
    assert container.assessments.aide_memoire("domestic_incident")["text"] == "Key word; kids"  # type: ignore[index]
    with pytest.raises(PermissionError):
        container.assessments.set_aide_memoire(handler, "domestic_incident", "mine now", clock())
    with pytest.raises(DomainError):
        container.assessments.set_aide_memoire(supervisor, "no_such_category", "x", clock())
    with container.uow() as uow:
        assert len(uow.assessments.aide_memoire_history("domestic_incident")) == 2
        assert uow.connection.execute(select(func.count()).select_from(review_items)).scalar_one() == 0


def test_concurrent_assessments_of_one_incident_get_distinct_versions(
    container: Container, people: People, clock: FakeClock
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    handlers = [people() for _ in range(4)]
    incident = open_call(container, handlers[0], clock)
    facts = facts_of(incident)

    def assess(actor: Actor) -> int | str:
        try:
            return container.assessments.assess(
                actor, incident["reference"], submission(container, facts), clock()
            ).version
        except DomainError as error:  # only ever "keeps changing", never a half-write
            return str(error.field)

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(assess, handlers))
    versions = sorted(r for r in results if isinstance(r, int))
    assert versions == list(range(1, len(versions) + 1)) and versions
    assert all(r == "version" for r in results if isinstance(r, str))
    history, _ = container.assessments.history(handlers[0], incident["reference"], container.clock())
    assert [h["version"] for h in history] == versions
