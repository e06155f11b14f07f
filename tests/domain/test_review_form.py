"""The supervision policy and its review form: the bundled file loads, every mistake is refused
by path, and a review is checked item by item (each fault named) and scored."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import time
from typing import Any

import pytest

from thriives.domain.errors import DomainError
from thriives.domain.review_form import (
    Answer,
    ReviewForm,
    parse_supervision_policy,
    score_review,
)
from thriives.policy.loading import (
    default_policy_dir,
    load_assessment_policy,
    load_category_policy,
    load_supervision_policy,
)

LEVELS = ("none", "low", "medium", "high")
FACTORS = ("threat", "harm")
CATEGORIES = ("crime_theft", "domestic_incident")
GRADES = ("emergency", "priority", "scheduled")


def bundled_data() -> dict[str, Any]:
    return json.loads((default_policy_dir() / "supervision.json").read_text(encoding="utf-8"))


# A small form written for tests, so the scoring arithmetic is pinned here, not by the bundled file.
SMALL: dict[str, Any] = {
    "version": "test-supervision-1",
    "form": {
        "version": "test-form-1",
        "points": {"yes": 1, "partly": 0.5, "no": 0},
        "items": [
            {
                "code": "applied",
                "kind": "per_factor",
                "label": "Each factor rated with a rationale",
                "options": ["yes", "partly", "no"],
                "weight": 2,
            },
            {
                "code": "category",
                "kind": "choice",
                "label": "Category correct",
                "options": ["yes", "no"],
                "correction": "category",
                "weight": 1,
            },
            {
                "code": "advice",
                "kind": "choice",
                "label": "Safeguarding advice given",
                "options": ["yes", "no", "not_applicable"],
                "weight": 1,
            },
        ],
    },
    "sample": {"share": 0.05, "per_handler_per_month": 2},
    "queue": {"high_risk_at": "medium"},
    "shifts": [{"code": "days", "start": "08:00", "end": "20:00"}],
}


def small_form(**weights: float) -> ReviewForm:
    data = copy.deepcopy(SMALL)
    for item in data["form"]["items"]:
        item["weight"] = weights.get(item["code"], item["weight"])
    return parse_supervision_policy(data, LEVELS).form


def answers(**changes: Answer) -> dict[str, Answer]:
    base = {
        "applied": Answer(factors={f: ("yes", f"{f} fits what the caller said") for f in FACTORS}),
        "category": Answer("yes"),
        "advice": Answer("yes"),
    }
    return base | changes


def score(form: ReviewForm, given: dict[str, Answer], feedback: str | None = "Well handled.") -> int:
    return score_review(form, given, feedback, FACTORS, CATEGORIES, GRADES).score


def refused(
    form: ReviewForm, given: dict[str, Answer], feedback: str | None = "Well handled."
) -> DomainError:
    with pytest.raises(DomainError) as error:
        score_review(form, given, feedback, FACTORS, CATEGORIES, GRADES)
    return error.value


# ---- the policy ------------------------------------------------------------------------------


def test_the_bundled_supervision_policy_loads() -> None:
    categories = load_category_policy()
    assessment = load_assessment_policy(None, categories)
    policy = load_supervision_policy(None, assessment)
    assert policy.form.version == "review-form-1"
    assert [i.code for i in policy.form.items] == [
        "thriives_applied",
        "category_correct",
        "right_questions",
        "history_searched",
        "grade_appropriate",
        "safeguarding_advice",
        "reassessment_done",
    ]
    items = {i.code: i for i in policy.form.items}
    assert items["thriives_applied"].kind == "per_factor"
    assert (items["category_correct"].correction, items["grade_appropriate"].correction) == (
        "category",
        "grade",
    )
    assert "not_applicable" in items["safeguarding_advice"].options
    assert (policy.sample_share, policy.sample_per_handler) == (0.02, 3)
    assert policy.high_risk_at == "high" and policy.high_risk_at in assessment.levels
    assert [(s.code, s.start, s.end) for s in policy.shifts] == [
        ("early", time(7), time(15)),
        ("late", time(15), time(23)),
        ("night", time(23), time(7)),
    ]
    for item in policy.form.items:  # every option scores, but not_applicable, which is left out
        assert all(o in policy.form.points for o in item.options if o != "not_applicable")


def test_the_small_test_policy_reads_every_field() -> None:
    policy = parse_supervision_policy(copy.deepcopy(SMALL), LEVELS)
    assert (policy.version, policy.form.version) == ("test-supervision-1", "test-form-1")
    assert policy.form.points == {"yes": 1.0, "partly": 0.5, "no": 0.0}
    applied, category, advice = policy.form.items
    assert (applied.code, applied.kind, applied.weight, applied.correction) == (
        "applied",
        "per_factor",
        2,
        None,
    )
    assert (category.options, category.correction) == (("yes", "no"), "category")
    assert advice.options == ("yes", "no", "not_applicable")
    assert (policy.sample_share, policy.sample_per_handler, policy.high_risk_at) == (0.05, 2, "medium")
    assert [(s.code, s.start, s.end) for s in policy.shifts] == [("days", time(8), time(20))]


def _set(path: list[Any], value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(data: dict[str, Any]) -> None:
        target: Any = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return mutate


def _drop(path: list[Any]) -> Callable[[dict[str, Any]], None]:
    def mutate(data: dict[str, Any]) -> None:
        target: Any = data
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return mutate


def _duplicate(path: list[Any]) -> Callable[[dict[str, Any]], None]:
    def mutate(data: dict[str, Any]) -> None:
        target: Any = data
        for key in path:
            target = target[key]
        target.append(copy.deepcopy(target[0]))

    return mutate


ITEMS = ["form", "items"]
MISTAKES = [
    # unknown keys, at each level
    (_set(["verison"], "x"), "supervision.json: verison: unknown key"),
    (_set(["form", "verison"], "x"), "supervision.json: form.verison: unknown key"),
    (_set([*ITEMS, 0, "wieght"], 2), "supervision.json: form.items[0].wieght: unknown key"),
    (_set(["sample", "per_handler"], 3), "supervision.json: sample.per_handler: unknown key"),
    (_set(["queue", "high_risk"], "high"), "supervision.json: queue.high_risk: unknown key"),
    (_set(["shifts", 0, "finish"], "20:00"), "supervision.json: shifts[0].finish: unknown key"),
    # options and points
    (
        _set([*ITEMS, 2, "options"], ["yes", "maybe"]),
        "supervision.json: form.items[2].options: 'maybe' has no points",
    ),
    (_set([*ITEMS, 2, "options"], []), "supervision.json: form.items[2].options: must be a non-empty list"),
    (_set([*ITEMS, 2, "options"], ["Yes"]), "supervision.json: form.items[2].options[0]: must be a code"),
    (
        _set(["form", "points", "partly"], 1.5),
        "supervision.json: form.points.partly: must be a number from 0 to 1",
    ),
    (
        _set(["form", "points", "yes"], True),
        "supervision.json: form.points.yes: must be a number from 0 to 1",
    ),
    (_set([*ITEMS, 0, "kind"], "free_text"), "supervision.json: form.items[0].kind: must be one of choice"),
    (
        _set([*ITEMS, 0, "weight"], 101),
        "supervision.json: form.items[0].weight: must be a number from 0 to 100",
    ),
    (_drop([*ITEMS, 0, "label"]), "supervision.json: form.items[0].label: must be a non-empty string"),
    (_set([*ITEMS, 0, "code"], "Applied"), "supervision.json: form.items[0].code: must be a code"),
    (_set(ITEMS, []), "supervision.json: form.items: must be a non-empty list"),
    # corrections
    (
        _set([*ITEMS, 1, "correction"], "closure"),
        "supervision.json: form.items[1].correction: must be one of category, grade",
    ),
    (
        _set([*ITEMS, 1, "options"], ["yes", "partly"]),
        "supervision.json: form.items[1].correction: needs a 'no' option to correct",
    ),
    # duplicates
    (_duplicate(ITEMS), "supervision.json: form.items: 'applied' is listed twice"),
    (_duplicate(["shifts"]), "supervision.json: shifts: 'days' is listed twice"),
    # the sample, the queue and the shifts
    (_set(["sample", "share"], 0), "supervision.json: sample.share: must be a number from 0.0001 to 1"),
    (_set(["sample", "share"], 2), "supervision.json: sample.share: must be a number from 0.0001 to 1"),
    (
        _set(["sample", "per_handler_per_month"], -1),
        "supervision.json: sample.per_handler_per_month: must be a number from 0 to 1000",
    ),
    (_set(["queue", "high_risk_at"], "severe"), "supervision.json: queue.high_risk_at: must be one of none"),
    (_set(["shifts", 0, "start"], "25:00"), "supervision.json: shifts[0].start: must be a local time"),
    (_drop(["version"]), "supervision.json: version: must be a non-empty string"),
]


@pytest.mark.parametrize(("mutate", "expected"), MISTAKES, ids=[m[1].split(": ")[1] for m in MISTAKES])
def test_a_mistake_is_refused_naming_file_path_and_problem(
    mutate: Callable[[dict[str, Any]], None], expected: str
) -> None:
    data = copy.deepcopy(SMALL)
    mutate(data)
    with pytest.raises(ValueError) as error:
        parse_supervision_policy(data, LEVELS)
    assert any(line.startswith(expected) for line in str(error.value).splitlines()), str(error.value)


def test_every_mistake_is_reported_at_once() -> None:
    data = copy.deepcopy(SMALL)
    data["verison"] = 1
    data["form"]["items"][1]["options"] = ["yes"]
    data["queue"]["high_risk_at"] = "severe"
    with pytest.raises(ValueError) as error:
        parse_supervision_policy(data, LEVELS)
    lines = str(error.value).splitlines()
    assert [line.split(": ")[1] for line in lines] == [
        "verison",
        "form.items[1].correction",
        "queue.high_risk_at",
    ]


def test_a_broken_bundled_file_is_refused_naming_the_file(tmp_path: Any) -> None:
    data = bundled_data()
    data["form"]["items"][0]["options"].append("maybe")
    (tmp_path / "supervision.json").write_text(json.dumps(data), encoding="utf-8")
    assessment = load_assessment_policy(None, load_category_policy())
    with pytest.raises(ValueError) as error:
        load_supervision_policy(tmp_path, assessment)
    assert str(error.value).startswith(f"{tmp_path / 'supervision.json'}: form.items[0].options: 'maybe'")


# ---- scoring a review --------------------------------------------------------------------------


def test_a_review_answering_yes_throughout_scores_100_and_is_stored_as_given() -> None:
    scored = score_review(small_form(), answers(), "Well handled.", FACTORS, CATEGORIES, GRADES)
    assert scored.score == 100
    assert scored.answers == {
        "applied": {
            "factors": {
                "threat": {"rating": "yes", "rationale": "threat fits what the caller said"},
                "harm": {"rating": "yes", "rationale": "harm fits what the caller said"},
            },
            "note": None,
        },
        "category": {"value": "yes", "note": None},
        "advice": {"value": "yes", "note": None},
    }


@pytest.mark.parametrize(
    ("weights", "changes", "expected"),
    [
        # threat yes, harm no: the per-factor item earns half its weight of 2; 3 of 4
        ({}, {"applied": Answer(factors={"threat": ("yes", "fits"), "harm": ("no", "missed")})}, 75),
        ({}, {"applied": Answer(factors={"threat": ("no", "missed"), "harm": ("no", "missed")})}, 50),
        # partly is half: (0.75 * 2 + 1 + 1) / 4
        ({}, {"applied": Answer(factors={"threat": ("yes", "fits"), "harm": ("partly", "some")})}, 88),
        # a wrong category costs its weight of 1: 3 of 4
        ({}, {"category": Answer("no", correction="crime_theft")}, 75),
        # not applicable is left out of the score, not counted as earned: 3 of 3, or 2 of 3
        ({}, {"advice": Answer("not_applicable")}, 100),
        ({}, {"advice": Answer("not_applicable"), "category": Answer("no", correction="crime_theft")}, 67),
        # weights: the per-factor item weighing 5, a wrong category costs 1 of 7
        ({"applied": 5}, {"category": Answer("no", correction="crime_theft")}, 86),
        ({"applied": 0}, {"category": Answer("no", correction="crime_theft")}, 50),
        ({"applied": 0, "category": 0}, {"advice": Answer("not_applicable")}, 100),  # nothing to score
    ],
)
def test_the_score_is_the_weighted_share_of_points_over_the_items_that_apply(
    weights: dict[str, float], changes: dict[str, Answer], expected: int
) -> None:
    assert score(small_form(**weights), answers(**changes)) == expected


def test_a_correction_is_kept_when_the_answer_is_no_and_ignored_otherwise() -> None:
    form = small_form()
    wrong = score_review(
        form,
        answers(category=Answer("no", correction="domestic_incident", note="he lives there")),
        "The category was wrong.",
        FACTORS,
        CATEGORIES,
        GRADES,
    )
    assert wrong.answers["category"] == {
        "value": "no",
        "note": "he lives there",
        "correction": "domestic_incident",
    }
    right = score_review(
        form, answers(category=Answer("yes", correction="crime_theft")), "Fine.", FACTORS, CATEGORIES, GRADES
    )
    assert right.answers["category"] == {"value": "yes", "note": None}


def test_a_grade_correction_is_checked_against_the_grades() -> None:
    data = copy.deepcopy(SMALL)
    data["form"]["items"][1]["correction"] = "grade"
    form = parse_supervision_policy(data, LEVELS).form
    assert score(form, answers(category=Answer("no", correction="emergency"))) == 75
    error = refused(form, answers(category=Answer("no", correction="crime_theft")))
    assert (error.field, error.message) == ("answers.category.correction", "give the right grade")


REFUSALS = [
    # every item is required, named by its code
    (lambda a: a.pop("category"), "answers.category"),
    (lambda a: a.pop("applied"), "answers.applied"),
    # an item not on the form
    (lambda a: a.update(tone=Answer("yes")), "answers.tone"),
    # a choice outside the item's options
    (lambda a: a.update(advice=Answer("partly")), "answers.advice"),
    (lambda a: a.update(category=Answer(None)), "answers.category"),
    (lambda a: a.update(category=Answer("not_applicable")), "answers.category"),
    # a "no" needs the right category
    (lambda a: a.update(category=Answer("no")), "answers.category.correction"),
    (lambda a: a.update(category=Answer("no", correction="no_such")), "answers.category.correction"),
    # per factor: every factor, each with a rating and a rationale, and no others
    (lambda a: a.update(applied=Answer(factors={"threat": ("yes", "fits")})), "answers.applied.harm"),
    (lambda a: a.update(applied=Answer()), "answers.applied.threat"),
    (
        lambda a: a.update(applied=Answer(factors={"threat": ("yes", "fits"), "harm": ("yes", "  ")})),
        "answers.applied.harm.rationale",
    ),
    (
        lambda a: a.update(
            applied=Answer(factors={"threat": ("not_applicable", "n/a"), "harm": ("yes", "fits")})
        ),
        "answers.applied.threat",
    ),
    (
        lambda a: a.update(applied=Answer(factors={"threat": ("great", "fits"), "harm": ("yes", "fits")})),
        "answers.applied.threat",
    ),
    (
        lambda a: a.update(
            applied=Answer(factors={"threat": ("yes", "fits"), "harm": ("yes", "fits"), "risk": ("no", "x")})
        ),
        "answers.applied.risk",
    ),
    (
        lambda a: a.update(applied=Answer(factors={"threat": ("yes", "x" * 2_001), "harm": ("yes", "fits")})),
        "answers.applied.threat.rationale",
    ),
    # notes are bounded
    (lambda a: a.update(advice=Answer("yes", note="x" * 2_001)), "answers.advice.note"),
]


@pytest.mark.parametrize(("change", "field"), REFUSALS, ids=[r[1] for r in REFUSALS])
def test_a_review_with_anything_missing_or_wrong_is_refused_naming_it(
    change: Callable[[dict[str, Answer]], Any], field: str
) -> None:
    given = answers()
    change(given)
    assert refused(small_form(), given).field == field


@pytest.mark.parametrize("feedback", [None, "", "   \n"])
def test_feedback_for_the_handler_is_required(feedback: str | None) -> None:
    error = refused(small_form(), answers(), feedback)
    assert (error.field, error.message) == ("feedback", "write feedback for the call handler")


def test_feedback_is_bounded() -> None:
    assert refused(small_form(), answers(), "x" * 2_001).field == "feedback"
    assert score(small_form(), answers(), "x" * 2_000) == 100


def test_an_unknown_item_is_refused_before_anything_else() -> None:
    """A form item misspelt by a client is named, not reported as the real item missing."""
    given = answers()
    given["categroy"] = given.pop("category")
    error = refused(small_form(), given)
    assert error.field == "answers.categroy" and "test-form-1" in error.message


def test_the_bundled_form_scores_a_review_of_the_thriives_model() -> None:
    categories = load_category_policy()
    assessment = load_assessment_policy(None, categories)
    form = load_supervision_policy(None, assessment).form
    factors = [f.code for f in assessment.models["thriives"].factors]
    given = {
        "thriives_applied": Answer(factors={f: ("yes", "fits") for f in factors}),
        "category_correct": Answer("yes"),
        "right_questions": Answer("partly"),  # 0.5 of weight 2
        "history_searched": Answer("no"),  # 0 of weight 2
        "grade_appropriate": Answer("yes"),
        "safeguarding_advice": Answer("not_applicable"),  # left out
        "reassessment_done": Answer("not_applicable"),  # left out
    }
    scored = score_review(
        form,
        given,
        "Search history next time.",
        factors,
        list(categories.categories),
        [g.code for g in assessment.grades],
    )
    assert scored.score == round(100 * (3 + 1 + 1 + 0 + 2) / (3 + 1 + 2 + 2 + 2))
    assert set(scored.answers["thriives_applied"]["factors"]) == set(factors)
