"""Evaluating a THRIIVES assessment on the bundled policy: answers raise factors with their
cause recorded, the proposal follows the grading rules, a downgrade needs a reason, and every
bad input is refused naming its field."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from thriives.domain.assessment import (
    MAX_TEXT,
    AdviceRecord,
    CallFacts,
    Raise,
    Rating,
    Submission,
    advice_due,
    check,
    evaluate,
)
from thriives.domain.assessment_policy import AssessmentPolicy
from thriives.domain.errors import DomainError
from thriives.policy.loading import load_assessment_policy

DA_CALL = CallFacts(category="domestic_incident", qualifiers=frozenset(), channel="999")
LOST_PROPERTY = CallFacts(category="admin_lost_found", qualifiers=frozenset(), channel="101")
# In the bundled DA question set: a weapon available to the suspect, and children present.
WEAPON_AND_CHILDREN = {"da_weapon": "available", "da_children_vulnerable": "children"}


@pytest.fixture(scope="module")
def policy() -> AssessmentPolicy:
    return load_assessment_policy()


def submission(
    policy: AssessmentPolicy, facts: CallFacts = DA_CALL, level: str = "low", **changes: Any
) -> Submission:
    """A complete, valid submission: every factor at ``level`` and all due advice given."""
    model = policy.models[policy.default_model]
    base = Submission(
        model=model.code,
        ratings={f.code: Rating(level, f"{f.name}: what the caller said") for f in model.factors},
        advice={code: AdviceRecord(given=True) for code in advice_due(facts, policy)},
    )
    return dataclasses.replace(base, **changes)


# --- answers raise factors, and the raise says why ----------------------------------------


def test_answers_raise_factors_the_handler_rated_low_and_record_the_cause(
    policy: AssessmentPolicy,
) -> None:
    result = evaluate(submission(policy, answers=WEAPON_AND_CHILDREN), DA_CALL, policy)
    assert Raise("threat", "high", "da_weapon", "available") in result.raised
    assert Raise("vulnerability", "high", "da_children_vulnerable", "children") in result.raised
    assert result.levels["threat"] == "high"
    assert result.levels["vulnerability"] == "high"
    assert result.levels["engagement"] == "low"  # no answer touched it
    assert {"weapon", "children_present"} <= result.indicators
    assert result.question_sets == ("domestic_abuse",)
    assert "da_suspect_present" in result.unanswered
    assert "da_weapon" not in result.unanswered


def test_a_factor_already_rated_at_the_implied_level_is_not_recorded_as_raised(
    policy: AssessmentPolicy,
) -> None:
    result = evaluate(submission(policy, level="high", answers=WEAPON_AND_CHILDREN), DA_CALL, policy)
    assert result.raised == ()
    assert result.levels["threat"] == "high"


def test_a_domestic_abuse_call_is_proposed_an_emergency(policy: AssessmentPolicy) -> None:
    result = evaluate(submission(policy, answers=WEAPON_AND_CHILDREN), DA_CALL, policy)
    assert result.proposed.grade == "emergency"
    assert {r.rule for r in result.proposed.deciding} == {"da.immediate_by_default"}
    assert result.final_grade == "emergency"
    assert result.downgrade is False


def test_recording_why_da_is_not_immediate_proposes_priority(policy: AssessmentPolicy) -> None:
    result = evaluate(
        submission(
            policy, answers=WEAPON_AND_CHILDREN, da_not_immediate_reason="suspect arrested and in custody"
        ),
        DA_CALL,
        policy,
    )
    assert result.proposed.grade == "priority"
    assert "da.assessed_not_immediate" in {r.rule for r in result.proposed.deciding}


# --- choosing a grade ---------------------------------------------------------------------


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_a_downgrade_without_a_reason_is_refused(policy: AssessmentPolicy, reason: str | None) -> None:
    with pytest.raises(DomainError) as refused:
        evaluate(
            submission(policy, answers=WEAPON_AND_CHILDREN, grade="priority", override_reason=reason),
            DA_CALL,
            policy,
        )
    assert refused.value.field == "override_reason"


def test_a_downgrade_with_a_reason_is_accepted_and_marked(policy: AssessmentPolicy) -> None:
    result = evaluate(
        submission(
            policy,
            answers=WEAPON_AND_CHILDREN,
            grade="priority",
            override_reason="caller now safe at her mother's address",
        ),
        DA_CALL,
        policy,
    )
    assert (result.proposed.grade, result.final_grade, result.downgrade) == ("emergency", "priority", True)


@pytest.mark.parametrize(
    ("facts", "changes", "proposed", "chosen"),
    [
        (LOST_PROPERTY, {}, "resolution", "priority"),
        (LOST_PROPERTY, {}, "resolution", "emergency"),
        (DA_CALL, {"da_not_immediate_reason": "suspect in custody"}, "priority", "emergency"),
    ],
)
def test_choosing_a_more_urgent_grade_needs_no_reason(
    policy: AssessmentPolicy,
    facts: CallFacts,
    changes: dict[str, str],
    proposed: str,
    chosen: str,
) -> None:
    result = evaluate(submission(policy, facts, grade=chosen, **changes), facts, policy)
    assert (result.proposed.grade, result.final_grade, result.downgrade) == (proposed, chosen, False)


def test_choosing_the_proposed_grade_is_not_a_downgrade(policy: AssessmentPolicy) -> None:
    result = evaluate(submission(policy, grade="emergency"), DA_CALL, policy)
    assert result.downgrade is False


# --- advice -------------------------------------------------------------------------------


def test_advice_not_given_is_listed_with_its_note(policy: AssessmentPolicy) -> None:
    due = advice_due(DA_CALL, policy)
    assert "da_key_word" in due
    advice = {code: AdviceRecord(True) for code in due}
    advice["da_key_word"] = AdviceRecord(False, "caller could not talk freely")
    result = evaluate(submission(policy, advice=advice), DA_CALL, policy)
    assert result.advice_due == due
    assert result.advice_not_given == ("da_key_word",)


# --- bad input, named by field ------------------------------------------------------------


def _without(mapping_name: str, key: str) -> Any:
    def change(s: Submission) -> Submission:
        mapping = dict(getattr(s, mapping_name))
        del mapping[key]
        return dataclasses.replace(s, **{mapping_name: mapping})

    return change


def _rating(factor: str, **fields: str) -> Any:
    def change(s: Submission) -> Submission:
        ratings = dict(s.ratings)
        ratings[factor] = dataclasses.replace(ratings[factor], **fields)
        return dataclasses.replace(s, ratings=ratings)

    return change


def _rating_added(factor: str) -> Any:
    def change(s: Submission) -> Submission:
        return dataclasses.replace(s, ratings={**s.ratings, factor: Rating("low", "noted")})

    return change


def _advice(code: str, record: AdviceRecord) -> Any:
    def change(s: Submission) -> Submission:
        return dataclasses.replace(s, advice={**s.advice, code: record})

    return change


def _with(**fields: Any) -> Any:
    return lambda s: dataclasses.replace(s, **fields)


TOO_LONG = "x" * (MAX_TEXT + 1)

BAD_INPUT = [
    ("an unknown model", _with(model="thrieves"), "model"),
    ("a factor not rated", _without("ratings", "harm"), "ratings.harm"),
    ("a factor not in the model", _rating_added("weather"), "ratings.weather"),
    ("a level outside the policy", _rating("threat", level="severe"), "ratings.threat.level"),
    ("an empty rationale", _rating("risk", rationale=""), "ratings.risk.rationale"),
    ("a blank rationale", _rating("risk", rationale="  \n "), "ratings.risk.rationale"),
    ("an over-long rationale", _rating("harm", rationale=TOO_LONG), "ratings.harm.rationale"),
    ("an unknown question", _with(answers={"da_wepon": "used"}), "answers.da_wepon"),
    ("an answer the question does not allow", _with(answers={"da_weapon": "yes"}), "answers.da_weapon"),
    ("an unknown indicator", _with(indicators=frozenset({"wepon"})), "indicators"),
    ("an unknown call state", _with(call_states=frozenset({"hung_up"})), "call_states"),
    ("an unknown grade", _with(grade="immediate"), "grade"),
    ("an over-long override reason", _with(override_reason=TOO_LONG), "override_reason"),
    ("an over-long DA reason", _with(da_not_immediate_reason=TOO_LONG), "da_not_immediate_reason"),
    ("advice due but not recorded", _without("advice", "da_key_word"), "advice.da_key_word"),
    (
        "advice not given without a note",
        _advice("da_key_word", AdviceRecord(False)),
        "advice.da_key_word.note",
    ),
    (
        "advice not given with a blank note",
        _advice("da_key_word", AdviceRecord(False, " ")),
        "advice.da_key_word.note",
    ),
    (
        "an over-long advice note",
        _advice("da_key_word", AdviceRecord(True, TOO_LONG)),
        "advice.da_key_word.note",
    ),
    ("an unknown advice prompt", _advice("da_pizza", AdviceRecord(True)), "advice.da_pizza"),
]


@pytest.mark.parametrize(("what", "change", "field"), BAD_INPUT, ids=[row[0] for row in BAD_INPUT])
def test_bad_input_is_refused_naming_the_field(
    policy: AssessmentPolicy, what: str, change: Any, field: str
) -> None:
    bad = change(submission(policy, answers=WEAPON_AND_CHILDREN))
    with pytest.raises(DomainError) as refused:
        evaluate(bad, DA_CALL, policy)
    assert refused.value.field == field, what
    assert refused.value.message


def test_a_valid_submission_passes_the_check_and_names_its_model(
    policy: AssessmentPolicy,
) -> None:
    assert check(submission(policy), policy).code == policy.default_model


def test_the_thrive_model_is_checked_against_its_own_factors(policy: AssessmentPolicy) -> None:
    thrive = policy.models["thrive"]
    ratings = {f.code: Rating("low", "noted") for f in thrive.factors}
    assert check(submission(policy, model="thrive", ratings=ratings), policy) is thrive
    with pytest.raises(DomainError) as refused:
        check(submission(policy, model="thrive"), policy)  # THRIIVES ratings on THRIVE
    assert refused.value.field.startswith("ratings.")
