"""The force's assessment policy: models and levels, question sets, grades and targets,
DASH, safeguarding advice and categorisation cues. Parsed from data, checked whole.

Every assessment records the version it ran under. ``parse_assessment_policy`` takes the
parsed JSON of each file and either returns a complete policy or raises ``ValueError``
naming every problem as ``file: path: problem``; a bad policy is never half-loaded.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from thriives.domain.categories import CategoryPolicy
from thriives.domain.first_contact import parse_first_contact
from thriives.domain.indicators import CALL_STATES, INDICATORS, Response
from thriives.domain.policy_reader import Problems, Reader, unique

FILES = ("assessment.json", "questions.json", "grading.json", "dash.json", "advice.json", "cues.json")
ANSWERS = ("yes", "no", "unknown")


@dataclass(frozen=True)
class Factor:
    code: str
    name: str
    definition: str
    prompt: str
    rationale_required: bool


@dataclass(frozen=True)
class Model:
    code: str
    name: str
    factors: tuple[Factor, ...]

    def factor(self, code: str) -> Factor | None:
        return next((f for f in self.factors if f.code == code), None)


@dataclass(frozen=True)
class Effect:
    when: str
    indicators: tuple[str, ...]
    raises: Mapping[str, str]  # factor code -> the least level the answer implies


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    answers: tuple[str, ...]
    effects: tuple[Effect, ...]


@dataclass(frozen=True)
class QuestionSet:
    code: str
    title: str
    categories: tuple[str, ...]
    qualifiers: tuple[str, ...]
    questions: tuple[Question, ...]

    def applies(self, category: str, qualifiers: frozenset[str]) -> bool:
        return category in self.categories or bool(qualifiers & set(self.qualifiers))


@dataclass(frozen=True)
class Grade:
    code: str
    name: str
    response: Response
    target_urban: int | None  # minutes to attend; None where no attendance clock runs
    target_rural: int | None


@dataclass(frozen=True)
class LevelRule:
    code: str
    at_least: Mapping[str, str]  # factor -> level ("any" means any factor)
    response: Response


@dataclass(frozen=True)
class DashQuestion:
    id: str
    topic: str


@dataclass(frozen=True)
class Advice:
    code: str
    text: str
    categories: tuple[str, ...]
    qualifiers: tuple[str, ...]


@dataclass(frozen=True)
class Cue:
    code: str
    label: str
    patterns: tuple[re.Pattern[str], ...]
    qualifiers: tuple[str, ...]
    question_sets: tuple[str, ...]


@dataclass(frozen=True)
class AssessmentPolicy:
    version: str
    levels: tuple[str, ...]  # lowest first
    level_labels: Mapping[str, str]
    models: Mapping[str, Model]
    default_model: str
    question_sets: Mapping[str, QuestionSet]
    questions: Mapping[str, Question]  # by id, across all sets
    grades: tuple[Grade, ...]  # most urgent first
    level_rules: tuple[LevelRule, ...]
    resolution_when_at_most: str
    da_categories: tuple[str, ...]
    da_qualifiers: tuple[str, ...]
    dash_questions: tuple[DashQuestion, ...]
    dash_medium_at: int
    dash_high_at: int
    advice: tuple[Advice, ...]
    cues: tuple[Cue, ...]
    # grading.json "initial_grade" and "unknown_answers" (parsed in domain/first_contact.py)
    initial_grades: tuple[str, ...] = ()  # the grades a handler may give at first contact
    assess_within_minutes: Mapping[str, int] = field(default_factory=dict)  # by initial grade
    initial_reason_max: int = 200
    unknown_raises: tuple[str, ...] = ()  # factors an "unknown" danger answer raises
    unknown_raises_to: str = ""

    def rank(self, level: str) -> int:
        return self.levels.index(level)

    def grade_for(self, response: Response) -> Grade:
        return next(g for g in self.grades if g.response is response)

    def grade(self, code: str) -> Grade | None:
        return next((g for g in self.grades if g.code == code), None)


def parse_assessment_policy(files: Mapping[str, Any], categories: CategoryPolicy) -> AssessmentPolicy:
    problems = Problems("policy")
    readers = {}
    for name in FILES:
        problems.source = name
        readers[name] = Reader(files.get(name), "", problems)
    problems.source = "assessment.json"
    top = readers["assessment.json"]
    top.only("version", "levels", "models", "default_model")
    version = top.text("version", limit=40)
    levels, labels = _levels(top)
    models = _models(top, problems)
    default_model = top.one_of("default_model", sorted(models) or ["thriives"])
    factor_codes = sorted({f.code for m in models.values() for f in m.factors})
    problems.source = "questions.json"
    sets = _question_sets(readers["questions.json"], categories, factor_codes, levels, problems)
    questions = {q.id: q for s in sets.values() for q in s.questions}
    problems.source = "grading.json"
    grading = _grading(readers["grading.json"], categories, factor_codes, levels, problems)
    problems.source = "dash.json"
    dash = _dash(readers["dash.json"], problems)
    problems.source = "advice.json"
    advice = _advice(readers["advice.json"], categories, problems)
    problems.source = "cues.json"
    cues = _cues(readers["cues.json"], categories, sets, problems)
    problems.raise_if_any()
    return AssessmentPolicy(
        version=version,
        levels=levels,
        level_labels=labels,
        models=models,
        default_model=default_model,
        question_sets=sets,
        questions=questions,
        advice=advice,
        cues=cues,
        **grading,
        **dash,
    )


def _levels(top: Reader) -> tuple[tuple[str, ...], dict[str, str]]:
    levels, labels = [], {}
    for item in top.items("levels"):
        item.only("code", "label")
        code = item.code("code")
        levels.append(code)
        labels[code] = item.text("label", limit=40)
    unique(levels, "levels", top.problems)
    if len(levels) < 2:
        top.problems.add("levels", "needs at least two levels, lowest first")
    return tuple(levels), labels


def _models(top: Reader, problems: Problems) -> dict[str, Model]:
    models: dict[str, Model] = {}
    for item in top.items("models"):
        item.only("code", "name", "factors")
        factors = []
        for f in item.items("factors"):
            f.only("code", "name", "definition", "prompt", "rationale_required")
            factors.append(
                Factor(
                    f.code("code"),
                    f.text("name", limit=60),
                    f.text("definition"),
                    f.text("prompt"),
                    f.flag("rationale_required", True),
                )
            )
        unique([f.code for f in factors], f"{item.path}.factors", problems)
        code = item.code("code")
        if code in models:
            problems.add(f"{item.path}.code", f"{code!r} is listed twice")
        models[code] = Model(code, item.text("name", limit=60), tuple(factors))
    return models


def _question_sets(
    top: Reader,
    categories: CategoryPolicy,
    factors: list[str],
    levels: tuple[str, ...],
    problems: Problems,
) -> dict[str, QuestionSet]:
    top.only("sets")
    sets: dict[str, QuestionSet] = {}
    seen_ids: list[str] = []
    for item in top.items("sets"):
        item.only("code", "title", "categories", "qualifiers", "questions")
        questions = []
        for q in item.items("questions"):
            q.only("id", "text", "answers", "effects")
            answers = q.codes("answers") or ANSWERS
            effects = []
            for e in q.items("effects", required=False):
                e.only("when", "indicators", "raise")
                raises = e.child("raise") if "raise" in e.data else Reader({}, "", problems)
                raised = {}
                for factor, level in raises.data.items():
                    if factor not in factors:
                        problems.add(f"{raises.path}.{factor}", "is not a factor of any model")
                    elif level not in levels:
                        problems.add(f"{raises.path}.{factor}", f"must be one of {', '.join(levels)}")
                    else:
                        raised[factor] = level
                effects.append(
                    Effect(e.one_of("when", answers), e.codes("indicators", list(INDICATORS)), raised)
                )
            question_id = q.code("id")
            seen_ids.append(question_id)
            questions.append(Question(question_id, q.text("text", limit=300), answers, tuple(effects)))
        code = item.code("code")
        if code in sets:
            problems.add(f"{item.path}.code", f"{code!r} is listed twice")
        sets[code] = QuestionSet(
            code,
            item.text("title", limit=80),
            item.codes("categories", list(categories.categories)),
            item.codes("qualifiers", list(categories.qualifiers)),
            tuple(questions),
        )
    unique(seen_ids, "sets[].questions[].id", problems)
    return sets


def _grading(
    top: Reader,
    categories: CategoryPolicy,
    factors: list[str],
    levels: tuple[str, ...],
    problems: Problems,
) -> dict[str, Any]:
    top.only(
        "grades",
        "level_rules",
        "resolution_when_at_most",
        "domestic_abuse",
        "initial_grade",
        "unknown_answers",
    )
    grades = []
    for item in top.items("grades"):
        item.only("code", "name", "response", "target_minutes")
        response = item.one_of("response", [r.name.lower() for r in Response])
        target = item.child("target_minutes") if item.data.get("target_minutes") is not None else None
        urban = int(target.number("urban", 1, 10_080)) if target else None
        rural = int(target.number("rural", 1, 10_080)) if target else None
        grades.append(
            Grade(item.code("code"), item.text("name", limit=40), Response[response.upper()], urban, rural)
        )
    if sorted(g.response for g in grades) != sorted(Response):
        problems.add(
            "grades", "must name each response exactly once: " + ", ".join(r.name.lower() for r in Response)
        )
    unique([g.code for g in grades], "grades", problems)
    grades.sort(key=lambda g: -g.response)
    rules = []
    for item in top.items("level_rules", required=False):
        item.only("code", "at_least", "response")
        at_least = item.child("at_least")
        for factor, level in at_least.data.items():
            if factor != "any" and factor not in factors:
                problems.add(f"{at_least.path}.{factor}", "is not a factor (or 'any')")
            if level not in levels:
                problems.add(f"{at_least.path}.{factor}", f"must be one of {', '.join(levels)}")
        if not at_least.data:
            problems.add(at_least.path, "needs at least one factor: level")
        response = item.one_of("response", [r.name.lower() for r in Response])
        rules.append(LevelRule(item.code("code"), dict(at_least.data), Response[response.upper()]))
    unique([r.code for r in rules], "level_rules", problems)
    da = top.child("domestic_abuse")
    da.only("categories", "qualifiers")
    return {
        "grades": tuple(grades),
        "level_rules": tuple(rules),
        "resolution_when_at_most": top.one_of("resolution_when_at_most", levels or ("none",)),
        "da_categories": da.codes("categories", list(categories.categories)),
        "da_qualifiers": da.codes("qualifiers", list(categories.qualifiers)),
        **parse_first_contact(top, grades, factors, levels),
    }


def _dash(top: Reader, problems: Problems) -> dict[str, Any]:
    top.only("version", "questions", "medium_at", "high_at")
    questions = []
    for item in top.items("questions"):
        item.only("id", "topic")
        questions.append(DashQuestion(item.code("id"), item.text("topic", limit=300)))
    unique([q.id for q in questions], "questions", problems)
    medium = int(top.number("medium_at", 1, 100))
    high = int(top.number("high_at", 1, 100))
    if not medium < high <= max(len(questions), 1):
        problems.add("high_at", "must be above medium_at and no more than the number of questions")
    return {"dash_questions": tuple(questions), "dash_medium_at": medium, "dash_high_at": high}


def _advice(top: Reader, categories: CategoryPolicy, problems: Problems) -> tuple[Advice, ...]:
    top.only("prompts")
    advice = []
    for item in top.items("prompts"):
        item.only("code", "text", "categories", "qualifiers")
        advice.append(
            Advice(
                item.code("code"),
                item.text("text", limit=500),
                item.codes("categories", list(categories.categories)),
                item.codes("qualifiers", list(categories.qualifiers)),
            )
        )
    unique([a.code for a in advice], "prompts", problems)
    return tuple(advice)


def _cues(
    top: Reader, categories: CategoryPolicy, sets: Mapping[str, QuestionSet], problems: Problems
) -> tuple[Cue, ...]:
    top.only("cues")
    cues = []
    for item in top.items("cues"):
        item.only("code", "label", "patterns", "qualifiers", "question_sets")
        patterns = []
        for index, text in enumerate(item.texts("patterns")):
            try:
                patterns.append(re.compile(text, re.IGNORECASE))
            except re.error as error:
                problems.add(f"{item.path}.patterns[{index}]", f"is not a valid pattern ({error})")
        cues.append(
            Cue(
                item.code("code"),
                item.text("label", limit=120),
                tuple(patterns),
                item.codes("qualifiers", list(categories.qualifiers)),
                item.codes("question_sets", list(sets)),
            )
        )
    unique([c.code for c in cues], "cues", problems)
    return tuple(cues)


__all__ = ["ANSWERS", "CALL_STATES", "FILES", "AssessmentPolicy", "parse_assessment_policy"]
