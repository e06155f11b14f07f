"""Nothing out of sight: the clock an ungraded call runs against, the risk cues that order
it on the queue, and the follow-up a call resolved without deployment is owed.

What is not yet known is not low risk. An ungraded call has a grading target from the
moment it is received (a 999 call sooner than the rest, both in the force's policy); it
sorts on the queue by the cues already known (the 999 channel, domestic abuse, words in the
caller's account that suggest danger) and by age, above graded low-risk work; and a late
grading is escalated to the supervisor until the call is graded or closed.

A call graded "resolution without deployment" still owes the caller something: a call-back
or a referral, due by a policy time, recorded with its outcome.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from thriives.domain.assessment_policy import AssessmentPolicy
from thriives.domain.errors import DomainError
from thriives.domain.grading import is_domestic_abuse
from thriives.domain.incidents import Channel
from thriives.domain.policy_reader import Reader, unique

MAX_AGENCY = 200
MAX_NOTE = 2_000


@dataclass(frozen=True)
class GradingClockPolicy:
    target_minutes: dict[str, int]  # by channel: 999, 101, online, other
    escalate_every_minutes: int  # a late grading is escalated again this often
    with_cues_after: str  # an ungraded call with a risk cue sorts after this grade
    without_cues_after: str  # one without any, after this grade


@dataclass(frozen=True)
class FollowUpOutcome:
    code: str
    label: str
    needs_agency: bool  # a referral names the agency


@dataclass(frozen=True)
class FollowUpPolicy:
    grades: tuple[str, ...]  # grades whose calls are owed a follow-up
    due_minutes: int  # from grading
    escalate_every_minutes: int  # an overdue follow-up is escalated again this often
    outcomes: dict[str, FollowUpOutcome]


def parse_grading_clock(reader: Reader, grades: tuple[str, ...]) -> GradingClockPolicy:
    reader.only(
        "target_minutes", "escalate_every_minutes", "queue_with_cues_after", "queue_without_cues_after"
    )
    targets = reader.child("target_minutes")
    channels = tuple(c.value for c in Channel)
    targets.only(*channels)
    return GradingClockPolicy(
        target_minutes={c: int(targets.number(c, 1, 1440)) for c in channels},
        escalate_every_minutes=int(reader.number("escalate_every_minutes", 1, 1440)),
        with_cues_after=reader.one_of("queue_with_cues_after", grades),
        without_cues_after=reader.one_of("queue_without_cues_after", grades),
    )


def parse_follow_up(reader: Reader, grades: tuple[str, ...]) -> FollowUpPolicy:
    reader.only("grades", "due_minutes", "escalate_every_minutes", "outcomes")
    outcomes: dict[str, FollowUpOutcome] = {}
    codes: list[str] = []
    for item in reader.items("outcomes"):
        item.only("code", "label", "needs_agency")
        code = item.code("code")
        codes.append(code)
        outcomes[code] = FollowUpOutcome(
            code, item.text("label", limit=120), item.flag("needs_agency", False)
        )
    unique(codes, f"{reader.path}.outcomes", reader.problems)
    return FollowUpPolicy(
        grades=reader.codes("grades", grades, required=True),
        due_minutes=int(reader.number("due_minutes", 1, 10_080)),
        escalate_every_minutes=int(reader.number("escalate_every_minutes", 1, 10_080)),
        outcomes=outcomes,
    )


# ---- the grading clock ---------------------------------------------------------------------


def grading_due(channel: str, received_at: datetime, policy: GradingClockPolicy) -> datetime:
    """When an ungraded call must be graded by: its channel's target after it was received."""
    minutes = policy.target_minutes.get(channel, max(policy.target_minutes.values()))
    return received_at.astimezone(UTC) + timedelta(minutes=minutes)


def grading_state(due_at: datetime, now: datetime) -> str:
    return "late" if now >= due_at else "running"


def risk_cues(
    channel: str, category: str, qualifiers: frozenset[str], account: str, policy: AssessmentPolicy
) -> tuple[str, ...]:
    """What is already known that says an ungraded call may be urgent, in plain words.

    1. A 999 call: the caller judged it an emergency.
    2. Domestic abuse by its category or a qualifier (a DA call is never assumed low).
    3. Each cue in the caller's words (``cues.json``: weapon, self-harm, partner, ...).
    """
    found: list[str] = []
    if channel == Channel.EMERGENCY.value:
        found.append("999 call")
    if is_domestic_abuse(category, qualifiers, policy):
        found.append("domestic abuse")
    for cue in policy.cues:
        if any(pattern.search(account) for pattern in cue.patterns):
            found.append(cue.label)
    return tuple(dict.fromkeys(found))


# ---- the follow-up -------------------------------------------------------------------------


def follow_up_due(graded_at: datetime, policy: FollowUpPolicy) -> datetime:
    return graded_at.astimezone(UTC) + timedelta(minutes=policy.due_minutes)


def check_outcome(
    outcome: str | None, agency: str | None, note: str | None, policy: FollowUpPolicy
) -> tuple[FollowUpOutcome, str | None, str | None]:
    """Refuse a follow-up outcome that is missing, unknown, or a referral naming no agency."""
    if not outcome:
        raise DomainError("say how the follow-up ended", "outcome")
    known = policy.outcomes.get(outcome)
    if known is None:
        raise DomainError(f"must be one of {', '.join(policy.outcomes)}", "outcome")
    agency = (agency or "").strip() or None
    note = (note or "").strip() or None
    if known.needs_agency and agency is None:
        raise DomainError("name the agency the caller was referred to", "agency")
    if agency is not None and len(agency) > MAX_AGENCY:
        raise DomainError(f"must be at most {MAX_AGENCY} characters", "agency")
    if note is not None and len(note) > MAX_NOTE:
        raise DomainError(f"must be at most {MAX_NOTE} characters", "note")
    return known, agency if known.needs_agency else None, note
