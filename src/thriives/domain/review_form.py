"""The supervisor's review form, as policy data, and scoring a completed review.

Each item is answered from its options (``not_applicable`` where offered); a per-factor
item is answered for each THRIIVES factor, each with a rationale. An item with a
``correction`` (category or grade) needs the right one when answered ``no``. The score is
the weighted share of points over the items that apply, 0 to 100. Every review stores the
form version it used, so a score can always be read against the form that produced it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from thriives.domain.dispatch_policy import Shift, read_time
from thriives.domain.errors import DomainError
from thriives.domain.policy_reader import Problems, Reader, unique

NOT_APPLICABLE = "not_applicable"
KINDS = ("choice", "per_factor")
CORRECTIONS = ("category", "grade")
MAX_TEXT = 2_000


@dataclass(frozen=True)
class FormItem:
    code: str
    kind: str
    label: str
    options: tuple[str, ...]
    weight: float
    correction: str | None


@dataclass(frozen=True)
class ReviewForm:
    version: str
    points: Mapping[str, float]
    items: tuple[FormItem, ...]


@dataclass(frozen=True)
class SupervisionPolicy:
    version: str
    form: ReviewForm
    sample_share: float
    sample_per_handler: int
    high_risk_at: str  # a latest assessment with any factor at or above this is reviewed
    shifts: tuple[Shift, ...]  # control-room shifts, for the dashboard


def parse_supervision_policy(
    data: Any, levels: Sequence[str], source: str = "supervision.json"
) -> SupervisionPolicy:
    problems = Problems(source)
    top = Reader(data, "", problems)
    top.only("version", "form", "sample", "queue", "shifts")
    form_reader = top.child("form")
    form_reader.only("version", "points", "items")
    points_reader = form_reader.child("points")
    points = {}
    for option, value in points_reader.data.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            problems.add(f"form.points.{option}", "must be a number from 0 to 1")
        else:
            points[option] = float(value)
    items = []
    for item in form_reader.items("items"):
        item.only("code", "kind", "label", "options", "weight", "correction")
        options = item.codes("options", required=True)
        for option in options:
            if option != NOT_APPLICABLE and option not in points:
                problems.add(f"{item.path}.options", f"{option!r} has no points")
        correction = item.data.get("correction")
        if correction is not None and correction not in CORRECTIONS:
            problems.add(f"{item.path}.correction", f"must be one of {', '.join(CORRECTIONS)}")
            correction = None
        if correction is not None and "no" not in options:
            problems.add(f"{item.path}.correction", "needs a 'no' option to correct")
        items.append(
            FormItem(
                item.code("code"),
                item.one_of("kind", KINDS),
                item.text("label", limit=200),
                options,
                item.number("weight", 0, 100),
                correction,
            )
        )
    unique([i.code for i in items], "form.items", problems)
    sample = top.child("sample")
    sample.only("share", "per_handler_per_month")
    queue = top.child("queue")
    queue.only("high_risk_at")
    shifts = []
    for item in top.items("shifts"):
        item.only("code", "start", "end")
        shifts.append(Shift(item.code("code"), read_time(item, "start"), read_time(item, "end")))
    unique([s.code for s in shifts], "shifts", problems)
    policy = SupervisionPolicy(
        version=top.text("version", limit=40),
        form=ReviewForm(form_reader.text("version", limit=40), points, tuple(items)),
        sample_share=sample.number("share", 0.0001, 1),
        sample_per_handler=int(sample.number("per_handler_per_month", 0, 1000)),
        high_risk_at=queue.one_of("high_risk_at", tuple(levels)),
        shifts=tuple(shifts),
    )
    problems.raise_if_any()
    return policy


@dataclass(frozen=True)
class Answer:
    value: str | None = None  # for a choice item
    factors: Mapping[str, tuple[str, str]] | None = None  # factor -> (option, rationale)
    correction: str | None = None  # the right category or grade when answered "no"
    note: str | None = None


@dataclass(frozen=True)
class Scored:
    answers: dict[str, dict[str, Any]]
    score: int  # 0 to 100


def score_review(
    form: ReviewForm,
    answers: Mapping[str, Answer],
    feedback: str | None,
    factors: Sequence[str],
    categories: Sequence[str],
    grades: Sequence[str],
) -> Scored:
    """Check a review against its form (refusing, naming the item, anything missing or
    wrong) and score it."""
    unknown = sorted(set(answers) - {i.code for i in form.items})
    if unknown:
        raise DomainError(f"{unknown[0]!r} is not on review form {form.version}", f"answers.{unknown[0]}")
    text = (feedback or "").strip()
    if not text:
        raise DomainError("write feedback for the call handler", "feedback")
    if len(text) > MAX_TEXT:
        raise DomainError(f"is {len(text)} characters long; the most is {MAX_TEXT}", "feedback")
    stored: dict[str, dict[str, Any]] = {}
    earned = possible = 0.0
    for item in form.items:
        field = f"answers.{item.code}"
        answer = answers.get(item.code)
        if answer is None:
            raise DomainError(f"answer '{item.label}'", field)
        if answer.note is not None and len(answer.note) > MAX_TEXT:
            raise DomainError(f"the most is {MAX_TEXT} characters", f"{field}.note")
        if item.kind == "per_factor":
            given = dict(answer.factors or {})
            per: dict[str, dict[str, str]] = {}
            for factor in factors:
                if factor not in given:
                    raise DomainError(f"rate how {factor} was applied, with a rationale", f"{field}.{factor}")
                option, rationale = given[factor]
                if option not in item.options or option == NOT_APPLICABLE:
                    raise DomainError(f"must be one of {', '.join(item.options)}", f"{field}.{factor}")
                if not rationale.strip():
                    raise DomainError("give the rationale", f"{field}.{factor}.rationale")
                if len(rationale) > MAX_TEXT:
                    raise DomainError(f"the most is {MAX_TEXT} characters", f"{field}.{factor}.rationale")
                per[factor] = {"rating": option, "rationale": rationale.strip()}
            extra = sorted(set(given) - set(factors))
            if extra:
                raise DomainError(f"{extra[0]!r} is not a factor of this assessment", f"{field}.{extra[0]}")
            value = sum(form.points[p["rating"]] for p in per.values()) / max(1, len(per))
            stored[item.code] = {"factors": per, "note": answer.note}
            earned += item.weight * value
            possible += item.weight
            continue
        if answer.value not in item.options:
            raise DomainError(f"must be one of {', '.join(item.options)}", field)
        entry: dict[str, Any] = {"value": answer.value, "note": answer.note}
        if item.correction is not None and answer.value == "no":
            allowed = categories if item.correction == "category" else grades
            if answer.correction not in allowed:
                raise DomainError(f"give the right {item.correction}", f"{field}.correction")
            entry["correction"] = answer.correction
        stored[item.code] = entry
        if answer.value != NOT_APPLICABLE:
            earned += item.weight * form.points[answer.value]
            possible += item.weight
    return Scored(stored, round(100 * earned / possible) if possible else 100)
