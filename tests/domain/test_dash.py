"""DASH (REFERENCE 5): 14 or more yes is high and goes to MARAC, 10-13 medium, the bands come
from policy, and professional judgement overrides the score only with a reason."""

from __future__ import annotations

import pytest

from tests.domain.test_assessment_policy import small_policy
from thriives.domain.assessment_policy import AssessmentPolicy
from thriives.domain.dash import DashSubmission, score_dash
from thriives.domain.errors import DomainError
from thriives.policy.loading import load_assessment_policy


@pytest.fixture(scope="module")
def bundled() -> AssessmentPolicy:
    return load_assessment_policy()


def answers(policy: AssessmentPolicy, yes: int, rest: str = "no") -> dict[str, str]:
    """The first ``yes`` questions answered yes, the others ``rest``."""
    ids = [q.id for q in policy.dash_questions]
    return {qid: "yes" if n < yes else rest for n, qid in enumerate(ids)}


def submit(policy: AssessmentPolicy, yes: int, **changes: str | None) -> DashSubmission:
    return DashSubmission(answers=answers(policy, yes), comments={}, **changes)


@pytest.mark.parametrize(
    ("yes", "level", "marac"),
    [
        (0, "standard", False),
        (9, "standard", False),
        (10, "medium", False),
        (13, "medium", False),
        (14, "high", True),
        (20, "high", True),
    ],
)
def test_the_bundled_bands_are_the_national_ones(
    bundled: AssessmentPolicy, yes: int, level: str, marac: bool
) -> None:
    result = score_dash(submit(bundled, yes), bundled)
    assert (result.yes_count, result.score_level, result.level) == (yes, level, level)
    assert result.basis == "score"
    assert result.marac_referral is marac
    assert result.reasons[0].startswith(f"{yes} yes answers: {level}")
    assert ("high risk: refer to MARAC" in result.reasons) is marac


@pytest.mark.parametrize(
    ("yes", "level"),
    [(0, "standard"), (1, "standard"), (2, "medium"), (3, "medium"), (4, "high"), (5, "high")],
)
def test_the_bands_are_read_from_the_policy(yes: int, level: str) -> None:
    policy = small_policy(dash_questions=5, medium_at=2, high_at=4)
    result = score_dash(submit(policy, yes), policy)
    assert result.score_level == level
    assert result.marac_referral is (level == "high")
    assert "(high at 4, medium at 2)" in result.reasons[0]


def test_not_known_does_not_count_as_yes(bundled: AssessmentPolicy) -> None:
    submission = DashSubmission(answers=answers(bundled, 13, rest="not_known"), comments={})
    result = score_dash(submission, bundled)
    assert (result.yes_count, result.level, result.marac_referral) == (13, "medium", False)


def test_a_question_not_asked_is_named(bundled: AssessmentPolicy) -> None:
    given = answers(bundled, 14)
    missing = bundled.dash_questions[3].id
    del given[missing]
    with pytest.raises(DomainError) as refused:
        score_dash(DashSubmission(answers=given, comments={}), bundled)
    assert refused.value.field == f"answers.{missing}"


def test_an_unknown_question_is_named(bundled: AssessmentPolicy) -> None:
    given = answers(bundled, 2) | {"favourite_colour": "yes"}
    with pytest.raises(DomainError) as refused:
        score_dash(DashSubmission(answers=given, comments={}), bundled)
    assert refused.value.field == "answers.favourite_colour"


def test_an_answer_outside_yes_no_not_known_is_named(bundled: AssessmentPolicy) -> None:
    given = answers(bundled, 2)
    first = bundled.dash_questions[0].id
    given[first] = "maybe"
    with pytest.raises(DomainError) as refused:
        score_dash(DashSubmission(answers=given, comments={}), bundled)
    assert refused.value.field == f"answers.{first}"


def test_a_comment_on_an_unknown_question_is_named(bundled: AssessmentPolicy) -> None:
    submission = DashSubmission(answers=answers(bundled, 2), comments={"nope": "x"})
    with pytest.raises(DomainError) as refused:
        score_dash(submission, bundled)
    assert refused.value.field == "comments.nope"


def test_professional_judgement_raises_to_high_with_a_reason(bundled: AssessmentPolicy) -> None:
    result = score_dash(
        submit(bundled, 6, override_level="high", override_reason="non-fatal strangulation last night"),
        bundled,
    )
    assert (result.yes_count, result.score_level) == (6, "standard")
    assert (result.level, result.basis, result.marac_referral) == ("high", "professional_judgement", True)
    assert "professional judgement: high: non-fatal strangulation last night" in result.reasons
    assert "high risk: refer to MARAC" in result.reasons


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_professional_judgement_without_a_reason_is_refused(
    bundled: AssessmentPolicy, reason: str | None
) -> None:
    with pytest.raises(DomainError) as refused:
        score_dash(submit(bundled, 6, override_level="high", override_reason=reason), bundled)
    assert refused.value.field == "override_reason"


def test_an_override_level_outside_the_bands_is_refused(bundled: AssessmentPolicy) -> None:
    with pytest.raises(DomainError) as refused:
        score_dash(submit(bundled, 6, override_level="severe", override_reason="x"), bundled)
    assert refused.value.field == "override_level"


def test_an_override_that_agrees_with_the_score_is_the_score(bundled: AssessmentPolicy) -> None:
    result = score_dash(submit(bundled, 14, override_level="high"), bundled)
    assert (result.level, result.basis, result.marac_referral) == ("high", "score", True)


def test_a_score_of_fourteen_goes_to_marac_even_if_judgement_lowers_the_level(
    bundled: AssessmentPolicy,
) -> None:
    result = score_dash(
        submit(bundled, 14, override_level="medium", override_reason="victim has since moved to a refuge"),
        bundled,
    )
    assert (result.level, result.basis) == ("medium", "professional_judgement")
    assert result.marac_referral is True
