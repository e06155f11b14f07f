"""Attendance clocks, deadlines and wall-clock time across British Summer Time.

Every clock is elapsed time: a 15-minute target is 15 real minutes whatever the wall clock
does, so clocks are computed and stored in UTC and a clock running across 01:00 on the last
Sunday of March or October is neither 60 minutes short nor 60 minutes long. Wall-clock
times that people choose (a review "at 09:00 tomorrow", an appointment shift "07:00 to
15:00") are converted with the force's zone; a wall-clock time that does not exist (the
hour skipped in March) is refused, and one that happens twice (the hour repeated in
October) is taken as its first occurrence and said so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from thriives.domain.assessment_policy import AssessmentPolicy
from thriives.domain.dispatch_policy import DispatchPolicy
from thriives.domain.errors import DomainError


class DeadlineKind(StrEnum):
    """What a deadline row does when it fires (``services/deadlines.py`` handles each)."""

    ATTENDANCE_AT_RISK = "attendance.at_risk"  # the reassess share of the target reached
    ATTENDANCE_BREACH = "attendance.breach"  # the target passed with nobody at scene
    REASSESSMENT_ESCALATE = "reassessment.escalate"  # a task still open: tell the supervisor
    REASSESSMENT_REVIEW = "reassessment.review"  # the review time a reassessment set
    APPOINTMENT_CHECK = "appointment.check"  # an appointment's end passed: was it kept?
    GRADING_LATE = "grading.late"  # an ungraded call passed its grading target (subject: escalation)
    FOLLOW_UP_OVERDUE = "follow_up.overdue"  # a follow-up still open at its due time (subject: it)
    ASSESSMENT_DUE = "assessment.due"  # an initial grade's full assessment is due by now


@dataclass(frozen=True)
class AttendanceClock:
    grade: str
    area: str
    target_minutes: int
    started_at: datetime
    at_risk_at: datetime
    due_at: datetime

    def state(self, now: datetime, arrived_at: datetime | None = None) -> str:
        """met / missed once someone arrived; otherwise running, at_risk or breached."""
        if arrived_at is not None:
            return "met" if arrived_at <= self.due_at else "missed"
        if now >= self.due_at:
            return "breached"
        if now >= self.at_risk_at:
            return "at_risk"
        return "running"


def target_minutes(grade: str, area: str, policy: AssessmentPolicy) -> int | None:
    for candidate in policy.grades:
        if candidate.code == grade:
            return candidate.target_urban if area == "urban" else candidate.target_rural
    return None


def attendance_clock(
    grade: str | None,
    area: str,
    received_at: datetime,
    graded_at: datetime | None,
    assessment: AssessmentPolicy,
    policy: DispatchPolicy,
) -> AttendanceClock | None:
    """The clock a graded incident runs against, or None where its grade has no target."""
    if grade is None:
        return None
    minutes = target_minutes(grade, area, assessment)
    if minutes is None:
        return None
    start = received_at if policy.clock_from == "call" or graded_at is None else graded_at
    start = start.astimezone(UTC)
    target = timedelta(minutes=minutes)
    return AttendanceClock(
        grade,
        area,
        minutes,
        start,
        start + target * policy.reassess_at_share,
        start + target,
    )


def escalation_times(created_at: datetime, policy: DispatchPolicy, count: int) -> datetime:
    """When the ``count``-th escalation (0 = the first) of an open task falls due."""
    first = created_at + timedelta(minutes=policy.escalate_after_minutes)
    return first + timedelta(minutes=policy.escalate_every_minutes) * count


def local_to_utc(wall: datetime, zone: ZoneInfo, field: str) -> tuple[datetime, str | None]:
    """A wall-clock time in the force's zone as UTC, with a note when it was ambiguous.

    Refuses a time that does not exist (skipped when the clocks go forward).
    """
    if wall.tzinfo is not None:
        return wall.astimezone(UTC), None
    first = wall.replace(tzinfo=zone, fold=0)
    second = wall.replace(tzinfo=zone, fold=1)
    as_utc = first.astimezone(UTC)
    if as_utc.astimezone(zone).replace(tzinfo=None) != wall:
        raise DomainError(
            f"{wall:%H:%M} on {wall:%d %b %Y} does not exist in {zone.key}: the clocks go forward; "
            "choose a time after the change",
            field,
        )
    if first.utcoffset() != second.utcoffset():
        return as_utc, (
            f"{wall:%H:%M} on {wall:%d %b %Y} happens twice in {zone.key} (the clocks go back); "
            f"taken as the first, {first:%H:%M %Z}"
        )
    return as_utc, None


def review_time(
    now: datetime, minutes: int | None, at: datetime | None, policy: DispatchPolicy, field: str
) -> datetime:
    """When a reassessment must be looked at again: ``minutes`` from now or a time ``at``."""
    if minutes is not None and at is not None:
        raise DomainError("give minutes or a time, not both", field)
    if at is not None:
        if at.tzinfo is None:
            raise DomainError("needs a time zone", field)
        when = at.astimezone(UTC)
    else:
        when = now + timedelta(minutes=policy.default_review_minutes if minutes is None else minutes)
    if when <= now:
        raise DomainError("must be in the future", field)
    if when > now + timedelta(minutes=policy.longest_review_minutes):
        raise DomainError(f"must be within {policy.longest_review_minutes} minutes", field)
    return when
