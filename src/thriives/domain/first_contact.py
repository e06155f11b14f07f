"""The initial grade at first contact: a quick grade a handler gives in seconds, before the
full THRIIVES assessment, so a unit can be sent at once.

A handler who hears "he's banging on the door" or "he's not breathing" must not be held
behind eight rationales. The initial grade is one of the force's quick grades (by default
emergency or priority), chosen from the national indicators or the handler's own
judgement, always with a one-line reason. The full assessment must follow within a policy
time for that grade; if it has not, the supervisor is told.

Policy (``grading.json``):
- ``initial_grade``: ``grades`` (codes of emergency or priority grades), ``assess_within_minutes``
  (per listed grade: when the full assessment is due), ``reason_max`` (characters).
- ``unknown_answers``: ``raise`` (factors) and ``to`` (a level): an "unknown" answer to a
  question whose other answers can raise one of those factors to the top level raises it
  to ``to``, in every question set; what is not known is never read as low.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from thriives.domain.errors import DomainError
from thriives.domain.indicators import INDICATORS, Response, floor_of
from thriives.domain.policy_reader import Reader

QUICK_RESPONSES = (Response.EMERGENCY, Response.PRIORITY)


class _Graded(Protocol):
    @property
    def code(self) -> str: ...

    @property
    def response(self) -> Response: ...


def parse_first_contact(
    top: Reader, grades: Sequence[_Graded], factors: Sequence[str], levels: Sequence[str]
) -> dict[str, Any]:
    """Read ``initial_grade`` and ``unknown_answers`` from grading.json (problems recorded).
    Either may be left out: then emergency and priority may be given, the assessment is due
    15 and 30 minutes after, and unknown answers raise threat, harm, risk and vulnerability
    to medium (where the policy has those factors and levels)."""
    quick = {g.response: g.code for g in grades if g.response in QUICK_RESPONSES}
    defaults = {quick.get(r, ""): m for r, m in ((Response.EMERGENCY, 15), (Response.PRIORITY, 30))}
    initial = top.child("initial_grade") if "initial_grade" in top.data else None
    if initial is None:
        codes, minutes, reason_max = (
            tuple(c for c in defaults if c),
            {c: m for c, m in defaults.items() if c},
            200,
        )
    else:
        initial.only("grades", "assess_within_minutes", "reason_max")
        codes = initial.codes("grades", sorted(quick.values()), required=True)
        within = initial.child("assess_within_minutes")
        within.only(*codes)
        minutes = {code: int(within.number(code, 1, 1440)) for code in codes}
        reason_max = int(initial.number("reason_max", 20, 2000, default=200))
    if "unknown_answers" in top.data:
        unknown = top.child("unknown_answers")
        unknown.only("raise", "to")
        raises = unknown.codes("raise", list(factors), required=True)
        to = unknown.one_of("to", list(levels) or ["medium"])
    else:
        raises = tuple(f for f in ("threat", "harm", "risk", "vulnerability") if f in factors)
        to = "medium" if "medium" in levels else ""
    return {
        "initial_grades": codes,
        "assess_within_minutes": minutes,
        "initial_reason_max": reason_max,
        "unknown_raises": raises,
        "unknown_raises_to": to,
    }


@dataclass(frozen=True)
class InitialGrade:
    grade: str
    indicators: tuple[str, ...]
    reason: str
    assess_by: datetime  # when the full assessment is due


def check_initial_grade(
    grade: str,
    indicators: Iterable[str],
    reason: str | None,
    allowed: Sequence[str],
    within_minutes: dict[str, int] | Any,
    reason_max: int,
    now: datetime,
) -> InitialGrade:
    """Refuse a quick grade that breaks the policy, naming the field; return what to record.

    1. The grade must be one of the policy's quick grades.
    2. Each indicator must be a national indicator (named ``indicators.N`` if not).
    3. A one-line reason is required, at most ``reason_max`` characters.
    """
    if grade not in allowed:
        raise DomainError(f"must be one of {', '.join(allowed)}", "grade")
    chosen = list(indicators)
    for index, indicator in enumerate(chosen):
        if indicator not in INDICATORS:
            raise DomainError(f"{str(indicator)[:40]!r} is not a known indicator", f"indicators.{index}")
    text = " ".join((reason or "").split())
    if not text:
        raise DomainError("a reason is required: say in one line why", "reason")
    if len(text) > reason_max:
        raise DomainError(f"is {len(text)} characters long; the most is {reason_max}", "reason")
    due = now + timedelta(minutes=int(within_minutes[grade]))
    return InitialGrade(grade, tuple(dict.fromkeys(chosen)), text, due)


def indicator_floor(indicators: Iterable[str]) -> Response | None:
    """The most urgent national floor among the indicators, if any (shown beside the choice)."""
    floors = [f for f in (floor_of(i) for i in indicators) if f is not None]
    return max(floors) if floors else None
