"""The assessment policy: the bundled files load, and a typo in any file is refused by name."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from thriives.domain.assessment_policy import FILES, AssessmentPolicy, parse_assessment_policy
from thriives.domain.categories import CategoryPolicy, parse_category_policy
from thriives.domain.indicators import Response
from thriives.policy.loading import PolicyError, load_assessment_policy

CATEGORIES: dict[str, Any] = {
    "version": "test-categories",
    "categories": [
        {"code": "domestic_incident", "label": "Domestic incident", "chapter": "public_safety"},
        {"code": "crime_burglary", "label": "Burglary", "chapter": "crime"},
        {"code": "missing_person", "label": "Missing person", "chapter": "public_safety"},
        {"code": "abandoned_call", "label": "Silent or abandoned call", "chapter": "public_safety"},
    ],
    "qualifiers": {"domestic": "Domestic abuse", "weapon": "Weapon", "child": "Child involved"},
    "closure_reasons": {"attended_resolved": "Attended and resolved"},
}


def small_categories() -> CategoryPolicy:
    return parse_category_policy(copy.deepcopy(CATEGORIES), source="categories.json")


def small_policy_files(*, dash_questions: int = 6, medium_at: int = 3, high_at: int = 5) -> dict[str, Any]:
    """A complete, small policy written for tests, so they do not depend on the bundled one.

    Levels none < low < medium < high; one model with threat, harm, risk and vulnerability;
    the same level rules as the demo force; DA is the ``domestic_incident`` category or the
    ``domestic`` qualifier.
    """
    factor = {"definition": "What it means.", "prompt": "What to ask."}
    return {
        "assessment.json": {
            "version": "test-1",
            "default_model": "small",
            "levels": [
                {"code": "none", "label": "None"},
                {"code": "low", "label": "Low"},
                {"code": "medium", "label": "Medium"},
                {"code": "high", "label": "High"},
            ],
            "models": [
                {
                    "code": "small",
                    "name": "Small",
                    "factors": [
                        {"code": "threat", "name": "Threat", **factor},
                        {"code": "harm", "name": "Harm", **factor},
                        {"code": "risk", "name": "Risk", **factor},
                        {"code": "vulnerability", "name": "Vulnerability", **factor},
                    ],
                }
            ],
        },
        "questions.json": {
            "sets": [
                {
                    "code": "da_questions",
                    "title": "Domestic abuse",
                    "categories": ["domestic_incident"],
                    "qualifiers": ["domestic"],
                    "questions": [
                        {
                            "id": "da_weapon",
                            "text": "Is there a weapon?",
                            "effects": [
                                {"when": "yes", "indicators": ["weapon"], "raise": {"threat": "high"}}
                            ],
                        },
                        {
                            "id": "da_children",
                            "text": "Are children present?",
                            "effects": [
                                {
                                    "when": "yes",
                                    "indicators": ["children_present"],
                                    "raise": {"vulnerability": "medium"},
                                }
                            ],
                        },
                    ],
                },
                {
                    "code": "missing",
                    "title": "Missing person",
                    "categories": ["missing_person"],
                    "questions": [
                        {
                            "id": "mp_age",
                            "text": "Under 18?",
                            "answers": ["yes", "no"],
                            "effects": [{"when": "yes", "raise": {"vulnerability": "high"}}],
                        }
                    ],
                },
            ],
        },
        "grading.json": {
            "grades": [
                {
                    "code": "emergency",
                    "name": "Emergency",
                    "response": "emergency",
                    "target_minutes": {"urban": 15, "rural": 20},
                },
                {
                    "code": "priority",
                    "name": "Priority",
                    "response": "priority",
                    "target_minutes": {"urban": 60, "rural": 60},
                },
                {
                    "code": "scheduled",
                    "name": "Scheduled",
                    "response": "scheduled",
                    "target_minutes": {"urban": 1440, "rural": 1440},
                },
                {
                    "code": "resolution",
                    "name": "Resolution",
                    "response": "resolution",
                    "target_minutes": None,
                },
            ],
            "level_rules": [
                {
                    "code": "threat_and_harm_high",
                    "at_least": {"threat": "high", "harm": "high"},
                    "response": "emergency",
                },
                {"code": "risk_high", "at_least": {"risk": "high"}, "response": "emergency"},
                {"code": "any_factor_high", "at_least": {"any": "high"}, "response": "priority"},
                {
                    "code": "vulnerability_medium",
                    "at_least": {"vulnerability": "medium"},
                    "response": "priority",
                },
            ],
            "resolution_when_at_most": "low",
            "domestic_abuse": {"categories": ["domestic_incident"], "qualifiers": ["domestic"]},
        },
        "dash.json": {
            "version": "test-dash",
            "questions": [{"id": f"q{n}", "topic": f"Topic {n}"} for n in range(1, dash_questions + 1)],
            "medium_at": medium_at,
            "high_at": high_at,
        },
        "advice.json": {
            "prompts": [
                {
                    "code": "da_safety",
                    "text": "Give safety advice.",
                    "categories": ["domestic_incident"],
                    "qualifiers": ["domestic"],
                }
            ],
        },
        "cues.json": {
            "cues": [
                {
                    "code": "domestic",
                    "label": "Sounds like domestic abuse",
                    "patterns": [r"\bex[- ]?(boy|girl)friend\b"],
                    "qualifiers": ["domestic"],
                    "question_sets": ["da_questions"],
                }
            ],
        },
    }


def small_policy(**dash: int) -> AssessmentPolicy:
    return parse_assessment_policy(small_policy_files(**dash), small_categories())


def write_policy(folder: Path, files: dict[str, Any]) -> None:
    (folder / "categories.json").write_text(json.dumps(CATEGORIES, indent=2))
    for name, data in files.items():
        (folder / name).write_text(json.dumps(data, indent=2))


# --- the bundled policy -------------------------------------------------------------------


def test_the_bundled_policy_loads() -> None:
    policy = load_assessment_policy()
    assert policy.default_model in policy.models
    assert {"thriives", "thrive"} <= set(policy.models)
    assert [g.response for g in policy.grades] == sorted(Response, reverse=True)
    assert policy.dash_high_at == 14
    assert policy.dash_medium_at == 10
    assert policy.question_sets
    assert policy.cues
    assert policy.advice


def test_the_small_test_policy_is_itself_valid() -> None:
    policy = small_policy()
    assert policy.version == "test-1"
    assert policy.grade_for(Response.PRIORITY).code == "priority"
    assert set(policy.questions) == {"da_weapon", "da_children", "mp_age"}


# --- a typo in any file is refused, naming file, path and problem --------------------------


def _set(path: list[Any], value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(files: dict[str, Any]) -> None:
        target = files
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return mutate


def _drop_grade(code: str) -> Callable[[dict[str, Any]], None]:
    def mutate(files: dict[str, Any]) -> None:
        grading = files["grading.json"]
        grading["grades"] = [g for g in grading["grades"] if g["code"] != code]

    return mutate


EFFECT = ["questions.json", "sets", 0, "questions", 0, "effects", 0]

TYPOS = [
    # (mutation, the message line expected)
    (_set(["assessment.json", "verison"], "x"), "assessment.json: verison: unknown key"),
    (_set(["assessment.json", "levels", 2, "code"], "low"), "assessment.json: levels: 'low' is listed twice"),
    (
        _set(["assessment.json", "models", 0, "factors", 1, "definition"], ""),
        "assessment.json: models[0].factors[1].definition: must be a non-empty string",
    ),
    (
        _set(["assessment.json", "default_model"], "thriives"),
        "assessment.json: default_model: must be one of small",
    ),
    (
        _set([*EFFECT, "raise"], {"threats": "high"}),
        "questions.json: sets[0].questions[0].effects[0].raise.threats: is not a factor of any model",
    ),
    (
        _set([*EFFECT, "raise"], {"threat": "severe"}),
        "questions.json: sets[0].questions[0].effects[0].raise.threat: must be one of",
    ),
    (
        _set([*EFFECT, "indicators"], ["wepon"]),
        "questions.json: sets[0].questions[0].effects[0].indicators[0]: 'wepon' is not known here",
    ),
    (
        _set([*EFFECT, "when"], "maybe"),
        "questions.json: sets[0].questions[0].effects[0].when: must be one of yes, no, unknown",
    ),
    (
        _set(["questions.json", "sets", 1, "categories"], ["missing_persons"]),
        "questions.json: sets[1].categories[0]: 'missing_persons' is not known here",
    ),
    (
        _set(["questions.json", "sets", 1, "questions", 0, "id"], "da_weapon"),
        "questions.json: sets[].questions[].id: 'da_weapon' is listed twice",
    ),
    (_set(["questions.json", "set"], []), "questions.json: set: unknown key"),
    (_drop_grade("resolution"), "grading.json: grades: must name each response exactly once"),
    (
        _set(["grading.json", "grades", 1, "response"], "urgent"),
        "grading.json: grades[1].response: must be one of",
    ),
    (
        _set(["grading.json", "level_rules", 1, "at_least"], {"riks": "high"}),
        "grading.json: level_rules[1].at_least.riks: is not a factor",
    ),
    (
        _set(["grading.json", "level_rules", 1, "at_least"], {"risk": "hi"}),
        "grading.json: level_rules[1].at_least.risk: must be one of none, low, medium, high",
    ),
    (
        _set(["grading.json", "resolution_when_at_most"], "lowish"),
        "grading.json: resolution_when_at_most: must be one of none, low, medium, high",
    ),
    (
        _set(["grading.json", "domestic_abuse", "qualifiers"], ["domestc"]),
        "grading.json: domestic_abuse.qualifiers[0]: 'domestc' is not known here",
    ),
    (_set(["dash.json", "high_at"], 3), "dash.json: high_at: must be above medium_at"),
    (_set(["dash.json", "high_at"], 2), "dash.json: high_at: must be above medium_at"),
    (
        _set(["dash.json", "high_at"], 7),
        "dash.json: high_at: must be above medium_at and no more than the number of questions",
    ),
    (_set(["dash.json", "questions", 1, "id"], "q1"), "dash.json: questions: 'q1' is listed twice"),
    (
        _set(["advice.json", "prompts", 0, "categories"], ["domestic"]),
        "advice.json: prompts[0].categories[0]: 'domestic' is not known here",
    ),
    (
        _set(["cues.json", "cues", 0, "patterns"], ["(unclosed"]),
        "cues.json: cues[0].patterns[0]: is not a valid pattern",
    ),
    (
        _set(["cues.json", "cues", 0, "question_sets"], ["da"]),
        "cues.json: cues[0].question_sets[0]: 'da' is not known here",
    ),
    (_set(["cues.json", "colour"], "red"), "cues.json: colour: unknown key"),
    (_set(["advice.json"], None), "advice.json: (top): must be a JSON object"),
]


@pytest.mark.parametrize(("mutate", "expected"), TYPOS, ids=[":".join(e.split(":")[:2]) for _, e in TYPOS])
def test_a_typo_is_refused_naming_the_file_the_path_and_the_problem(
    mutate: Callable[[dict[str, Any]], None], expected: str
) -> None:
    files = small_policy_files()
    mutate(files)
    with pytest.raises(ValueError) as refused:
        parse_assessment_policy(files, small_categories())
    lines = str(refused.value).splitlines()
    assert any(line.startswith(expected) for line in lines), lines


def test_every_problem_in_every_file_is_named_in_one_pass() -> None:
    files = small_policy_files()
    files["questions.json"]["sets"][0]["questions"][0]["effects"][0]["indicators"] = ["wepon"]
    files["cues.json"]["cues"][0]["patterns"] = ["[a-"]
    files["dash.json"]["medium_at"] = 9
    with pytest.raises(ValueError) as refused:
        parse_assessment_policy(files, small_categories())
    sources = {line.split(":")[0] for line in str(refused.value).splitlines()}
    assert sources == {"questions.json", "cues.json", "dash.json"}


def _duplicate(path: list[Any]) -> Callable[[dict[str, Any]], None]:
    def mutate(files: dict[str, Any]) -> None:
        items = files
        for key in path:
            items = items[key]
        twin = copy.deepcopy(items[-1])
        twin["code"] = items[0]["code"]
        if "questions" in twin:  # keep question ids unique so only the set code repeats
            for question in twin["questions"]:
                question["id"] += "_twin"
        items[-1] = twin

    return mutate


# A duplicate grade code would make policy.grade(code) return the wrong grade; a duplicate
# set code would silently replace the earlier set and drop its questions.
@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (["grading.json", "grades"], "grading.json: grades"),
        (["questions.json", "sets"], "questions.json: sets"),
        (["grading.json", "level_rules"], "grading.json: level_rules"),
        (["cues.json", "cues"], "cues.json: cues"),
    ],
)
def test_a_code_listed_twice_is_refused(path: list[Any], expected: str) -> None:
    files = small_policy_files()
    if path[-1] == "cues":
        files["cues.json"]["cues"].append(copy.deepcopy(files["cues.json"]["cues"][0]))
    else:
        _duplicate(path)(files)
    with pytest.raises(ValueError) as refused:
        parse_assessment_policy(files, small_categories())
    assert any(
        line.startswith(expected) and "listed twice" in line for line in str(refused.value).splitlines()
    )


# --- loading from disk --------------------------------------------------------------------


def test_a_policy_directory_loads_from_disk(tmp_path: Path) -> None:
    write_policy(tmp_path, small_policy_files())
    assert load_assessment_policy(tmp_path).version == "test-1"


@pytest.mark.parametrize("name", FILES)
def test_a_malformed_json_file_is_refused_naming_the_file_and_the_line(tmp_path: Path, name: str) -> None:
    write_policy(tmp_path, small_policy_files())
    (tmp_path / name).write_text('{\n  "version": "x",\n  "oops": [1,,2]\n}\n')
    with pytest.raises(PolicyError) as refused:
        load_assessment_policy(tmp_path)
    assert f"{name}: line 3: not valid JSON" in str(refused.value)


def test_a_missing_policy_file_is_refused_by_name(tmp_path: Path) -> None:
    write_policy(tmp_path, small_policy_files())
    (tmp_path / "cues.json").unlink()
    with pytest.raises(PolicyError) as refused:
        load_assessment_policy(tmp_path)
    assert "cues.json: file not found" in str(refused.value)


def test_a_policy_with_a_typo_on_disk_is_refused_with_file_and_path(tmp_path: Path) -> None:
    files = small_policy_files()
    files["grading.json"]["level_rules"][0]["at_least"] = {"treat": "high"}
    write_policy(tmp_path, files)
    with pytest.raises(PolicyError) as refused:
        load_assessment_policy(tmp_path)
    assert "grading.json: level_rules[0].at_least.treat: is not a factor" in str(refused.value)
