"""``thriives assess FILE.json`` grades a file offline and names what is wrong in a bad one."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from thriives.adapters.cli.main import app
from thriives.policy.loading import load_assessment_policy

runner = CliRunner()


def assessment_file(tmp_path: Path, **changes: object) -> Path:
    policy = load_assessment_policy()
    data = {
        "incident": {"category": "domestic_incident", "qualifiers": ["domestic"], "channel": "999"},
        "assessment": {
            "model": "thriives",
            "ratings": {
                f.code: {"level": "low", "rationale": "nothing more said"}
                for f in policy.models["thriives"].factors
            },
            "answers": {"da_weapon": "used"},
            "advice": {
                a.code: {"given": True}
                for a in policy.advice
                if "domestic" in a.qualifiers or "domestic_incident" in a.categories
            },
        }
        | changes,
    }
    path = tmp_path / "call.json"
    path.write_text(json.dumps(data))
    return path


def test_it_prints_the_grade_and_every_reason(tmp_path: Path) -> None:
    result = runner.invoke(app, ["assess", str(assessment_file(tmp_path))])
    assert result.exit_code == 0, result.output
    assert "proposed grade: emergency" in result.stdout
    assert "* da.immediate_by_default" in result.stdout
    assert "raised threat to high: da_weapon = used" in result.stdout


def test_a_bad_file_is_refused_naming_the_field(tmp_path: Path) -> None:
    result = runner.invoke(app, ["assess", str(assessment_file(tmp_path, answers={"nope": "yes"}))])
    assert result.exit_code == 2
    assert "answers.nope" in result.output
    bad = tmp_path / "bad.json"
    bad.write_text("{\n  oops")
    result = runner.invoke(app, ["assess", str(bad)])
    assert result.exit_code == 2 and "line 2" in result.output


def test_policy_check_validates_the_assessment_files_too(tmp_path: Path) -> None:
    source = Path(load_assessment_policy.__code__.co_filename).parent
    for file in source.glob("*.json"):
        (tmp_path / file.name).write_text(file.read_text())
    grading = json.loads((tmp_path / "grading.json").read_text())
    grading["grades"][0]["target_minutes"]["urban"] = -5
    (tmp_path / "grading.json").write_text(json.dumps(grading))
    result = runner.invoke(app, ["policy", "check", str(tmp_path)])
    assert result.exit_code == 2
    assert "grading.json: grades[0].target_minutes.urban: must be a number" in result.output
