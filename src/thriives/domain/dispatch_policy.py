"""The force's dispatch policy: attendance clocks, reassessment rules, resources, appointments.

Targets themselves live with the grades (``grading.json``); this file says when a clock
starts, at what share of its target a reassessment falls due, who must be reassessed
whatever happens, how often an unfinished task is escalated, which skills an incident
needs, and how appointment slots are laid out. REFERENCE 2.2 marks every target as
force-local, so all of it is data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time
from typing import Any

from thriives.domain.assessment_policy import AssessmentPolicy
from thriives.domain.categories import CategoryPolicy
from thriives.domain.dash import DASH_LEVELS
from thriives.domain.grading_clock import (
    FollowUpPolicy,
    GradingClockPolicy,
    parse_follow_up,
    parse_grading_clock,
)
from thriives.domain.indicators import INDICATORS
from thriives.domain.policy_reader import Problems, Reader, unique

AREAS = ("urban", "rural")
CLOCK_STARTS = ("call", "graded")
_HHMM = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")


@dataclass(frozen=True)
class Labelled:
    code: str
    label: str


@dataclass(frozen=True)
class ContactOutcome:
    code: str
    label: str
    reached: bool  # someone was spoken to


@dataclass(frozen=True)
class Need:
    """Skills an incident needs when its category, a qualifier or an indicator says so."""

    code: str
    categories: frozenset[str]
    qualifiers: frozenset[str]
    indicators: frozenset[str]
    skills: tuple[str, ...]
    required: bool  # True: a unit without the skills is never recommended

    def applies(self, category: str, qualifiers: frozenset[str], indicators: frozenset[str]) -> bool:
        return (
            category in self.categories
            or bool(self.qualifiers & qualifiers)
            or bool(self.indicators & indicators)
        )


@dataclass(frozen=True)
class Shift:
    code: str
    start: time  # local wall-clock time in the force's zone
    end: time  # may be earlier than start: the shift ends the next day


@dataclass(frozen=True)
class DispatchPolicy:
    version: str
    clock_from: str  # "call" (received) or "graded"
    unknown_area: str  # the target used when the location is unknown
    reassess_at_share: float
    escalate_after_minutes: int
    escalate_every_minutes: int
    mandatory_for_domestic_abuse: bool
    mandatory_vulnerability: str | None  # level at or above which reassessment is mandatory
    default_review_minutes: int
    longest_review_minutes: int
    contact_outcomes: dict[str, ContactOutcome]
    safeguarding_actions: dict[str, Labelled]
    unit_types: dict[str, Labelled]
    specialist_types: frozenset[str]  # kept free for work that needs them, all else equal
    skills: dict[str, Labelled]
    speed_kmh: dict[str, float]
    recommend: int
    needs: tuple[Need, ...]
    position_max_age_minutes: int  # older than this, distance is measured from the station
    backup_most_units: int  # the most further units one backup request may ask for
    appointment_grades: tuple[str, ...]
    slot_minutes: int
    shifts: dict[str, Shift]
    missed_after_minutes: int
    da_highest_risk: str  # highest THRIIVES risk level at which DA may have an appointment
    da_highest_dash: str  # highest DASH level at which DA may have an appointment
    grading: GradingClockPolicy  # the clock an ungraded call runs against
    follow_up: FollowUpPolicy  # the call-back or referral a resolved call is owed


def _labelled(reader: Reader, key: str) -> dict[str, Labelled]:
    found: dict[str, Labelled] = {}
    codes: list[str] = []  # as listed: the dict alone would hide a code listed twice
    for item in reader.items(key):
        item.only("code", "label")
        code = item.code("code")
        codes.append(code)
        found[code] = Labelled(code, item.text("label", limit=120))
    unique(codes, f"{reader.path}.{key}", reader.problems)
    return found


def read_time(reader: Reader, key: str) -> time:
    value = reader.data.get(key)
    match = _HHMM.match(value) if isinstance(value, str) else None
    if match is None:
        reader.problems.add(f"{reader.path}.{key}", "must be a local time HH:MM (00:00 to 23:59)")
        return time(0, 0)
    return time(int(match.group(1)), int(match.group(2)))


def parse_dispatch_policy(
    data: Any,
    assessment: AssessmentPolicy,
    categories: CategoryPolicy,
    source: str = "dispatch.json",
) -> DispatchPolicy:
    problems = Problems(source)
    grade_codes = tuple(g.code for g in assessment.grades)
    top = Reader(data, "", problems)
    top.only("version", "clock", "reassessment", "resources", "appointments", "grading_clock", "follow_up")
    clock = top.child("clock")
    clock.only("from", "unknown_area", "reassess_at_share")
    re_ = top.child("reassessment")
    re_.only(
        "escalate_after_minutes",
        "escalate_every_minutes",
        "mandatory_for_domestic_abuse",
        "mandatory_when_vulnerability_at_least",
        "default_review_minutes",
        "longest_review_minutes",
        "contact_outcomes",
        "safeguarding_actions",
    )
    outcomes: dict[str, ContactOutcome] = {}
    outcome_codes: list[str] = []
    for item in re_.items("contact_outcomes"):
        item.only("code", "label", "reached")
        code = item.code("code")
        outcome_codes.append(code)
        outcomes[code] = ContactOutcome(code, item.text("label", limit=120), item.flag("reached", False))
    mandatory = re_.data.get("mandatory_when_vulnerability_at_least")
    if mandatory is not None and mandatory not in assessment.levels:
        problems.add(
            "reassessment.mandatory_when_vulnerability_at_least",
            f"must be null or one of {', '.join(assessment.levels)}",
        )
        mandatory = None
    default_review = int(re_.number("default_review_minutes", 1, 10_080))
    longest_review = int(re_.number("longest_review_minutes", 1, 10_080))
    if default_review > longest_review:
        problems.add("reassessment.default_review_minutes", "must not be above longest_review_minutes")

    res = top.child("resources")
    res.only(
        "unit_types",
        "specialist_types",
        "skills",
        "speed_kmh",
        "recommend",
        "needs",
        "position_max_age_minutes",
        "backup_most_units",
    )
    skills = _labelled(res, "skills")
    unit_types = _labelled(res, "unit_types")
    speeds = res.child("speed_kmh")
    speeds.only(*AREAS)
    needs = []
    for item in res.items("needs", required=False):
        item.only("code", "categories", "qualifiers", "indicators", "skills", "required")
        cats = item.codes("categories", tuple(categories.categories))
        quals = item.codes("qualifiers", tuple(categories.qualifiers))
        inds = item.codes("indicators", tuple(INDICATORS))
        if not (cats or quals or inds):
            problems.add(item.path, "needs at least one category, qualifier or indicator")
        needs.append(
            Need(
                item.code("code"),
                frozenset(cats),
                frozenset(quals),
                frozenset(inds),
                item.codes("skills", tuple(skills), required=True),
                item.flag("required", False),
            )
        )

    app = top.child("appointments")
    app.only(
        "grades",
        "slot_minutes",
        "shifts",
        "missed_after_minutes",
        "domestic_abuse_highest_risk",
        "domestic_abuse_highest_dash",
    )
    shifts: dict[str, Shift] = {}
    shift_codes: list[str] = []
    for item in app.items("shifts"):
        item.only("code", "start", "end")
        code = item.code("code")
        shift_codes.append(code)
        start, end = read_time(item, "start"), read_time(item, "end")
        if start == end:
            problems.add(item.path, "a shift cannot start and end at the same time")
        shifts[code] = Shift(code, start, end)
    unique(shift_codes, "appointments.shifts", problems)
    policy = DispatchPolicy(
        version=top.text("version", limit=40),
        clock_from=clock.one_of("from", CLOCK_STARTS),
        unknown_area=clock.one_of("unknown_area", AREAS),
        reassess_at_share=clock.number("reassess_at_share", 0.05, 1.0),
        escalate_after_minutes=int(re_.number("escalate_after_minutes", 1, 1440)),
        escalate_every_minutes=int(re_.number("escalate_every_minutes", 1, 1440)),
        mandatory_for_domestic_abuse=re_.flag("mandatory_for_domestic_abuse", True),
        mandatory_vulnerability=mandatory,
        default_review_minutes=default_review,
        longest_review_minutes=longest_review,
        contact_outcomes=outcomes,
        safeguarding_actions=_labelled(re_, "safeguarding_actions"),
        unit_types=unit_types,
        specialist_types=frozenset(res.codes("specialist_types", tuple(unit_types))),
        skills=skills,
        speed_kmh={area: speeds.number(area, 1, 200) for area in AREAS},
        recommend=int(res.number("recommend", 1, 50)),
        needs=tuple(needs),
        position_max_age_minutes=int(res.number("position_max_age_minutes", 1, 1440, 30)),
        backup_most_units=int(res.number("backup_most_units", 1, 50, 10)),
        appointment_grades=app.codes("grades", tuple(g.code for g in assessment.grades), required=True),
        slot_minutes=int(app.number("slot_minutes", 5, 720)),
        shifts=shifts,
        missed_after_minutes=int(app.number("missed_after_minutes", 0, 1440)),
        da_highest_risk=app.one_of("domestic_abuse_highest_risk", assessment.levels),
        da_highest_dash=app.one_of("domestic_abuse_highest_dash", DASH_LEVELS),
        grading=parse_grading_clock(top.child("grading_clock"), grade_codes),
        follow_up=parse_follow_up(top.child("follow_up"), grade_codes),
    )
    unique(outcome_codes, "reassessment.contact_outcomes", problems)
    unique([need.code for need in needs], "resources.needs", problems)
    problems.raise_if_any()
    return policy
