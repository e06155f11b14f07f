"""The thriives command on both stores: users, tokens, audit verification, policy check."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from tests.audit_tamper import CASES, Case, assess_one, tamper
from tests.conftest import AUDIT_KEY_FILE, FakeClock, test_settings
from thriives.adapters.cli.main import app
from thriives.bootstrap import build
from thriives.domain.accounts import Actor, Role
from thriives.policy.loading import default_policy_dir

runner = CliRunner()


def env(database_url: str) -> dict[str, str]:
    return {
        "THRIIVES_DATABASE_URL": database_url,
        "THRIIVES_AUDIT_KEY_FILE": str(AUDIT_KEY_FILE),
        "THRIIVES_ARGON2_TIME_COST": "1",
        "THRIIVES_ARGON2_MEMORY_KIB": "64",
        "THRIIVES_NEW_PASSWORD": "a-long-password",
    }


def test_a_user_is_added_issued_a_token_and_the_audit_log_verifies(database_url: str) -> None:
    variables = env(database_url)
    added = runner.invoke(app, ["user", "add", "jo.bloggs", "--role", "dispatcher"], env=variables)
    assert added.exit_code == 0, added.output
    token = runner.invoke(app, ["user", "token", "jo.bloggs"], env=variables)
    assert token.exit_code == 0 and token.stdout.strip().startswith("thr_")
    verified = runner.invoke(app, ["audit", "verify"], env=variables)
    assert verified.exit_code == 0
    assert "audit log intact: 2 entries" in verified.stdout


def test_a_bad_user_is_refused_with_the_field(database_url: str) -> None:
    result = runner.invoke(app, ["user", "add", "Bad Name", "--role", "admin"], env=env(database_url))
    assert result.exit_code == 2
    assert "username" in result.output


def test_audit_verify_names_a_tampered_entry_and_fails(database_url: str, owner_url: str) -> None:
    variables = env(database_url)
    for name in ("one.user", "two.user", "three.user"):
        runner.invoke(app, ["user", "add", name, "--role", "analyst"], env=variables)
    tamper(
        owner_url, Case("edit", lambda c: c.execute(text("UPDATE audit_log SET actor = 'x' WHERE seq = 2")))
    )
    result = runner.invoke(app, ["audit", "verify"], env=variables)
    assert result.exit_code == 1
    assert "BROKEN entry 2" in result.stdout and "NOT intact" in result.stdout


def test_a_wiped_log_fails_against_a_checkpoint_and_passes_without_one(
    database_url: str, owner_url: str, tmp_path: Path
) -> None:
    variables = env(database_url)
    checkpoints = tmp_path / "elsewhere" / "checkpoints.jsonl"
    runner.invoke(app, ["user", "add", "one.user", "--role", "analyst"], env=variables)
    taken = runner.invoke(app, ["audit", "checkpoint", "--out", str(checkpoints)], env=variables)
    assert taken.exit_code == 0, taken.output
    assert "entry 1" in taken.stdout and len(checkpoints.read_text().splitlines()) == 1
    assert (
        runner.invoke(app, ["audit", "verify", "--against", str(checkpoints)], env=variables).exit_code == 0
    )
    tamper(owner_url, next(case for case in CASES if case.name.startswith("wipe")))
    alone = runner.invoke(app, ["audit", "verify"], env=variables)
    assert alone.exit_code == 0 and "without a checkpoint" in alone.stdout  # says what it cannot see
    against = runner.invoke(app, ["audit", "verify", "--against", str(checkpoints)], env=variables)
    assert against.exit_code == 1
    assert "the log is empty (wiped), but a checkpoint recorded entry 1" in against.stdout
    refused = runner.invoke(app, ["audit", "checkpoint", "--out", str(checkpoints)], env=variables)
    assert refused.exit_code == 1 and "no checkpoint written" in refused.stdout


def test_an_assessment_edited_in_the_database_fails_verification(
    database_url: str, owner_url: str, tmp_path: Path
) -> None:
    clock = FakeClock()
    container = build(test_settings(database_url), clock=clock)
    try:
        user = container.accounts.add_user("sup", "Sup", Role.SUPERVISOR, "a-long-password", clock())
        assess_one(container, Actor(user, "sup", Role.SUPERVISOR, "Sup"), clock())
    finally:
        container.close()
    variables = env(database_url)
    checkpoints = tmp_path / "checkpoints.jsonl"
    assert (
        runner.invoke(app, ["audit", "checkpoint", "--out", str(checkpoints)], env=variables).exit_code == 0
    )
    intact = runner.invoke(app, ["audit", "verify"], env=variables)
    assert intact.exit_code == 0 and "1 sealed assessments, 1 sealed DASH records" in intact.stdout
    tamper(owner_url, next(case for case in CASES if case.name == "edit an assessment's answers"))
    for extra in ([], ["--against", str(checkpoints)]):
        broken = runner.invoke(app, ["audit", "verify", *extra], env=variables)
        assert broken.exit_code == 1
        assert "BROKEN assessment 1: does not match the digest sealed in event" in broken.stdout


def test_a_rotated_key_seals_new_entries_and_the_old_ones_still_verify(
    database_url: str, tmp_path: Path
) -> None:
    variables = env(database_url) | {"THRIIVES_AUDIT_KEY_FILE": str(tmp_path / "audit.key")}
    runner.invoke(app, ["user", "add", "one.user", "--role", "analyst"], env=variables)
    rotated = runner.invoke(app, ["audit", "rotate-key"], env=variables)
    assert rotated.exit_code == 0 and "new audit key" in rotated.stdout
    runner.invoke(app, ["user", "add", "two.user", "--role", "analyst"], env=variables)
    engine = create_engine(database_url)
    with engine.connect() as connection:
        key_ids = connection.execute(text("SELECT key_id FROM audit_log ORDER BY seq")).scalars().all()
    engine.dispose()
    assert len(set(key_ids)) == 2
    verified = runner.invoke(app, ["audit", "verify"], env=variables)
    assert verified.exit_code == 0, verified.output


def test_policy_check_accepts_the_bundled_policy_and_names_a_typo(tmp_path: Path) -> None:
    assert runner.invoke(app, ["policy", "check"]).exit_code == 0
    data = json.loads((default_policy_dir() / "categories.json").read_text())
    data["categories"][3]["chapter"] = "crim"
    (tmp_path / "categories.json").write_text(json.dumps(data))
    result = runner.invoke(app, ["policy", "check", str(tmp_path)])
    assert result.exit_code == 2
    assert "categories.json: categories[3].chapter: must be one of" in result.output


def test_policy_check_reads_the_intelligence_policy_and_names_a_bad_marker(tmp_path: Path) -> None:
    good = runner.invoke(app, ["policy", "check"])
    assert "intelligence" in good.output and "markers" in good.output
    for name in ("categories.json", "assessment.json", "questions.json", "grading.json", "dash.json"):
        (tmp_path / name).write_text((default_policy_dir() / name).read_text())
    for name in ("advice.json", "cues.json"):
        (tmp_path / name).write_text((default_policy_dir() / name).read_text())
    data = json.loads((default_policy_dir() / "intel.json").read_text())
    data["markers"][1]["raises"] = {"intelligence": "sky-high"}
    (tmp_path / "intel.json").write_text(json.dumps(data))
    result = runner.invoke(app, ["policy", "check", str(tmp_path)])
    assert result.exit_code == 2
    assert "intel.json: markers[1].raises.intelligence: must be one of" in result.output


def test_policy_check_reads_the_dispatch_policy_and_names_a_bad_shift(tmp_path: Path) -> None:
    good = runner.invoke(app, ["policy", "check"])
    assert "dispatch" in good.output and "reassess at 75% of target" in good.output
    assert "grading clock: 999 5 min, 101 30 min" in good.output
    assert "follow-ups for resolution within 1440 min, 3 outcomes: OK" in good.output
    for path in default_policy_dir().glob("*.json"):
        (tmp_path / path.name).write_text(path.read_text())
    data = json.loads((default_policy_dir() / "dispatch.json").read_text())
    data["appointments"]["shifts"][0]["start"] = "25:00"
    data["clock"]["reassess_at_share"] = 1.5
    data["grading_clock"]["target_minutes"]["999"] = 0
    (tmp_path / "dispatch.json").write_text(json.dumps(data))
    result = runner.invoke(app, ["policy", "check", str(tmp_path)])
    assert result.exit_code == 2
    assert "dispatch.json: appointments.shifts[0].start: must be a local time HH:MM" in result.output
    assert "dispatch.json: clock.reassess_at_share: must be a number from 0.05 to 1" in result.output
    assert "dispatch.json: grading_clock.target_minutes.999: must be a number from 1 to 1440" in result.output


def test_qa_sample_draws_a_month_reproducibly_and_refuses_a_second_draw(database_url: str) -> None:
    from datetime import UTC, datetime, timedelta

    from tests.conftest import test_settings
    from thriives.bootstrap import build
    from thriives.domain.accounts import Actor, Role
    from thriives.domain.incidents import Channel, Contact

    variables = env(database_url)
    staff = (("sup.one", "supervisor"), ("taker.one", "call_handler"), ("taker.two", "call_handler"))
    for name, role in staff:
        assert runner.invoke(app, ["user", "add", name, "--role", role], env=variables).exit_code == 0
    container = build(test_settings(database_url))
    try:
        start = datetime(2026, 10, 3, 12, tzinfo=UTC)
        for index in range(60):
            name = ("taker.one", "taker.two")[index % 2]
            with container.uow() as uow:
                row = uow.users.by_username(name)
            assert row is not None
            actor = Actor(row["id"], name, Role.CALL_HANDLER, name)
            when = start + timedelta(hours=index)
            contact = Contact(Channel.NON_EMERGENCY, when, "concern_for_safety", account="worried")
            container.incidents.open(actor, contact, when)
    finally:
        container.close()

    def qa(*words: str) -> Any:
        return runner.invoke(app, ["qa", *words], env=variables)

    drawn = qa("sample", "2026-10", "--seed", "october", "--as", "sup.one")
    assert drawn.exit_code == 0, drawn.output
    assert "draw 1: 6 picked from 60 calls in 2026-10" in drawn.output  # 3 a handler beats 2%
    again = qa("reproduce", "1", "--as", "sup.one")
    assert again.exit_code == 0 and "the same picks" in again.output
    twice = qa("sample", "2026-10", "--seed", "other", "--as", "sup.one")
    assert twice.exit_code == 2 and "period: the sample for 2026-10 was already drawn" in twice.output
    refused = qa("sample", "2026-10", "--seed", "x", "--as", "taker.one")
    assert refused.exit_code == 2
