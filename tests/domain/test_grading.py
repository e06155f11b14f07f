"""Grading: national definitions, domestic abuse, the force's level rules and the baseline.

The policy here is the small test policy (tests/domain/test_assessment_policy.py), so these
tests pin the rules in code, not the content of the bundled question sets.
"""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.domain.test_assessment_policy import small_categories, small_policy_files
from thriives.domain.assessment_policy import AssessmentPolicy, parse_assessment_policy
from thriives.domain.grading import Grading, GradingInput, grade
from thriives.domain.indicators import (
    CALL_STATES,
    CONTEXT_INDICATORS,
    EMERGENCY_INDICATORS,
    INDICATORS,
    PRIORITY_INDICATORS,
    Response,
)

E, P, S, R = Response.EMERGENCY, Response.PRIORITY, Response.SCHEDULED, Response.RESOLUTION
POLICY = parse_assessment_policy(small_policy_files(), small_categories())
FACTORS = ("threat", "harm", "risk", "vulnerability")
LEVELS = POLICY.levels


def facts(**changes: Any) -> GradingInput:
    """A call about a burglary on 101 with every factor at none, changed as the test says."""
    base = GradingInput(
        category="crime_burglary",
        qualifiers=frozenset(),
        channel="101",
        indicators=frozenset(),
        levels=dict.fromkeys(FACTORS, "none"),
    )
    return dataclasses.replace(base, **changes)


def rules(grading: Grading) -> set[str]:
    return {r.rule for r in grading.deciding}


# --- 1. national definitions (REFERENCE 2.1) ----------------------------------------------

NATIONAL = [
    # emergency: the incident is, or is likely to be ...
    ("danger_to_life", E),
    ("not_breathing", E),
    ("violence", E),
    ("serious_injury", E),
    ("serious_damage", E),
    # ... criminal conduct
    ("serious_crime_in_progress", E),
    ("offender_disturbed", E),
    ("offender_detained_risk", E),
    # ... road traffic collisions
    ("rtc_serious_injury", E),
    ("road_blocked", E),
    # ... or the handler's strong and objective reasons
    ("handler_belief", E),
    # priority: urgency is clear but an emergency response is not needed
    ("concern_for_safety", P),
    ("offender_detained", P),
    ("evidence_at_risk", P),
    ("rtc_injury", P),
    ("extreme_distress", P),
    ("vulnerable_person", P),
]


def test_the_table_covers_every_national_definition() -> None:
    assert {code for code, _ in NATIONAL} == set(EMERGENCY_INDICATORS) | set(PRIORITY_INDICATORS)


@pytest.mark.parametrize(("indicator", "response"), NATIONAL)
def test_each_national_definition_alone_sets_its_response(indicator: str, response: Response) -> None:
    grading = grade(facts(indicators=frozenset({indicator})), POLICY)
    assert grading.response is response
    assert grading.grade == response.name.lower()
    assert grading.deciding == (next(r for r in grading.reasons if r.rule == f"national.{indicator}"),)
    (reason,) = grading.deciding
    assert reason.fact == INDICATORS[indicator]


@pytest.mark.parametrize("indicator", sorted(CONTEXT_INDICATORS))
def test_a_context_indicator_alone_sets_no_national_floor(indicator: str) -> None:
    grading = grade(facts(indicators=frozenset({indicator})), POLICY)
    assert grading.response is R
    assert not any(r.rule.startswith("national.") for r in grading.reasons)


def test_several_national_definitions_all_give_their_reasons() -> None:
    grading = grade(facts(indicators=frozenset({"violence", "danger_to_life", "rtc_injury"})), POLICY)
    assert grading.response is E
    assert rules(grading) == {"national.violence", "national.danger_to_life"}
    assert "national.rtc_injury" in {r.rule for r in grading.reasons}


# --- 2. domestic abuse (REFERENCE 2.4, 4.1) -----------------------------------------------

DA = "domestic_incident"
DOMESTIC = frozenset({"domestic"})

