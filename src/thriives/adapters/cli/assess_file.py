"""``thriives assess FILE.json``: grade an assessment file offline, for policy review.

The file holds the incident as grading sees it and the handler's assessment::

    {"incident": {"category": "domestic_incident", "qualifiers": ["domestic"],
                  "channel": "999", "phone_linked_to_da": false},
     "assessment": {"model": "thriives", "ratings": {"threat": {"level": "high",
                    "rationale": "..."}, ...}, "answers": {...}, "indicators": [...],
                    "call_states": [...], "grade": null, "override_reason": null,
                    "advice": {"code": {"given": true}}}}
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from thriives.domain.assessment import AdviceRecord, CallFacts, Rating, Submission, evaluate
from thriives.domain.assessment_policy import AssessmentPolicy
from thriives.domain.categories import CategoryPolicy
from thriives.domain.errors import DomainError
from thriives.domain.incidents import check_categorisation


def _object(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise DomainError("must be a JSON object", name)
    return value


def read_file(path: Path, categories: CategoryPolicy) -> tuple[CallFacts, Submission]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(f"line {error.lineno}: not valid JSON ({error.msg})") from error
    top = _object(data, "(top)")
    incident = _object(top.get("incident"), "incident")
    raw = _object(top.get("assessment"), "assessment")
    qualifiers = tuple(incident.get("qualifiers", []))
    check_categorisation(
        categories,
        str(incident.get("category", "")),
        qualifiers,
        incident.get("asb_qualifier"),
        "incident.category",
    )
    facts = CallFacts(
        str(incident["category"]),
        frozenset(qualifiers),
        str(incident.get("channel", "999")),
        bool(incident.get("phone_linked_to_da", False)),
    )
    ratings = {
        code: Rating(str(_object(r, f"ratings.{code}").get("level", "")), str(r.get("rationale", "")))
        for code, r in _object(raw.get("ratings", {}), "ratings").items()
    }
    advice = {
        code: AdviceRecord(bool(_object(a, f"advice.{code}").get("given")), a.get("note"))
        for code, a in _object(raw.get("advice", {}), "advice").items()
    }
    submission = Submission(
        model=str(raw.get("model", "")),
        ratings=ratings,
        answers={str(k): str(v) for k, v in _object(raw.get("answers", {}), "answers").items()},
        indicators=frozenset(map(str, raw.get("indicators", []))),
        call_states=frozenset(map(str, raw.get("call_states", []))),
        da_not_immediate_reason=raw.get("da_not_immediate_reason"),
        grade=raw.get("grade"),
        override_reason=raw.get("override_reason"),
        advice=advice,
    )
    return facts, submission


def grade_file(path: Path, policy: AssessmentPolicy, categories: CategoryPolicy) -> list[str]:
    facts, submission = read_file(path, categories)
    evaluation = evaluate(submission, facts, policy)
    proposed = evaluation.proposed
    lines = [f"policy {policy.version}, model {evaluation.model}", f"proposed grade: {proposed.grade}"]
    lines += [
        f"  {'*' if r in proposed.deciding else ' '} {r.rule}: {r.fact} -> {r.response.name.lower()}"
        for r in proposed.reasons
    ]
    for raise_ in evaluation.raised:
        lines.append(f"  raised {raise_.factor} to {raise_.level}: {raise_.question} = {raise_.answer}")
    lines.append(
        f"final grade: {evaluation.final_grade}"
        + (f" (DOWNGRADE: {submission.override_reason})" if evaluation.downgrade else "")
    )
    if evaluation.advice_not_given:
        lines.append(f"advice not given: {', '.join(evaluation.advice_not_given)}")
    return lines
