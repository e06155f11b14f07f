"""Unknown is not low: unrated factors, provisional proposals, the not-breathing floor,
unknown answers, downgrades measured against the current grade, and quick-grade checks."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from thriives.domain.assessment import AdviceRecord, CallFacts, Rating, Submission, evaluate, unknown_raises
from thriives.domain.errors import DomainError
from thriives.domain.first_contact import check_initial_grade
from thriives.policy.loading import load_assessment_policy

POLICY = load_assessment_policy()
FACTORS = [f.code for f in POLICY.models["thriives"].factors]
NOW = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)


def call(category: str = "concern_for_safety", **changes: Any) -> CallFacts:
    values: dict[str, Any] = {"category": category, "qualifiers": frozenset(), "channel": "999"}
    return CallFacts(**(values | changes))


def preview(facts: CallFacts, levels: dict[str, str] | None = None, **changes: Any) -> Any:
    ratings = {code: Rating(level, "said on the call") for code, level in (levels or {}).items()}
    values: dict[str, Any] = {"model": "thriives", "ratings": ratings}
    return evaluate(Submission(**(values | changes)), facts, POLICY, lenient=True)


def full(facts: CallFacts, level: str = "low", **changes: Any) -> Any:
    ratings = {code: Rating(level, "said on the call") for code in FACTORS}
    advice = {a.code: AdviceRecord(True) for a in POLICY.advice}
    due = {k: v for k, v in advice.items() if k in _due(facts)}
    values: dict[str, Any] = {"model": "thriives", "ratings": ratings, "advice": due}
    return evaluate(Submission(**(values | changes)), facts, POLICY)


def _due(facts: CallFacts) -> set[str]:
    from thriives.domain.assessment import advice_due

    return set(advice_due(facts, POLICY))


@pytest.mark.parametrize(
    ("levels", "least"),
    [
        ({}, "scheduled"),  # nothing rated: never resolution without deployment
        ({"threat": "none"}, "scheduled"),  # one rated low, the rest unknown
        (dict.fromkeys(FACTORS[:-1], "none"), "scheduled"),  # all but one
    ],
)
def test_an_unrated_factor_never_lowers_the_proposal(levels: dict[str, str], least: str) -> None:
    evaluation = preview(call("asb_noise"), levels)
    assert evaluation.provisional
    assert evaluation.proposed.grade == least
    assert "baseline.unrated" in {r.rule for r in evaluation.proposed.reasons}
    assert set(evaluation.unrated) == set(FACTORS) - set(levels)
    assert set(evaluation.levels) == set(levels)


def test_every_factor_rated_low_may_propose_resolution() -> None:
    evaluation = preview(call("asb_noise"), dict.fromkeys(FACTORS, "none"))
    assert not evaluation.provisional
    assert evaluation.proposed.grade == "resolution"


@pytest.mark.parametrize(
    ("initial", "current", "expected"),
    [
        ("emergency", "emergency", "emergency"),
        ("priority", "priority", "priority"),
        (None, "priority", "priority"),
        ("priority", "emergency", "emergency"),  # the most urgent given is the floor
    ],
)
def test_a_provisional_proposal_cannot_fall_below_a_grade_already_given(
    initial: str | None, current: str | None, expected: str
) -> None:
    facts = call("asb_noise", initial_grade=initial, current_grade=current)
    evaluation = preview(facts, {"threat": "none", "harm": "none"})
    assert evaluation.proposed.grade == expected
    assert "provisional.grade_given" in {r.rule for r in evaluation.proposed.deciding}


def test_a_complete_assessment_is_not_held_up_by_the_floor_but_lowering_is_a_downgrade() -> None:
    facts = call("asb_noise", initial_grade="emergency", current_grade="emergency")
    with pytest.raises(DomainError) as refused:
        full(facts, "none")
    assert refused.value.field == "override_reason"
    evaluation = full(facts, "none", override_reason="caller confirms he has left")
    assert evaluation.proposed.grade == "resolution"
    assert evaluation.downgrade and evaluation.lowered_from == "emergency"


def test_keeping_the_current_grade_is_no_downgrade() -> None:
    facts = call("asb_noise", current_grade="priority")
    evaluation = full(facts, "none", grade="priority")
    assert not evaluation.downgrade and evaluation.lowered_from is None


@pytest.mark.parametrize("levels", [{}, dict.fromkeys(FACTORS, "none"), dict.fromkeys(FACTORS, "low")])
def test_a_man_not_breathing_is_proposed_emergency_however_the_factors_are_rated(
    levels: dict[str, str],
) -> None:
    by_indicator = preview(call(), levels, indicators=frozenset({"not_breathing"}))
    by_answer = preview(call(), levels, answers={"cfs_not_breathing": "yes"})
    assert by_indicator.proposed.grade == "emergency"
    assert "national.not_breathing" in {r.rule for r in by_indicator.proposed.deciding}
    assert by_answer.proposed.grade == "emergency"


@pytest.mark.parametrize(
    ("question", "factor"),
    [
        ("da_threats_to_kill", "threat"),  # the DA set had no unknown effect here
        ("mp_harm_from_others", "threat"),
        ("mh_means", "harm"),
        ("cip_people_inside", "risk"),
        ("rtc_trapped", "risk"),
        ("cfs_collapsed_unwell", "harm"),
    ],
)
def test_an_unknown_answer_to_a_danger_question_raises_the_factor_in_every_set(
    question: str, factor: str
) -> None:
    assert unknown_raises(question, POLICY)[factor] == "medium"
    category = {"da": "domestic_incident", "mp": "missing_person", "mh": "mental_health"}.get(
        question.split("_")[0], "crime_burglary" if question.startswith("cip") else "rtc_injury"
    )
    if question.startswith("cfs"):
        category = "concern_for_safety"
    facts = call(category)
    evaluation = preview(facts, dict.fromkeys(FACTORS, "none"), answers={question: "unknown"})
    assert evaluation.levels[factor] == "medium"
    assert any(r.factor == factor and r.answer == "unknown" for r in evaluation.raised)


def test_an_unknown_answer_to_a_question_with_no_danger_raises_nothing() -> None:
    assert unknown_raises("mp_previous", POLICY) == {}


@pytest.mark.parametrize(
    ("grade", "indicators", "reason", "field"),
    [
        ("scheduled", [], "he is at the door", "grade"),
        ("resolution", [], "he is at the door", "grade"),
        ("emergency", ["violence", "no_such_thing"], "he is at the door", "indicators.1"),
        ("emergency", [], "", "reason"),
        ("emergency", [], "   ", "reason"),
        ("priority", [], "x" * 201, "reason"),
    ],
)
def test_a_bad_quick_grade_is_refused_naming_the_field(
    grade: str, indicators: list[str], reason: str, field: str
) -> None:
    with pytest.raises(DomainError) as refused:
        check_initial_grade(
            grade,
            indicators,
            reason,
            POLICY.initial_grades,
            POLICY.assess_within_minutes,
            POLICY.initial_reason_max,
            NOW,
        )
    assert refused.value.field == field


@pytest.mark.parametrize(("grade", "minutes"), [("emergency", 15), ("priority", 30)])
def test_the_full_assessment_is_due_the_policy_time_after_a_quick_grade(grade: str, minutes: int) -> None:
    given = check_initial_grade(
        grade,
        ["violence"],
        " partner  at the door ",
        POLICY.initial_grades,
        POLICY.assess_within_minutes,
        200,
        NOW,
    )
    assert given.assess_by == NOW + timedelta(minutes=minutes)
    assert given.reason == "partner at the door"


@pytest.mark.parametrize(
    ("section", "value", "named"),
    [
        ("initial_grade", {"grades": ["scheduled"], "assess_within_minutes": {}}, "initial_grade.grades[0]"),
        (
            "initial_grade",
            {"grades": ["emergency"], "assess_within_minutes": {"emergency": 0}},
            "initial_grade.assess_within_minutes.emergency",
        ),
        ("unknown_answers", {"raise": ["nonsense"], "to": "medium"}, "unknown_answers.raise[0]"),
        ("unknown_answers", {"raise": ["threat"], "to": "extreme"}, "unknown_answers.to"),
    ],
)
def test_a_bad_first_contact_policy_is_refused_naming_the_field(
    section: str, value: dict[str, Any], named: str
) -> None:
    from tests.domain.test_assessment_policy import small_categories, small_policy_files
    from thriives.domain.assessment_policy import parse_assessment_policy

    files = small_policy_files()
    files["grading.json"] = dict(files["grading.json"]) | {section: value}
    with pytest.raises(ValueError, match="grading.json: " + re.escape(named)):
        parse_assessment_policy(files, small_categories())


def test_an_answer_raising_a_factor_the_model_lacks_is_ignored() -> None:
    ratings = {f.code: Rating("none", "said") for f in POLICY.models["thrive"].factors}
    evaluation = evaluate(
        Submission(model="thrive", ratings=ratings, answers={"da_firearm": "unknown"}),
        call("domestic_incident"),
        POLICY,
        lenient=True,
    )
    assert "intelligence" not in evaluation.levels
    assert evaluation.levels["risk"] == "medium"
