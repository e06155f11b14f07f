"""Delayed-attendance reassessment: when a task falls due, who must do it, what "done" means.

REFERENCE 1 (HMIC 2016, recommendation 3): where police could not attend or attendance was
delayed, risk must be reassessed and safeguarding action taken in good time, above all for
domestic abuse; REFERENCE 2.4: if the call is cut off, urgently reassess. A task opens on
any trigger below; while one is open another trigger adds to it rather than opening a
second. For domestic abuse and vulnerable victims every part of the record is mandatory.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from thriives.domain.assessment_policy import AssessmentPolicy
from thriives.domain.dispatch_policy import DispatchPolicy
from thriives.domain.errors import DomainError

MAX_NOTE = 2_000


class Trigger(StrEnum):
    AT_RISK = "clock_at_risk"  # the reassess share of the target reached, nobody at scene
    BREACHED = "clock_breached"  # the target passed, nobody at scene
    UNIT_TAKEN = "unit_taken_away"  # the assigned unit was taken away or stood down
    CUT_OFF = "call_cut_off"  # the call was cut off
    REVIEW_DUE = "review_due"  # the review time an earlier reassessment set
    APPOINTMENT = "appointment_missed_or_cancelled"


TRIGGER_TEXT = {
    Trigger.AT_RISK: "attendance clock at risk",
    Trigger.BREACHED: "attendance target breached",
    Trigger.UNIT_TAKEN: "assigned unit taken away",
    Trigger.CUT_OFF: "call cut off",
    Trigger.REVIEW_DUE: "review time reached",
    Trigger.APPOINTMENT: "appointment missed or cancelled",
}


def is_mandatory(
    domestic_abuse: bool, levels: dict[str, str], policy: DispatchPolicy, assessment: AssessmentPolicy
) -> tuple[bool, str]:
    """Whether every part of the reassessment is required, and why."""
    if domestic_abuse and policy.mandatory_for_domestic_abuse:
        return True, "domestic abuse"
    floor = policy.mandatory_vulnerability
    level = levels.get("vulnerability")
    if floor is not None and level in assessment.levels and assessment.rank(level) >= assessment.rank(floor):
        return True, f"vulnerability {level}"
    return False, "not domestic abuse, vulnerability below the mandatory level"


@dataclass(frozen=True)
class Completion:
    """What the dispatcher or handler records to finish a task."""

    contact_outcome: str | None
    contact_note: str | None
    safeguarding: tuple[str, ...]
    safeguarding_note: str | None
    review_at: datetime | None  # when to look again; None only where not mandatory
    reassessed_version: int | None  # the assessment version made for this task


def check_completion(
    done: Completion,
    mandatory: bool,
    task_opened_at: datetime,
    latest_assessment: tuple[int, datetime] | None,
    policy: DispatchPolicy,
) -> list[str]:
    """Refuse an incomplete record, naming the field; return what was checked, as reasons."""
    if not done.contact_outcome:
        raise DomainError("record the outcome of the attempt to contact the victim", "contact_outcome")
    if done.contact_outcome not in policy.contact_outcomes:
        raise DomainError(f"must be one of {', '.join(policy.contact_outcomes)}", "contact_outcome")
    for name, text in (("contact_note", done.contact_note), ("safeguarding_note", done.safeguarding_note)):
        if text is not None and len(text) > MAX_NOTE:
            raise DomainError(f"is {len(text)} characters long; the most is {MAX_NOTE}", name)
    for index, action in enumerate(done.safeguarding):
        if action not in policy.safeguarding_actions:
            raise DomainError(
                f"{action!r} is not a safeguarding action; use one of "
                f"{', '.join(policy.safeguarding_actions)}",
                f"safeguarding.{index}",
            )
    reasons = [f"contact: {policy.contact_outcomes[done.contact_outcome].label}"]
    fresh = latest_assessment is not None and latest_assessment[1] >= task_opened_at
    if done.reassessed_version is not None and (
        latest_assessment is None or done.reassessed_version != latest_assessment[0] or not fresh
    ):
        raise DomainError(
            "must be the incident's latest assessment, made since the task opened",
            "reassessed_version",
        )
    if mandatory:
        if done.reassessed_version is None:
            raise DomainError(
                "re-run the THRIIVES assessment and give its version (mandatory here)",
                "reassessed_version",
            )
        if not done.safeguarding:
            raise DomainError("record the safeguarding action taken (mandatory here)", "safeguarding")
        if done.review_at is None:
            raise DomainError("set when this must be looked at again (mandatory here)", "review_at")
    if "no_action_needed" in done.safeguarding and not (done.safeguarding_note or "").strip():
        raise DomainError("say why no further action is needed", "safeguarding_note")
    if done.reassessed_version is not None:
        reasons.append(f"THRIIVES re-run: version {done.reassessed_version}")
    if done.safeguarding:
        reasons.append(
            "safeguarding: " + ", ".join(policy.safeguarding_actions[a].label for a in done.safeguarding)
        )
    return reasons
