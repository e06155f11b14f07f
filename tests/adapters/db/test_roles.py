"""PostgreSQL: the application's role holds only the rights it needs, the owner migrates."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from tests.conftest import FakeClock, People
from tests.stores import APP_ROLE, OWNER_ROLE
from thriives.adapters.cli.main import app
from thriives.bootstrap import Container
from thriives.domain.accounts import Role
from thriives.domain.incidents import Channel, Contact
from thriives.services.audit import verify_audit

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

REFUSED = [
    "UPDATE audit_log SET actor = 'x'",
    "DELETE FROM audit_log",
    "TRUNCATE audit_log",
    "UPDATE events SET actor = 'x'",
    "DELETE FROM events",
    "DELETE FROM audit_head",
    "ALTER TABLE audit_log DISABLE TRIGGER USER",
    "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_delete",
    "DROP TRIGGER audit_log_no_update_delete ON audit_log",
    "ALTER TABLE incidents ADD COLUMN sneaky text",
    "CREATE TABLE sneaky (id int)",
    "DROP TABLE audit_log",
    "INSERT INTO alembic_version VALUES ('x')",
]


@pytest.mark.parametrize("statement", REFUSED)
def test_the_application_role_cannot_change_the_audit_or_the_schema(
    container: Container, people: People, clock: FakeClock, statement: str
) -> None:
    actor = people(Role.SUPERVISOR)
    container.incidents.open(actor, Contact(Channel.NON_EMERGENCY, clock(), "crime_theft"), clock())
    assert container.engine.url.username == APP_ROLE
    with pytest.raises(DBAPIError) as refused, container.engine.begin() as connection:
        connection.execute(text(statement))
    assert "permission denied" in str(refused.value) or "must be owner" in str(refused.value)
    assert verify_audit(container.uow).intact


def test_the_owner_role_is_refused_by_the_triggers_unless_it_turns_them_off(
    container: Container, people: People, clock: FakeClock, owner_url: str
) -> None:
    people(Role.SUPERVISOR)
    owner = create_engine(owner_url)
    try:
        with pytest.raises(DBAPIError, match="append-only"), owner.begin() as connection:
            connection.execute(text("UPDATE audit_log SET actor = 'x'"))
        with pytest.raises(DBAPIError, match="only moves forward"), owner.begin() as connection:
            connection.execute(text("UPDATE audit_head SET seq = 0"))
    finally:
        owner.dispose()


def test_migrate_runs_as_the_owner_and_grants_the_application_role(
    database_url: str, owner_url: str, tmp_path: object
) -> None:
    variables = {
        "THRIIVES_DATABASE_URL": database_url,
        "THRIIVES_MIGRATE_DATABASE_URL": owner_url,
        "THRIIVES_AUDIT_KEY_FILE": str(tmp_path) + "/audit.key",
    }
    result = CliRunner().invoke(app, ["migrate"], env=variables)
    assert result.exit_code == 0, result.output
    engine = create_engine(owner_url)
    try:
        with engine.connect() as connection:
            rights = connection.execute(
                text(
                    "SELECT privilege_type FROM information_schema.role_table_grants"
                    " WHERE grantee = :role AND table_name = 'audit_log' ORDER BY privilege_type"
                ),
                {"role": APP_ROLE},
            ).scalars()
            assert list(rights) == ["INSERT", "SELECT"]
            owner = connection.execute(
                text("SELECT tableowner FROM pg_tables WHERE tablename = 'audit_log'")
            ).scalar_one()
            assert owner == OWNER_ROLE
    finally:
        engine.dispose()
