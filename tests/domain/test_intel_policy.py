"""The intelligence policy is checked whole on load; a bad one is refused by name."""

from __future__ import annotations

import json
from typing import Any

import pytest

from thriives.domain.intel_policy import parse_intel_policy
from thriives.policy.loading import default_policy_dir, load_assessment_policy


def bundled() -> dict[str, Any]:
    return json.loads((default_policy_dir() / "intel.json").read_text())


def test_the_bundled_policy_loads_with_every_marker_kind_the_issue_names() -> None:
    policy = parse_intel_policy(bundled(), load_assessment_policy())
    assert {"weapons", "marac_12m", "protected_address", "ocg_nominal", "child_at_address"} <= set(
        policy.markers
    )
    assert (
        policy.markers["protected_address"].restricted and policy.markers["protected_address"].hides_address
    )


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda p: p["markers"][0]["raises"].update({"nonsense": "high"}), "markers[0].raises.nonsense"),
        (lambda p: p["markers"][0]["raises"].update({"risk": "extreme"}), "markers[0].raises.risk"),
        (lambda p: p["search"].update({"possible_at": 40}), "search.possible_at"),
        (lambda p: p["search"].update({"per_key": 0}), "search.per_key"),
        (lambda p: p.update({"surprise": 1}), "surprise"),
    ],
)
def test_a_bad_policy_is_refused_naming_the_field(change: Any, named: str) -> None:
    policy = bundled()
    change(policy)
    with pytest.raises(ValueError, match=named.replace("[", r"\[").replace("]", r"\]")):
        parse_intel_policy(policy, load_assessment_policy())
