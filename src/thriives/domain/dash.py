"""DASH risk identification (REFERENCE 5): count the yes answers, band them, and let
professional judgement override the score with a reason.

ACPO accredited DASH for all UK police services in March 2009. Fourteen or more ticks is
high risk, with a referral to MARAC; the medium and standard bands are partner practice,
so both thresholds are policy. The question wording is licensed, so the policy holds topics.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from thriives.domain.assessment_policy import AssessmentPolicy
from thriives.domain.errors import DomainError

DASH_ANSWERS = ("yes", "no", "not_known")
DASH_LEVELS = ("standard", "medium", "high")


@dataclass(frozen=True)
class DashSubmission:
    answers: Mapping[str, str]
    comments: Mapping[str, str]
    override_level: str | None = None
    override_reason: str | None = None


@dataclass(frozen=True)
class DashResult:
    yes_count: int
    score_level: str  # what the count alone says
    level: str  # after professional judgement
    basis: str  # "score" or "professional_judgement"
    marac_referral: bool
    reasons: tuple[str, ...]


def score_dash(submission: DashSubmission, policy: AssessmentPolicy) -> DashResult:
    """Check that every question was asked, then score, band and apply any override."""
    ids = [q.id for q in policy.dash_questions]
    for question_id in submission.answers:
        if question_id not in ids:
            raise DomainError(f"{question_id[:40]!r} is not a DASH question", f"answers.{question_id[:40]}")
    for question_id in ids:
        answer = submission.answers.get(question_id)
        if answer is None:
            raise DomainError(
                "ask every question; record not known if the victim cannot say", f"answers.{question_id}"
            )
        if answer not in DASH_ANSWERS:
            raise DomainError(f"must be one of {', '.join(DASH_ANSWERS)}", f"answers.{question_id}")
    for question_id, comment in submission.comments.items():
        if question_id not in ids:
            raise DomainError("comment on an unknown question", f"comments.{question_id[:40]}")
        if len(comment) > 2000:
            raise DomainError("the most is 2000 characters", f"comments.{question_id}")
    yes = sum(1 for answer in submission.answers.values() if answer == "yes")
    if yes >= policy.dash_high_at:
        score_level = "high"
    elif yes >= policy.dash_medium_at:
        score_level = "medium"
    else:
        score_level = "standard"
    reasons = [
        f"{yes} yes answers: {score_level} (high at {policy.dash_high_at}, medium at {policy.dash_medium_at})"
    ]
    level, basis = score_level, "score"
    if submission.override_level is not None and submission.override_level != score_level:
        if submission.override_level not in DASH_LEVELS:
            raise DomainError(f"must be one of {', '.join(DASH_LEVELS)}", "override_level")
        reason = (submission.override_reason or "").strip()
        if not reason:
            raise DomainError("professional judgement needs a reason", "override_reason")
        if len(reason) > 2000:
            raise DomainError("the most is 2000 characters", "override_reason")
        level, basis = submission.override_level, "professional_judgement"
        reasons.append(f"professional judgement: {level}: {reason}")
    # The visible high-risk count is a MARAC criterion in its own right: judgement may add
    # a referral below it, never take one away above it.
    marac = level == "high" or yes >= policy.dash_high_at
    if marac:
        reasons.append("high risk: refer to MARAC")
    return DashResult(yes, score_level, level, basis, marac, tuple(reasons))
