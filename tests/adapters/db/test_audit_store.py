"""The audit log in the store: tampering is found, and PostgreSQL refuses it outright."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.conftest import FakeClock, People
from thriives.bootstrap import Container
from thriives.domain.accounts import Role
from thriives.domain.incidents import Channel, Contact
from thriives.services.audit import verify_audit


def fill(container: Container, people: People, clock: FakeClock) -> None:
    actor = people(Role.SUPERVISOR)
    for _ in range(5):
        container.incidents.open(actor, Contact(Channel.NON_EMERGENCY, clock(), "crime_theft"), clock())


def tamper(container: Container, statement: str) -> None:
    """Alter the table behind the application's back (as an intruder with SQL access would)."""
    with container.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
        connection.execute(text(statement))
        if connection.dialect.name == "postgresql":
            connection.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))


@pytest.mark.parametrize(
    ("statement", "seq"),
    [
        ("UPDATE audit_log SET justification = 'curiosity' WHERE seq = 3", 3),
        ("DELETE FROM audit_log WHERE seq = 4", 5),
        ("UPDATE audit_log SET seq = 100 WHERE seq = 2", 3),
        ("DELETE FROM audit_log WHERE seq = 6", 5),
    ],
)
def test_tampering_is_found_and_located(
    container: Container, people: People, clock: FakeClock, statement: str, seq: int
) -> None:
    fill(container, people, clock)
    assert verify_audit(container.uow)[1] == []
    tamper(container, statement)
    findings = verify_audit(container.uow)[1]
    assert findings, "tampering went unnoticed"
    assert findings[0].seq == seq


def test_an_inserted_entry_is_found(container: Container, people: People, clock: FakeClock) -> None:
    fill(container, people, clock)
    tamper(
        container,
        "INSERT INTO audit_log SELECT seq + 1000, at, 'intruder', operation, record_type,"
        " record_id, justification, detail, prev_hash, hash FROM audit_log WHERE seq = 2",
    )
    assert any(f.seq == 1002 for f in verify_audit(container.uow)[1])


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize(
    "statement", ["UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log", "TRUNCATE audit_log"]
)
def test_postgresql_refuses_to_change_the_audit_log(
    container: Container, people: People, clock: FakeClock, statement: str
) -> None:
    fill(container, people, clock)
    with pytest.raises(DBAPIError) as refused, container.engine.begin() as connection:
        connection.execute(text(statement))
    assert "append-only" in str(refused.value)
    assert verify_audit(container.uow)[1] == []