DA_RULES = [
    # (what the call is, the facts, response, the rules that decide it)
    ("a DA category", dict(category=DA), E, {"da.immediate_by_default"}),
    ("a DA qualifier on another category", dict(qualifiers=DOMESTIC), E, {"da.immediate_by_default"}),
    (
        "DA the handler assessed as not immediate",
        dict(category=DA, da_not_immediate=True),
        P,
        {"da.assessed_not_immediate"},
    ),
    (
        "a DA qualifier assessed as not immediate",
        dict(qualifiers=DOMESTIC, da_not_immediate=True),
        P,
        {"da.assessed_not_immediate"},
    ),
    (
        "DA cut off",
        dict(category=DA, call_states=frozenset({"cut_off"})),
        E,
        {"da.call_cut_off", "da.immediate_by_default"},
    ),
    (
        "DA cut off after being assessed not immediate",
        dict(category=DA, da_not_immediate=True, call_states=frozenset({"cut_off"})),
        E,
        {"da.call_cut_off"},
    ),
    (
        "a silent 999 call from a DA-linked number",
        dict(channel="999", call_states=frozenset({"silent"}), phone_linked_to_da=True),
        E,
        {"da.silent_call_from_linked_number"},
    ),
    (
        "an abandoned 999 call from a DA-linked number",
        dict(
            category="abandoned_call",
            channel="999",
            call_states=frozenset({"abandoned"}),
            phone_linked_to_da=True,
        ),
        E,
        {"da.silent_call_from_linked_number"},
    ),
    (
        "a silent 101 call from a DA-linked number",
        dict(channel="101", call_states=frozenset({"silent"}), phone_linked_to_da=True),
        R,
        {"baseline.low"},
    ),
    (
        "a silent 999 call from a number with no DA link",
        dict(channel="999", call_states=frozenset({"silent"})),
        R,
        {"baseline.low"},
    ),
    (
        "a 999 call cut off, not DA",
        dict(channel="999", call_states=frozenset({"cut_off"})),
        R,
        {"baseline.low"},
    ),
    ("not DA, with the not-immediate flag set", dict(da_not_immediate=True), R, {"baseline.low"}),
]


@pytest.mark.parametrize(
    ("call", "changes", "response", "deciding"), DA_RULES, ids=[row[0] for row in DA_RULES]
)
def test_domestic_abuse_rules(
    call: str, changes: dict[str, Any], response: Response, deciding: set[str]
) -> None:
    grading = grade(facts(**changes), POLICY)
    assert grading.response is response, call
    assert rules(grading) == deciding


def test_a_silent_call_reason_names_the_call_state_and_the_channel() -> None:
    grading = grade(
        facts(channel="999", call_states=frozenset({"silent", "abandoned"}), phone_linked_to_da=True), POLICY
    )
    (reason,) = grading.deciding
    assert reason.fact.startswith("abandoned/silent 999 call")
    assert "domestic abuse" in reason.fact


def test_a_domestic_abuse_reason_says_why_in_words() -> None:
    grading = grade(facts(category=DA, call_states=frozenset({"cut_off"})), POLICY)
    facts_by_rule = {r.rule: r.fact for r in grading.reasons}
    assert "cut off" in facts_by_rule["da.call_cut_off"]
    assert "unless risk indicators say otherwise" in facts_by_rule["da.immediate_by_default"]


def test_an_emergency_national_definition_outranks_a_da_assessed_not_immediate() -> None:
    grading = grade(facts(category=DA, da_not_immediate=True, indicators=frozenset({"violence"})), POLICY)
    assert grading.response is E
    assert rules(grading) == {"national.violence"}


# --- 3. the force's level rules, and 4. the baseline --------------------------------------

LEVEL_RULES = [
    # (levels above none, response, deciding rules, a fact fragment of the first deciding rule)
    ({"risk": "high"}, E, {"level.risk_high"}, "risk high (at least high)"),
    (
        {"threat": "high", "harm": "high"},
        E,
        {"level.threat_and_harm_high"},
        "threat high (at least high); harm high (at least high)",
    ),
    ({"threat": "high"}, P, {"level.any_factor_high"}, "a factor at high or above"),
    (
        {"vulnerability": "medium"},
        P,
        {"level.vulnerability_medium"},
        "vulnerability medium (at least medium)",
    ),
    (
        {"vulnerability": "high"},
        P,
        {"level.any_factor_high", "level.vulnerability_medium"},
        "a factor at high or above",
    ),
    ({"threat": "medium"}, S, {"baseline.some_risk"}, "a factor above low"),
    (
        {"threat": "medium", "harm": "medium", "risk": "medium"},
        S,
        {"baseline.some_risk"},
        "a factor above low",
    ),
    (
        {"threat": "low", "harm": "low", "risk": "low", "vulnerability": "low"},
        R,
        {"baseline.low"},
        "every factor at low or below",
    ),
    ({}, R, {"baseline.low"}, "every factor at low or below"),
]


