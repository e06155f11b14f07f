"""An incident's timeline in plain words: one function for every page that lists events.

The journal keeps each event as its service wrote it (kinds, codes, enum values, ISO times,
``None``), which the API and the audit show unchanged. Staff read :func:`describe`'s entry
instead: a title, detail lines and the reason given, with grades, categories, statuses and
units in words, times in the force's local time and "not set" for an empty value. An event
kind this module does not know still reads as words (its name, and any before/after change
as a change), so a new kind never breaks a page.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from thriives.bootstrap import Container
from thriives.domain.assessment_policy import AssessmentPolicy
from thriives.domain.categories import CategoryPolicy
from thriives.domain.dispatch_policy import DispatchPolicy

NOT_SET = "not set"

TITLES = {
    "incident.opened": "opened",
    "incident.assessed": "assessed",
    "incident.grade": "grade",
    "incident.dispatch": "dispatch",
    "incident.arrive": "arrive",
    "incident.closed": "closed",
    "incident.reopen": "reopened",
    "incident.recategorised": "recategorised",
    "incident.dispatched": "unit sent",
    "incident.arrived": "unit at scene",
    "incident.dash_recorded": "DASH risk assessment recorded",
    "incident.regraded": "regraded",
    "intel.searched": "records searched",
    "intel.attached": "person attached",
    "unit.status": "unit status",
    "incident.unit_taken_away": "unit taken away",
    "incident.handed_over": "handed over to another unit",
    "incident.cut_off": "call cut off",
    "attendance.at_risk": "attendance clock at risk",
    "attendance.breached": "attendance target breached",
    "reassessment.opened": "reassessment task opened",
    "reassessment.trigger_added": "reassessment trigger added",
    "reassessment.escalated": "reassessment escalated to the supervisor",
    "reassessment.completed": "reassessment completed",
    "appointment.booked": "appointment booked",
    "appointment.kept": "appointment kept",
    "appointment.missed": "appointment missed",
    "appointment.cancelled": "appointment cancelled",
    "appointment.slot_opened": "appointment slot opened",
    "deadline.failed": "a timer failed",
    "review.queued": "queued for supervisor review",
    "review.downgrade_requested": "downgrade sent for approval",
    "review.downgrade_approved": "downgrade approved",
    "review.downgrade_rejected": "downgrade rejected",
    "review.completed": "reviewed by a supervisor",
    "review.acknowledged": "review acknowledged",
    "review.sample_drawn": "review sample drawn",
    "policy.aide_memoire_changed": "aide-memoire changed",
    "incident.linked": "linked to another incident",
    "incident.declared_separate": "declared separate from another incident",
    "incident.log": "log entry added",
    "incident.backup_requested": "backup requested",
    "incident.backup_satisfied": "backup sent",
    "incident.backup_cancelled": "backup request cancelled",
    "unit.position": "unit position reported",
    "incident.initial_graded": "initial grade given",
    "incident.full_assessment_followed": "full assessment followed the initial grade",
    "incident.full_assessment_late": "full assessment late after the initial grade: supervisor told",
    "grading.late": "not graded in time: supervisor told",
    "follow_up.opened": "follow-up (call-back or referral) due",
    "follow_up.completed": "follow-up done",
    "follow_up.overdue": "follow-up overdue: supervisor told",
    "follow_up.cancelled": "follow-up no longer needed",
}

FIELDS = {
    "opening_category": "category",
    "closing_category": "closing category",
    "closure_reason": "closure reason",
    "closure_note": "closure note",
    "dash_exemption": "why no DASH",
    "asb_qualifier": "ASB qualifier",
    "dispatched_at": "dispatched at",
    "arrived_at": "arrived at",
    "call_sign": "unit",
}

REVIEW_KINDS = {
    "downgrade": "a downgrade",
    "domestic_abuse": "domestic abuse",
    "high_risk": "high risk",
    "attendance_breach": "attendance clock breached",
    "late_reassessment": "late reassessment",
    "sample": "random sample",
    "categorisation_cue": "categorisation cue not followed",
    "late_grading": "not graded in time",
    "late_follow_up": "follow-up overdue",
    "late_assessment": "full assessment late after an initial grade",
}

RELATIONS = {
    "duplicate_of": "a duplicate of",
    "has_duplicate": "has a duplicate call:",
    "related": "related to",
    "separate": "separate from",
}

LINK_ROLES = {"victim": "victim", "suspect": "suspect", "witness": "witness", "caller": "caller"}


@dataclass(frozen=True)
class Entry:
    at: datetime
    actor: str
    title: str
    details: tuple[str, ...]
    reason: str | None


@dataclass(frozen=True)
class Words:
    """What turns codes into words: the force's policies and its time zone."""

    categories: CategoryPolicy
    assessment: AssessmentPolicy
    dispatch: DispatchPolicy | None
    zone: ZoneInfo

    def grade(self, code: Any) -> str:
        if not code:
            return NOT_SET
        found = self.assessment.grade(str(code))
        return found.name if found else plain(code)

    def category(self, code: Any) -> str:
        if not code:
            return NOT_SET
        found = self.categories.categories.get(str(code))
        return found.label if found else plain(code)

    def qualifiers(self, codes: Any) -> str:
        if not codes:
            return "none"
        return ", ".join(self.categories.qualifiers.get(str(c), plain(c)) for c in codes)

    def closure_reason(self, code: Any) -> str:
        return self.categories.closure_reasons.get(str(code), plain(code)) if code else NOT_SET

    def time(self, value: Any) -> str:
        if not value:
            return NOT_SET
        when = value if isinstance(value, datetime) else _parse_time(str(value))
        if when is None:
            return plain(value)
        return when.astimezone(self.zone).strftime("%d %b %Y %H:%M")

    def contact_outcome(self, code: Any) -> str:
        found = self.dispatch.contact_outcomes.get(str(code)) if self.dispatch else None
        return found.label if found else plain(code)

    def safeguarding(self, codes: Any) -> str:
        actions = self.dispatch.safeguarding_actions if self.dispatch else {}
        labels = [actions[str(c)].label if str(c) in actions else plain(c) for c in codes or []]
        return ", ".join(labels) or "none"

    def value(self, field: str, value: Any) -> str:
        """A field's value as staff read it."""
        if field == "grade":
            return self.grade(value)
        if field in ("opening_category", "closing_category", "category"):
            return self.category(value)
        if field == "qualifiers":
            return self.qualifiers(value)
        if field == "closure_reason":
            return self.closure_reason(value)
        if field.endswith("_at"):
            return self.time(value)
        return plain(value)


