"""Categorisation cues: the caller's words suggest qualifiers and question sets not yet chosen."""

from __future__ import annotations

import copy

import pytest

from thriives.domain.assessment_policy import AssessmentPolicy
from thriives.domain.cues import Suggestion, suggest
from thriives.policy.loading import load_assessment_policy


@pytest.fixture(scope="module")
def policy() -> AssessmentPolicy:
    return load_assessment_policy()


def by_cue(suggestions: tuple[Suggestion, ...]) -> dict[str, Suggestion]:
    return {s.cue: s for s in suggestions}


def test_an_ex_partner_with_a_knife_suggests_domestic_abuse_and_a_weapon(
    policy: AssessmentPolicy,
) -> None:
    found = by_cue(
        suggest("my ex-boyfriend is outside with a knife", "suspicious_circumstances", frozenset(), policy)
    )
    qualifiers = {q for s in found.values() for q in s.qualifiers}
    sets = {q for s in found.values() for q in s.question_sets}
    assert {"domestic", "weapon"} <= qualifiers
    assert "domestic_abuse" in sets
    assert "boyfriend" in found["partner"].matched  # the words that fired it, for review
    assert found["weapon"].matched == "knife"


def test_qualifiers_already_chosen_are_not_suggested_again(policy: AssessmentPolicy) -> None:
    found = by_cue(
        suggest(
            "my ex-boyfriend is outside with a knife",
            "suspicious_circumstances",
            frozenset({"domestic", "weapon"}),
            policy,
        )
    )
    assert "weapon" not in found  # nothing left to suggest
    assert all("domestic" not in s.qualifiers and "weapon" not in s.qualifiers for s in found.values())
    # the DA qualifier brings the DA questions with it, so they are not suggested either
    assert all("domestic_abuse" not in s.question_sets for s in found.values())


def test_a_category_that_already_brings_the_questions_is_not_told_again(
    policy: AssessmentPolicy,
) -> None:
    found = by_cue(suggest("my husband hit me", "domestic_incident", frozenset({"domestic"}), policy))
    assert "partner" not in found


@pytest.mark.parametrize(
    "account",
    [
        "I need an extra copy of my certificate",
        "the exit is blocked",
        "my ex-boss owes me wages",
        "I am calling about my business partner's fraud",
        "the exam results were wrong",
    ],
)
def test_ordinary_words_do_not_fire_the_domestic_cue(policy: AssessmentPolicy, account: str) -> None:
    found = by_cue(suggest(account, "crime_other", frozenset(), policy))
    assert "partner" not in found
    assert all(
        "domestic" not in s.qualifiers and "domestic_abuse" not in s.question_sets for s in found.values()
    )


@pytest.mark.parametrize(
    "account",
    [
        "my daughter has been missing since yesterday",
        "he hasn't come home from school",
        "I want to report a missing person",
    ],
)
def test_a_missing_person_phrase_suggests_the_missing_person_set(
    policy: AssessmentPolicy, account: str
) -> None:
    found = by_cue(suggest(account, "concern_for_safety", frozenset(), policy))
    assert found["missing"].qualifiers == ("missing",)
    assert found["missing"].question_sets == ("missing_person",)


def test_an_account_with_no_cue_suggests_nothing(policy: AssessmentPolicy) -> None:
    assert suggest("I would like to report a lost wallet", "admin_lost_found", frozenset(), policy) == ()


def test_suggesting_changes_nothing(policy: AssessmentPolicy) -> None:
    chosen = frozenset({"child"})
    cues_before = copy.deepcopy([(c.code, c.qualifiers, c.question_sets) for c in policy.cues])
    sets_before = dict(policy.question_sets)
    account = "my ex-boyfriend has a knife and the kids are here"
    first = suggest(account, "suspicious_circumstances", chosen, policy)
    second = suggest(account, "suspicious_circumstances", chosen, policy)
    assert first == second
    assert chosen == frozenset({"child"})
    assert [(c.code, c.qualifiers, c.question_sets) for c in policy.cues] == cues_before
    assert dict(policy.question_sets) == sets_before
    assert all(isinstance(s.qualifiers, tuple) and isinstance(s.question_sets, tuple) for s in first)
