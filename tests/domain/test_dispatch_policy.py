"""The dispatch policy: the bundled file loads, and a mistake anywhere is refused by file and path.

``small_dispatch_files`` is a complete dispatch policy written for tests against the small
assessment and category policies, so the dispatch, clock, reassessment and appointment
tests pin the rules in code, not the bundled figures.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import time
from pathlib import Path
from typing import Any

import pytest

from tests.domain.test_assessment_policy import small_categories, small_policy
from thriives.domain.dispatch_policy import DispatchPolicy, parse_dispatch_policy
from thriives.policy.loading import (
    PolicyError,
    load_assessment_policy,
    load_category_policy,
    load_dispatch_policy,
)

DISPATCH: dict[str, Any] = {
    "version": "test-dispatch-1",
    "clock": {"from": "call", "unknown_area": "urban", "reassess_at_share": 0.75},
    "reassessment": {
        "escalate_after_minutes": 10,
        "escalate_every_minutes": 15,
        "mandatory_for_domestic_abuse": True,
        "mandatory_when_vulnerability_at_least": "medium",
        "default_review_minutes": 30,
        "longest_review_minutes": 1440,
        "contact_outcomes": [
            {"code": "spoke_to_victim", "label": "Spoke to the victim", "reached": True},
            {"code": "no_answer", "label": "No answer", "reached": False},
        ],
        "safeguarding_actions": [
            {"code": "advice", "label": "Safety advice given"},
            {"code": "welfare_check", "label": "Welfare check arranged"},
            {"code": "no_action_needed", "label": "No further action needed"},
        ],
    },
    "resources": {
        "unit_types": [
            {"code": "response", "label": "Response"},
            {"code": "armed", "label": "Armed response"},
        ],
        "specialist_types": ["armed"],
        "skills": [
            {"code": "firearms", "label": "Firearms"},
            {"code": "taser", "label": "Taser"},
            {"code": "da_trained", "label": "Domestic-abuse trained"},
        ],
        "speed_kmh": {"urban": 30, "rural": 60},
        "recommend": 3,
        "position_max_age_minutes": 20,
        "backup_most_units": 6,
        "needs": [
            {
                "code": "domestic_abuse",
                "categories": ["domestic_incident"],
                "qualifiers": ["domestic"],
                "skills": ["da_trained"],
                "required": False,
            },
            {"code": "firearm", "indicators": ["firearm"], "skills": ["firearms"], "required": True},
            {
                "code": "weapon",
                "qualifiers": ["weapon"],
                "indicators": ["weapon"],
                "skills": ["taser", "firearms"],
                "required": False,
            },
        ],
    },
    "grading_clock": {
        "target_minutes": {"999": 5, "101": 30, "online": 60, "other": 30},
        "escalate_every_minutes": 10,
        "queue_with_cues_after": "emergency",
        "queue_without_cues_after": "priority",
    },
    "follow_up": {
        "grades": ["resolution"],
        "due_minutes": 1440,
        "escalate_every_minutes": 60,
        "outcomes": [
            {"code": "called_back", "label": "Called back"},
            {"code": "referred", "label": "Referred to another agency", "needs_agency": True},
            {"code": "no_contact", "label": "No contact after trying"},
        ],
    },
    "appointments": {
        "grades": ["scheduled"],
        "slot_minutes": 60,
        "shifts": [
            {"code": "early", "start": "07:00", "end": "15:00"},
            {"code": "night", "start": "23:00", "end": "07:00"},
        ],
        "missed_after_minutes": 30,
        "domestic_abuse_highest_risk": "low",
        "domestic_abuse_highest_dash": "standard",
    },
}


def small_dispatch_files() -> dict[str, Any]:
    return copy.deepcopy(DISPATCH)


def small_dispatch_policy() -> DispatchPolicy:
    return parse_dispatch_policy(small_dispatch_files(), small_policy(), small_categories())


def problems_of(data: Any) -> list[str]:
    with pytest.raises(ValueError) as refused:
        parse_dispatch_policy(data, small_policy(), small_categories())
    return str(refused.value).splitlines()


# --- what loads --------------------------------------------------------------------------


def test_the_bundled_dispatch_policy_loads() -> None:
    categories = load_category_policy()
    assessment = load_assessment_policy(None, categories)
    policy = load_dispatch_policy(None, assessment, categories)
    assert policy.clock_from in ("call", "graded")
    assert 0 < policy.reassess_at_share <= 1
    assert policy.contact_outcomes and policy.safeguarding_actions and policy.shifts
    assert set(policy.speed_kmh) == {"urban", "rural"}
    assert all(g in {x.code for x in assessment.grades} for g in policy.appointment_grades)


def test_the_small_test_policy_reads_every_field() -> None:
    policy = small_dispatch_policy()
    assert policy.version == "test-dispatch-1"
    assert (policy.clock_from, policy.unknown_area, policy.reassess_at_share) == ("call", "urban", 0.75)
    assert (policy.escalate_after_minutes, policy.escalate_every_minutes) == (10, 15)
    assert policy.mandatory_for_domestic_abuse and policy.mandatory_vulnerability == "medium"
    assert (policy.default_review_minutes, policy.longest_review_minutes) == (30, 1440)
    assert policy.contact_outcomes["spoke_to_victim"].reached
    assert not policy.contact_outcomes["no_answer"].reached
    assert list(policy.safeguarding_actions) == ["advice", "welfare_check", "no_action_needed"]
    assert policy.speed_kmh == {"urban": 30.0, "rural": 60.0}
    assert policy.recommend == 3
    assert (policy.position_max_age_minutes, policy.backup_most_units) == (20, 6)
    assert set(policy.unit_types) == {"response", "armed"}
    assert policy.specialist_types == frozenset({"armed"})
    firearm = next(n for n in policy.needs if n.code == "firearm")
    assert firearm.required and firearm.skills == ("firearms",)
    assert firearm.indicators == frozenset({"firearm"}) and not firearm.categories
    assert policy.shifts["night"].start == time(23, 0) and policy.shifts["night"].end == time(7, 0)
    assert (policy.da_highest_risk, policy.da_highest_dash) == ("low", "standard")
    assert policy.grading.target_minutes == {"999": 5, "101": 30, "online": 60, "other": 30}
    assert (policy.grading.with_cues_after, policy.grading.without_cues_after) == ("emergency", "priority")
    assert policy.follow_up.grades == ("resolution",) and policy.follow_up.due_minutes == 1440
    assert policy.follow_up.outcomes["referred"].needs_agency
    assert not policy.follow_up.outcomes["called_back"].needs_agency


def test_a_need_applies_on_its_category_a_qualifier_or_an_indicator() -> None:
    weapon = next(n for n in small_dispatch_policy().needs if n.code == "weapon")
    assert weapon.applies("crime_burglary", frozenset({"weapon"}), frozenset())
    assert weapon.applies("crime_burglary", frozenset(), frozenset({"weapon", "violence"}))
    assert not weapon.applies("crime_burglary", frozenset({"domestic"}), frozenset({"violence"}))
    da = next(n for n in small_dispatch_policy().needs if n.code == "domestic_abuse")
    assert da.applies("domestic_incident", frozenset(), frozenset())


def test_no_vulnerability_floor_means_none_is_mandatory_by_vulnerability() -> None:
    files = small_dispatch_files()
    files["reassessment"]["mandatory_when_vulnerability_at_least"] = None
    policy = parse_dispatch_policy(files, small_policy(), small_categories())
    assert policy.mandatory_vulnerability is None


# --- every mistake is refused, naming file, path and problem -------------------------------


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


RE = ["reassessment"]
NEED = ["resources", "needs", 0]
SHIFT = ["appointments", "shifts", 0]

MISTAKES = [
    # unknown keys, at the top and inside
    (_set(["verison"], "x"), "dispatch.json: verison: unknown key"),
    (_set(["clock", "form"], "call"), "dispatch.json: clock.form: unknown key"),
    (
        _set([*RE, "escalate_evry_minutes"], 5),
        "dispatch.json: reassessment.escalate_evry_minutes: unknown key",
    ),
    (_set([*NEED, "requried"], True), "dispatch.json: resources.needs[0].requried: unknown key"),
    (_set([*SHIFT, "finish"], "15:00"), "dispatch.json: appointments.shifts[0].finish: unknown key"),
    (
        _set(["resources", "speed_kmh", "suburban"], 40),
        "dispatch.json: resources.speed_kmh.suburban: unknown key",
    ),
    (
        _set(["grading_clock", "target_minutes", "112"], 5),
        "dispatch.json: grading_clock.target_minutes.112: unknown key",
    ),
    (
        _drop(["grading_clock", "target_minutes", "999"]),
        "dispatch.json: grading_clock.target_minutes.999: must be a number from 1 to 1440",
    ),
    (
        _set(["grading_clock", "queue_with_cues_after"], "urgent"),
        "dispatch.json: grading_clock.queue_with_cues_after: must be one of",
    ),
    (_set(["follow_up", "grades"], ["soon"]), "dispatch.json: follow_up.grades[0]: 'soon' is not known here"),
    (_set(["follow_up", "due_minutes"], 0), "dispatch.json: follow_up.due_minutes: must be a number from 1"),
    (
        _set(["follow_up", "outcomes", 1, "code"], "called_back"),
        "dispatch.json: follow_up.outcomes: 'called_back' is listed twice",
    ),
    (
        _set(["resources", "position_max_age_minutes"], 0),
        "dispatch.json: resources.position_max_age_minutes: must be a number from 1 to 1440",
    ),
    (
        _set(["resources", "backup_most_units"], "three"),
        "dispatch.json: resources.backup_most_units: must be a number from 1 to 50",
    ),
    # bad codes
    (_set(["clock", "from"], "answered"), "dispatch.json: clock.from: must be one of call, graded"),
    (
        _set(["clock", "unknown_area"], "city"),
        "dispatch.json: clock.unknown_area: must be one of urban, rural",
    ),
    (
        _set([*NEED, "skills"], ["da_trainde"]),
        "dispatch.json: resources.needs[0].skills[0]: 'da_trainde' is not known",
    ),
    (
        _set([*NEED, "categories"], ["domestic_incidnet"]),
        "dispatch.json: resources.needs[0].categories[0]: 'domestic_incidnet' is not known",
    ),
    (
        _set([*NEED, "qualifiers"], ["domestc"]),
        "dispatch.json: resources.needs[0].qualifiers[0]: 'domestc' is not known",
    ),
    (
        _set(["resources", "needs", 1, "indicators"], ["firearms"]),
        "dispatch.json: resources.needs[1].indicators[0]: 'firearms' is not known",
    ),
    (
        _set(["resources", "needs", 2, "code"], "firearm"),
        "dispatch.json: resources.needs: 'firearm' is listed twice",
    ),
    (
        _set(["resources", "specialist_types"], ["dogs"]),
        "dispatch.json: resources.specialist_types[0]: 'dogs' is not known",
    ),
    (
        _set([*NEED, "skills"], []),
        "dispatch.json: resources.needs[0].skills: must be a non-empty list of codes",
    ),
    (
        _set(["resources", "needs", 1, "indicators"], []),
        "dispatch.json: resources.needs[1]: needs at least one category, qualifier or indicator",
    ),
    (
        _set(["resources", "skills", 1, "code"], "Taser"),
        "dispatch.json: resources.skills[1].code: must be a code",
    ),
    (
        _set(["resources", "skills", 1, "code"], "firearms"),
        "dispatch.json: resources.skills: 'firearms' is listed twice",
    ),
    (
        _set([*RE, "contact_outcomes", 1, "code"], "spoke_to_victim"),
        "dispatch.json: reassessment.contact_outcomes: 'spoke_to_victim' is listed twice",
    ),
    (
        _set([*RE, "mandatory_when_vulnerability_at_least"], "severe"),
        "dispatch.json: reassessment.mandatory_when_vulnerability_at_least: must be null or one of none",
    ),
    (
        _set(["appointments", "grades"], ["routine"]),
        "dispatch.json: appointments.grades[0]: 'routine' is not known",
    ),
    (
        _set(["appointments", "domestic_abuse_highest_risk"], "lowish"),
        "dispatch.json: appointments.domestic_abuse_highest_risk: must be one of none, low, medium, high",
    ),
    (
        _set(["appointments", "domestic_abuse_highest_dash"], "low"),
        "dispatch.json: appointments.domestic_abuse_highest_dash: must be one of standard, medium, high",
    ),
    # bad times
    (
        _set([*SHIFT, "start"], "7:00"),
        "dispatch.json: appointments.shifts[0].start: must be a local time HH:MM",
    ),
    (_set([*SHIFT, "end"], "24:00"), "dispatch.json: appointments.shifts[0].end: must be a local time HH:MM"),
    (
        _set([*SHIFT, "start"], "07:60"),
        "dispatch.json: appointments.shifts[0].start: must be a local time HH:MM",
    ),
    (_set([*SHIFT, "start"], 700), "dispatch.json: appointments.shifts[0].start: must be a local time HH:MM"),
    (
        _set([*SHIFT, "end"], "07:00"),
        "dispatch.json: appointments.shifts[0]: a shift cannot start and end at the same time",
    ),
    (
        _set(["appointments", "shifts", 1, "code"], "early"),
        "dispatch.json: appointments.shifts: 'early' is listed twice",
    ),
    # numbers and flags
    (
        _set(["clock", "reassess_at_share"], 0),
        "dispatch.json: clock.reassess_at_share: must be a number from 0.05 to 1",
    ),
    (
        _set(["clock", "reassess_at_share"], 1.5),
        "dispatch.json: clock.reassess_at_share: must be a number from 0.05 to 1",
    ),
    (
        _set([*RE, "escalate_after_minutes"], True),
        "dispatch.json: reassessment.escalate_after_minutes: must be a number",
    ),
    (
        _set([*RE, "mandatory_for_domestic_abuse"], "yes"),
        "dispatch.json: reassessment.mandatory_for_domestic_abuse: must be true or false",
    ),
    (
        _set([*RE, "default_review_minutes"], 2000),
        "dispatch.json: reassessment.default_review_minutes: must not be above longest_review_minutes",
    ),
    (
        _set(["resources", "speed_kmh", "rural"], 0),
        "dispatch.json: resources.speed_kmh.rural: must be a number from 1 to 200",
    ),
    (
        _drop(["resources", "speed_kmh", "urban"]),
        "dispatch.json: resources.speed_kmh.urban: must be a number",
    ),
    (
        _set(["resources", "recommend"], 0),
        "dispatch.json: resources.recommend: must be a number from 1 to 50",
    ),
    (_drop(["version"]), "dispatch.json: version: must be a non-empty string"),
    (_set(["clock"], []), "dispatch.json: clock: must be a JSON object"),
    (
        _set([*RE, "contact_outcomes"], []),
        "dispatch.json: reassessment.contact_outcomes: must be a non-empty list",
    ),
]


@pytest.mark.parametrize(("mutate", "expected"), MISTAKES, ids=[m[1].split(": ")[1] for m in MISTAKES])
def test_a_mistake_is_refused_naming_file_path_and_problem(
    mutate: Callable[[dict[str, Any]], None], expected: str
) -> None:
    data = small_dispatch_files()
    mutate(data)
    lines = problems_of(data)
    assert any(line.startswith(expected) for line in lines), lines


def test_every_mistake_is_named_in_one_pass() -> None:
    data = small_dispatch_files()
    data["clock"]["from"] = "answered"
    data["appointments"]["shifts"][0]["start"] = "25:00"
    data["resources"]["needs"][0]["skills"] = ["da_trainde"]
    lines = problems_of(data)
    assert all(line.startswith("dispatch.json: ") for line in lines)
    paths = {line.split(": ")[1] for line in lines}
    assert {"clock.from", "appointments.shifts[0].start", "resources.needs[0].skills[0]"} <= paths


def test_a_policy_that_is_not_an_object_is_refused() -> None:
    assert problems_of([])[0].startswith("dispatch.json: (top): must be a JSON object")


# --- loading from disk names the file ------------------------------------------------------


def _folder_with(tmp_path: Path, text: str | None) -> Path:
    if text is not None:
        (tmp_path / "dispatch.json").write_text(text, encoding="utf-8")
    return tmp_path


def test_loading_a_bad_file_names_the_file_and_the_path(tmp_path: Path) -> None:
    data = small_dispatch_files()
    data["clock"]["from"] = "answered"
    folder = _folder_with(tmp_path, json.dumps(data))
    with pytest.raises(PolicyError) as refused:
        load_dispatch_policy(folder, small_policy(), small_categories())
    assert str(refused.value).startswith(
        f"{folder / 'dispatch.json'}: clock.from: must be one of call, graded"
    )


def test_loading_a_file_that_is_not_json_names_the_file_and_line(tmp_path: Path) -> None:
    folder = _folder_with(tmp_path, '{\n  "version": "x",\n  oops\n}')
    with pytest.raises(PolicyError) as refused:
        load_dispatch_policy(folder, small_policy(), small_categories())
    assert str(refused.value).startswith(f"{folder / 'dispatch.json'}: line 3: not valid JSON")


def test_loading_a_missing_file_names_it(tmp_path: Path) -> None:
    with pytest.raises(PolicyError) as refused:
        load_dispatch_policy(_folder_with(tmp_path, None), small_policy(), small_categories())
    assert str(refused.value) == f"{tmp_path / 'dispatch.json'}: file not found"


def test_a_good_file_on_disk_loads(tmp_path: Path) -> None:
    folder = _folder_with(tmp_path, json.dumps(small_dispatch_files()))
    assert load_dispatch_policy(folder, small_policy(), small_categories()) == small_dispatch_policy()