@pytest.mark.parametrize(("levels", "response", "deciding", "fact"), LEVEL_RULES)
def test_level_rules_and_the_baseline(
    levels: dict[str, str], response: Response, deciding: set[str], fact: str
) -> None:
    grading = grade(facts(levels=dict.fromkeys(FACTORS, "none") | levels), POLICY)
    assert grading.response is response
    assert rules(grading) == deciding
    assert grading.deciding[0].fact == fact


def test_no_factor_rated_at_all_is_the_baseline_resolution() -> None:
    assert grade(facts(levels={}), POLICY).response is R


def test_level_rules_are_read_from_the_policy() -> None:
    files = small_policy_files()
    files["grading.json"]["level_rules"] = [
        {"code": "risk_medium", "at_least": {"risk": "medium"}, "response": "emergency"}
    ]
    files["grading.json"]["resolution_when_at_most"] = "none"
    policy = parse_assessment_policy(files, small_categories())
    grading = grade(facts(levels={"risk": "medium"}), policy)
    assert (grading.response, rules(grading)) == (E, {"level.risk_medium"})
    grading = grade(facts(levels={"threat": "high"}), policy)
    assert (grading.response, rules(grading)) == (S, {"baseline.some_risk"})
    grading = grade(facts(levels={"threat": "low"}), policy)
    assert (grading.response, rules(grading)) == (S, {"baseline.some_risk"})


def test_grade_codes_come_from_the_policy() -> None:
    files = small_policy_files()
    for g in files["grading.json"]["grades"]:
        g["code"] = "grade_" + g["response"]
    policy = parse_assessment_policy(files, small_categories())
    assert grade(facts(category=DA), policy).grade == "grade_emergency"
    assert grade(facts(), policy).grade == "grade_resolution"


# --- reasons and ``deciding`` -------------------------------------------------------------


def test_reasons_are_most_urgent_first_and_deciding_is_exactly_those_at_the_response() -> None:
    grading = grade(
        facts(
            category=DA,
            da_not_immediate=True,
            indicators=frozenset({"rtc_injury", "weapon"}),
            levels={"threat": "high", "vulnerability": "medium"},
        ),
        POLICY,
    )
    assert grading.response is P
    responses = [r.response for r in grading.reasons]
    assert responses == sorted(responses, reverse=True)
    assert rules(grading) == {
        "da.assessed_not_immediate",
        "national.rtc_injury",
        "level.any_factor_high",
        "level.vulnerability_medium",
    }
    assert all(r.response < grading.response for r in grading.reasons if r not in grading.deciding)
    assert [r.rule for r in grading.reasons if r.response is S] == ["baseline.some_risk"]


# --- properties ---------------------------------------------------------------------------

CATEGORIES = sorted(small_categories().categories)
QUALIFIERS = sorted(small_categories().qualifiers)

grading_inputs = st.builds(
    GradingInput,
    category=st.sampled_from(CATEGORIES),
    qualifiers=st.frozensets(st.sampled_from(QUALIFIERS)),
    channel=st.sampled_from(["999", "101", "online", "counter"]),
    indicators=st.frozensets(st.sampled_from(sorted(INDICATORS))),
    levels=st.dictionaries(st.sampled_from(FACTORS), st.sampled_from(LEVELS)),
    call_states=st.frozensets(st.sampled_from(sorted(CALL_STATES))),
    phone_linked_to_da=st.booleans(),
    da_not_immediate=st.booleans(),
)


def _reordered(facts_: GradingInput, data: st.DataObject) -> GradingInput:
    def shuffled(items: frozenset[str]) -> frozenset[str]:
        return frozenset(data.draw(st.permutations(sorted(items))))

    order = data.draw(st.permutations(list(facts_.levels)))
    return dataclasses.replace(
        facts_,
        qualifiers=shuffled(facts_.qualifiers),
        indicators=shuffled(facts_.indicators),
        call_states=shuffled(facts_.call_states),
        levels={f: facts_.levels[f] for f in order},
    )


