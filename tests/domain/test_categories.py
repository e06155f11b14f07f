import json

import pytest

from thriives.domain.categories import parse_category_policy
from thriives.policy.loading import PolicyError, default_policy_dir, load_category_policy


def bundled() -> dict:
    return json.loads((default_policy_dir() / "categories.json").read_text())


def test_the_bundled_policy_loads() -> None:
    policy = load_category_policy()
    assert "domestic_incident" in policy.categories
    assert {c.chapter for c in policy.categories.values()} == {
        "crime",
        "asb",
        "public_safety",
        "transport",
        "administration",
    }


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (lambda d: d.pop("version"), "version"),
        (lambda d: d["categories"].append(d["categories"][0]), "categories[31].code"),
        (lambda d: d["categories"][2].update(chapter="crimes"), "categories[2].chapter"),
        (lambda d: d["categories"][0].update(code="Bad Code"), "categories[0].code"),
        (lambda d: d["categories"][1].update(colour="red"), "categories[1]"),
        (lambda d: d.update(qualifer={}), "qualifer"),
        (lambda d: d["qualifiers"].update(weapon=""), "qualifiers.weapon"),
        (lambda d: d.update(closure_reasons={}), "closure_reasons"),
    ],
)
def test_a_bad_policy_is_refused_naming_the_field(mutate, path: str) -> None:
    data = bundled()
    mutate(data)
    with pytest.raises(ValueError) as refused:
        parse_category_policy(data, source="categories.json")
    assert f"categories.json: {path}:" in str(refused.value)


def test_a_policy_file_that_is_not_json_is_refused_with_its_line(tmp_path) -> None:
    (tmp_path / "categories.json").write_text('{"version": "x",\n "categories": [,]}')
    with pytest.raises(PolicyError) as refused:
        load_category_policy(tmp_path)
    assert "categories.json: line 2" in str(refused.value)