def plain(value: Any) -> str:
    """Any stored value in words: no ``None``, no underscores, no braces."""
    if value is None or value == "":
        return NOT_SET
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(plain(v) for v in value) or "none"
    if isinstance(value, Mapping):
        return "; ".join(f"{plain(k)}: {plain(v)}" for k, v in value.items()) or "none"
    return str(value).replace("_", " ")


def _parse_time(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def title_of(kind: str) -> str:
    return TITLES.get(kind) or kind.rsplit(".", 1)[-1].replace("_", " ")


def changes(data: Mapping[str, Any], words: Words) -> list[str]:
    """Each field a change touched: ``status: open → graded``, in words."""
    before, after = data.get("before"), data.get("after")
    if not isinstance(after, Mapping):
        if after is None and before is None:
            return []
        return [f"{plain(before)} → {plain(after)}"]
    old = before if isinstance(before, Mapping) else {}
    lines = []
    for field, new in after.items():
        name = FIELDS.get(field, field.replace("_", " "))
        shown = words.value(field, new)
        if field == "closure_note" and new == data.get("reason"):
            continue  # shown once, as the reason
        if field in old and old[field] == new:
            if new not in (None, "", []):
                lines.append(f"{name}: {shown} (unchanged)")
        elif field in old:
            lines.append(f"{name}: {words.value(field, old[field])} → {shown}")
        elif field not in ("reference", "status"):
            lines.append(f"{name}: {shown}")
    return lines


def _assessed(data: Mapping[str, Any], words: Words) -> list[str]:
    lines = changes(data, words)
    if data.get("version") is not None:
        lines.insert(0, f"assessment version {plain(data['version'])}")
    proposed = data.get("proposed")
    if proposed and proposed != (data.get("after") or {}).get("grade"):
        lines.append(f"proposed {words.grade(proposed)}")
    if data.get("downgrade"):
        lines.append("a downgrade: a supervisor decides")
    return lines


def _unit_status(data: Mapping[str, Any], words: Words) -> list[str]:
    return [f"{data.get('call_sign') or 'a unit'}: {plain(data.get('before'))} → {plain(data.get('after'))}"]


def _dispatched(data: Mapping[str, Any], words: Words) -> list[str]:
    lines = [f"{plain(data.get('call_sign'))} sent", *changes(data, words)]
    recommended = data.get("recommended") or []
    if recommended and not data.get("followed"):
        lines.append(f"recommended first: {plain(recommended[0])}")
    return lines


def _with_unit(data: Mapping[str, Any], words: Words) -> list[str]:
    return [f"unit {plain(data.get('call_sign'))}", *changes(data, words)]


def _handed_over(data: Mapping[str, Any], words: Words) -> list[str]:
    return [f"from {plain(data.get('from'))} to {plain(data.get('to'))}", *changes(data, words)]


def _attendance(data: Mapping[str, Any], words: Words) -> list[str]:
    return [f"due {words.time(data.get('due_at'))}"] if data.get("due_at") else []


def _task(data: Mapping[str, Any], words: Words) -> list[str]:
    lines = [f"task {plain(data.get('task'))}"] if data.get("task") is not None else []
    if data.get("text"):
        lines.append(f"because: {data['text']}")
    if data.get("mandatory"):
        lines.append(f"mandatory: {data.get('why') or 'by policy'}")
    return lines


def _escalated(data: Mapping[str, Any], words: Words) -> list[str]:
    return [
        f"task {plain(data.get('task'))}, reminder {plain(data.get('escalation'))}",
        f"open {plain(data.get('open_minutes'))} min",
    ]


def _completed(data: Mapping[str, Any], words: Words) -> list[str]:
    lines = [
        f"task {plain(data.get('task'))}",
        f"contact: {words.contact_outcome(data.get('contact_outcome'))}",
        f"safeguarding: {words.safeguarding(data.get('safeguarding'))}",
    ]
    if data.get("assessment_version") is not None:
        lines.append(f"assessment version {data['assessment_version']}")
    if data.get("review_at"):
        lines.append(f"review at {words.time(data['review_at'])}")
    return lines


def _appointment(data: Mapping[str, Any], words: Words) -> list[str]:
    lines = [f"at {words.time(data['at'])}"] if data.get("at") else []
    if data.get("note"):
        lines.append(str(data["note"]))
    return lines


def _failed(data: Mapping[str, Any], words: Words) -> list[str]:
    # The exception text is for the administrator (server log and API), not for staff.
    return [f"the {plain(data.get('kind'))} timer did not run; tell the administrator"]


def _queued(data: Mapping[str, Any], words: Words) -> list[str]:
    kind = str(data.get("kind", ""))
    return [f"as {REVIEW_KINDS.get(kind, plain(kind))}"]


def _downgrade(data: Mapping[str, Any], words: Words) -> list[str]:
    return [f"proposed {words.grade(data.get('proposed'))}, given {words.grade(data.get('chosen'))}"]


def _reviewed(data: Mapping[str, Any], words: Words) -> list[str]:
    return [f"score {plain(data.get('score'))}/100"] if data.get("score") is not None else []


def _dash(data: Mapping[str, Any], words: Words) -> list[str]:
    lines = [f"level: {plain(data.get('level'))}", f"{plain(data.get('yes_count', 0))} answered yes"]
    if data.get("marac_referral"):
        lines.append("MARAC referral")
    return lines


def _searched(data: Mapping[str, Any], words: Words) -> list[str]:
    return [f"{plain(data.get('results', 0))} found"]


def _attached(data: Mapping[str, Any], words: Words) -> list[str]:
    role = str(data.get("role", ""))
    return [f"as {LINK_ROLES.get(role, plain(role))}"]


def _linked(data: Mapping[str, Any], words: Words) -> list[str]:
    relation = str(data.get("relation", ""))
    return [f"{RELATIONS.get(relation, plain(relation))} {plain(data.get('other'))}"]


DETAILS: dict[str, Callable[[Mapping[str, Any], Words], list[str]]] = {
    "incident.linked": _linked,
    "incident.declared_separate": _linked,
    "incident.opened": lambda d, w: changes(d, w),
    "incident.assessed": _assessed,
    "unit.status": _unit_status,
    "incident.dispatched": _dispatched,
    "incident.arrived": _with_unit,
    "incident.unit_taken_away": _with_unit,
    "incident.handed_over": _handed_over,
    "attendance.at_risk": _attendance,
    "attendance.breached": _attendance,
    "reassessment.opened": _task,
    "reassessment.trigger_added": _task,
    "reassessment.escalated": _escalated,
    "reassessment.completed": _completed,
    "appointment.booked": _appointment,
    "appointment.kept": _appointment,
    "appointment.missed": _appointment,
    "appointment.cancelled": _appointment,
    "deadline.failed": _failed,
    "review.queued": _queued,
    "review.downgrade_requested": _downgrade,
    "review.downgrade_approved": _downgrade,
    "review.downgrade_rejected": _downgrade,
    "review.completed": _reviewed,
    "review.acknowledged": lambda d, w: [],
    "incident.dash_recorded": _dash,
    "intel.searched": _searched,
    "intel.attached": _attached,
    "review.sample_drawn": lambda d, w: [f"{plain(d.get('picked', 0))} calls picked"],
    "appointment.slot_opened": lambda d, w: [f"from {w.time(d.get('starts_at'))}"],
    "policy.aide_memoire_changed": lambda d, w: [f"for {w.category(d.get('category'))}"],
}


def describe(event: Mapping[str, Any], words: Words) -> Entry:
    """One journal event as staff read it: title, detail lines and the reason given."""
    kind = str(event.get("kind", ""))
    data = event.get("data") or {}
    if not isinstance(data, Mapping):
        data = {}
    detail = DETAILS.get(kind, changes)
    try:
        lines = detail(data, words)
    except (KeyError, TypeError, ValueError, AttributeError):
        # An event of an older or newer shape: still shown, by what it changed if anything.
        lines = []
    reason = data.get("reason")
    return Entry(
        at=event["at"],
        actor=str(event.get("actor") or "the system"),
        title=title_of(kind),
        details=tuple(line for line in lines if line),
        reason=str(reason) if reason else None,
    )


def words_for(container: Container) -> Words:
    """The words of a running app's policies and time zone."""
    return Words(
        container.policy,
        container.assessment_policy,
        container.dispatch.policy,
        ZoneInfo(container.settings.force_timezone),
    )