@settings(max_examples=300, deadline=None)
@given(grading_inputs, st.data())
def test_grading_is_deterministic_and_ignores_the_order_of_its_inputs(
    facts_: GradingInput, data: st.DataObject
) -> None:
    first = grade(facts_, POLICY)
    assert grade(facts_, POLICY) == first
    assert grade(_reordered(facts_, data), POLICY) == first


@settings(max_examples=300, deadline=None)
@given(grading_inputs, st.sampled_from(sorted(INDICATORS)))
def test_adding_a_risk_indicator_never_lowers_the_response(facts_: GradingInput, indicator: str) -> None:
    more = dataclasses.replace(facts_, indicators=facts_.indicators | {indicator})
    assert grade(more, POLICY).response >= grade(facts_, POLICY).response


@settings(max_examples=300, deadline=None)
@given(grading_inputs, st.sampled_from(FACTORS), st.sampled_from(LEVELS))
def test_raising_a_factor_level_never_lowers_the_response(
    facts_: GradingInput, factor: str, level: str
) -> None:
    current = facts_.levels.get(factor, LEVELS[0])
    higher = max(current, level, key=POLICY.rank)
    raised = dataclasses.replace(facts_, levels={**facts_.levels, factor: higher})
    assert grade(raised, POLICY).response >= grade(facts_, POLICY).response


@settings(max_examples=300, deadline=None)
@given(grading_inputs)
def test_a_call_being_cut_off_never_lowers_the_response(facts_: GradingInput) -> None:
    cut = dataclasses.replace(facts_, call_states=facts_.call_states | {"cut_off"})
    assert grade(cut, POLICY).response >= grade(facts_, POLICY).response


@settings(max_examples=300, deadline=None)
@given(grading_inputs)
def test_the_result_is_always_one_of_the_policy_grades_with_its_reasons(
    facts_: GradingInput,
) -> None:
    grading = grade(facts_, POLICY)
    chosen = POLICY.grade(grading.grade)
    assert chosen is not None
    assert chosen.response is grading.response
    assert grading.deciding
    assert max(r.response for r in grading.reasons) is grading.response
    assert all(r.rule and r.fact for r in grading.reasons)


# --- architecture: grading cannot see resources -------------------------------------------

SRC = Path(__file__).resolve().parents[2] / "src"
GRADING_MODULES = ("grading", "assessment", "indicators", "assessment_policy")


def _module_file(module: str) -> Path | None:
    base = SRC.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _thriives_imports(module: str, path: Path) -> set[str]:
    """The thriives modules one file imports, absolute or relative, including ``from x import y``
    where ``y`` is itself a module."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                parent = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{parent}.{node.module}" if node.module else parent
            else:
                base = node.module or ""
            found.add(base)
            found.update(
                f"{base}.{alias.name}" for alias in node.names if _module_file(f"{base}.{alias.name}")
            )
    return {name for name in found if name.split(".")[0] == "thriives"}


def _reachable(roots: list[str]) -> set[str]:
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        parent = module.rpartition(".")[0]
        if parent:  # importing a module runs its packages' __init__ too
            todo.append(parent)
        path = _module_file(module)
        if path is not None:
            todo.extend(_thriives_imports(module, path))
    return seen


def test_grading_cannot_reach_units_queues_or_resources() -> None:
    reached = _reachable([f"thriives.domain.{name}" for name in GRADING_MODULES])
    # the walk did follow imports, and the packages' __init__ files
    assert {
        "thriives.domain.indicators",
        "thriives.domain.policy_reader",
        "thriives.domain.categories",
        "thriives.domain",
    } <= reached
    forbidden = sorted(
        module
        for module in reached
        if module.startswith(("thriives.adapters", "thriives.services"))
        or any(word in module for word in ("unit", "dispatch", "resource"))
    )
    assert forbidden == []


def test_the_grading_input_has_no_field_about_resources() -> None:
    names = [f.name for f in dataclasses.fields(GradingInput)]
    assert names  # a dataclass with fields
    assert [n for n in names if any(word in n for word in ("unit", "resource", "available", "queue"))] == []


def test_grade_takes_only_the_facts_and_the_policy() -> None:
    assert list(grade.__annotations__) == ["facts", "policy", "return"]
    assert grade.__annotations__["policy"] in (AssessmentPolicy, "AssessmentPolicy")
