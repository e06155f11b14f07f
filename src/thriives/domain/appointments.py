"""Appointments: slots by area and shift, and who may be offered one.

A slot is one area's capacity for one shift of one local day. Shifts are wall-clock times
in the force's zone, so the early shift on the day the clocks go forward is an hour shorter
in real time and on the day they go back an hour longer; both ends are converted with the
zone. REFERENCE 2.4: an appointment is not normally appropriate for a domestic-abuse
victim, so one is allowed only where the latest assessment supports it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from thriives.domain.assessment_policy import AssessmentPolicy
from thriives.domain.dash import DASH_LEVELS
from thriives.domain.dispatch_policy import DispatchPolicy, Shift
from thriives.domain.errors import Conflict, DomainError

MAX_PLACE = 500


def shift_window(day: date, shift: Shift, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """UTC start and end of a shift on a local day (an end before the start is the next day)."""
    start = datetime.combine(day, shift.start, tzinfo=zone)
    end_day = day + timedelta(days=1) if shift.end <= shift.start else day
    end = datetime.combine(end_day, shift.end, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


@dataclass(frozen=True)
class SlotView:
    id: int
    area: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    booked: int


@dataclass(frozen=True)
class Eligibility:
    allowed: bool
    reasons: tuple[str, ...]


def eligibility(
    grade: str | None,
    domestic_abuse: bool,
    levels: dict[str, str],
    dash_level: str | None,
    policy: DispatchPolicy,
    assessment: AssessmentPolicy,
) -> Eligibility:
    """Whether the latest assessment supports offering an appointment, with its reasons."""
    reasons: list[str] = []
    allowed = True
    if grade not in policy.appointment_grades:
        allowed = False
        reasons.append(
            f"grade {grade or 'none'} is not one that may have an appointment "
            f"({', '.join(policy.appointment_grades)})"
        )
    if domestic_abuse:
        risk = levels.get("risk")
        if risk is None or assessment.rank(risk) > assessment.rank(policy.da_highest_risk):
            allowed = False
            reasons.append(
                f"domestic abuse with risk {risk or 'not assessed'}: an appointment needs risk at most "
                f"{policy.da_highest_risk} (not normally appropriate for DA)"
            )
        if dash_level is None:
            allowed = False
            reasons.append("domestic abuse without a DASH record: complete DASH first")
        elif DASH_LEVELS.index(dash_level) > DASH_LEVELS.index(policy.da_highest_dash):
            allowed = False
            reasons.append(f"DASH {dash_level}: an appointment needs DASH at most {policy.da_highest_dash}")
        if allowed:
            reasons.append("domestic abuse: the assessment supports an appointment")
    if allowed and not domestic_abuse:
        reasons.append(f"grade {grade} may have an appointment")
    return Eligibility(allowed, tuple(reasons))


def check_booking(slot: SlotView, at: datetime, place: str | None, now: datetime) -> str:
    """Refuse a full or past slot, or a time outside it; return the place, trimmed."""
    if at.tzinfo is None:
        raise DomainError("needs a time zone", "at")
    if not slot.starts_at <= at < slot.ends_at:
        raise DomainError("must be within the slot's shift", "at")
    if at <= now:
        raise DomainError("must be in the future", "at")
    text = (place or "").strip()
    if not text:
        raise DomainError("say where the victim will be seen (their choice)", "place")
    if len(text) > MAX_PLACE:
        raise DomainError(f"is {len(text)} characters long; the most is {MAX_PLACE}", "place")
    if slot.booked >= slot.capacity:
        raise Conflict(f"this slot is full ({slot.booked} of {slot.capacity} booked)", "slot_id")
    return text
