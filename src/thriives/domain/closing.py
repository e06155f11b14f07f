"""What must be settled before an incident may close, and who may close over what.

Closing is the last safeguard of a call: once closed, nobody's list shows it. So an
incident does not close while something about it still needs attention, and the closer is
told, in words, what that is. Each rule is a small function of the facts; ``closing_blockers``
asks every rule in ``RULES`` and returns the reasons of those that refuse. A new rule is one
more function and one more entry in ``RULES`` (with the facts it needs on ``ClosingFacts``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from thriives.domain.accounts import Permission, Role, can

# Review-queue kinds and how they read. A downgrade waits for a decision; the others wait
# for a review of how the call was handled.
REVIEW_WORDS = {
    "downgrade": "a downgrade waiting for a supervisor's approval",
    "domestic_abuse": "a domestic-abuse review",
    "high_risk": "a high-risk review",
    "attendance_breach": "a review of a breached attendance target",
    "late_reassessment": "a review of a late reassessment",
}
# The month's random sample is a look back at calls as they were handled: it never holds a
# call open, and closed calls are sampled too.
RETROSPECTIVE_REVIEWS = frozenset({"sample"})


@dataclass(frozen=True)
class ClosingFacts:
    """What the closing rules look at, loaded by the service in the closing transaction."""

    role: Role  # the closer's role
    emergency: bool  # the incident's current grade asks for an emergency response
    attended: bool  # a unit has arrived at some time
    open_reviews: tuple[str, ...] = ()  # kinds of the incident's open review-queue entries
    open_reassessment: int | None = None  # the id of its open reassessment task, if any
    linked: tuple[str, ...] = ()  # why a linked incident holds it open, in words (services/links.py)


Rule = Callable[[ClosingFacts], str | None]


def _supervises(facts: ClosingFacts) -> bool:
    return can(facts.role, Permission.REVIEW_CALLS)


def open_reassessment(facts: ClosingFacts) -> str | None:
    if facts.open_reassessment is None:
        return None
    return (
        f"reassessment task {facts.open_reassessment} is still open: "
        "complete it (contact the victim, re-run the assessment) before closing"
    )


def pending_downgrade(facts: ClosingFacts) -> str | None:
    if "downgrade" not in facts.open_reviews:
        return None
    return f"it has {REVIEW_WORDS['downgrade']}: a supervisor must approve or reject it before closing"


def open_review(facts: ClosingFacts) -> str | None:
    """A handler or dispatcher waits for the review; a supervisor, whose review it is, may
    close and review it afterwards (the entry stays in the queue)."""
    waiting = [
        REVIEW_WORDS.get(kind, "a supervisor's review")
        for kind in dict.fromkeys(facts.open_reviews)
        if kind != "downgrade" and kind not in RETROSPECTIVE_REVIEWS
    ]
    if not waiting or _supervises(facts):
        return None
    return f"it is waiting for {' and '.join(waiting)}: only a supervisor may close it before the review"


def unattended_emergency(facts: ClosingFacts) -> str | None:
    if not facts.emergency or facts.attended or _supervises(facts):
        return None
    return "it is graded emergency and no unit has attended: only a supervisor may close it"


def linked_open(facts: ClosingFacts) -> str | None:
    return "; ".join(facts.linked) or None


RULES: tuple[Rule, ...] = (
    open_reassessment,
    pending_downgrade,
    open_review,
    unattended_emergency,
    linked_open,
)


def closing_blockers(facts: ClosingFacts) -> list[str]:
    """Every reason the incident may not be closed now by this closer, in plain words; none
    means it may close (the close itself still checks its category, reason and note)."""
    return [reason for rule in RULES if (reason := rule(facts)) is not None]
