"""``thriives user ...`` on both stores: each account action from the command line, audited."""

from __future__ import annotations

from sqlalchemy import create_engine, select
from typer.testing import CliRunner

from tests.cli.test_cli import env
from thriives.adapters.cli.main import app
from thriives.adapters.db.tables import audit_log

runner = CliRunner()


def invoke(database_url: str, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["user", *args], env=env(database_url))
    return result.exit_code, result.stdout, result.stderr


def test_an_account_is_administered_from_the_command_line(database_url: str) -> None:
    assert invoke(database_url, "add", "jo.bloggs", "--role", "call_handler")[0] == 0
    token = invoke(database_url, "token", "jo.bloggs")[1].strip()
    assert invoke(database_url, "role", "jo.bloggs", "dispatcher", "--reason", "moved to dispatch")[0] == 0
    assert invoke(database_url, "team", "jo.bloggs", "B watch", "--reason", "rota")[0] == 0
    assert invoke(database_url, "disable", "jo.bloggs", "--reason", "long leave")[0] == 0
    code, out, _ = invoke(database_url, "list")
    assert code == 0 and "jo.bloggs\tdispatcher\tB watch\tdisabled" in out
    assert invoke(database_url, "enable", "jo.bloggs", "--reason", "back from leave")[0] == 0
    code, out, _ = invoke(database_url, "reset-password", "jo.bloggs", "--reason", "forgot it")
    assert code == 0 and len(out.strip()) >= 10
    assert "must choose a new password" in invoke(database_url, "list")[1]
    code, out, _ = invoke(database_url, "tokens", "jo.bloggs")
    ref = out.split("\t")[0]
    assert code == 0 and "\tlive\t" in out and token not in out
    assert invoke(database_url, "revoke-token", "jo.bloggs", ref, "--reason", "lost laptop")[0] == 0
    assert "\trevoked\t" in invoke(database_url, "tokens", "jo.bloggs")[1]
    code, _, err = invoke(database_url, "end-sessions", "jo.bloggs", "--reason", "shared terminal")
    assert code == 0 and "0 session(s) ended" in err
    engine = create_engine(database_url)
    with engine.connect() as connection:
        why = connection.execute(
            select(audit_log.c.actor, audit_log.c.justification).where(audit_log.c.record_id == "jo.bloggs")
        ).all()
    engine.dispose()
    assert ("cli", "role changed: moved to dispatch") in why
    assert ("cli", "sessions ended: shared terminal") in why


def test_a_missing_reason_or_user_is_refused_naming_it(database_url: str) -> None:
    invoke(database_url, "add", "jo.bloggs", "--role", "analyst")
    assert invoke(database_url, "disable", "jo.bloggs")[0] == 2  # --reason is required
    code, _, err = invoke(database_url, "disable", "jo.bloggs", "--reason", " ")
    assert code == 2 and "reason" in err
    code, _, err = invoke(database_url, "disable", "nobody", "--reason", "tidy up")
    assert code == 2 and "username" in err


def test_a_weak_password_is_refused_at_creation_naming_the_field(database_url: str) -> None:
    variables = env(database_url) | {"THRIIVES_NEW_PASSWORD": "x" * 1001}
    result = runner.invoke(app, ["user", "add", "jo.bloggs", "--role", "analyst"], env=variables)
    assert result.exit_code == 2 and "password: must be at most 128 characters" in result.stderr
