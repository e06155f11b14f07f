"""A store from before keyed sealing: its old entries stay verifiable and held by the new ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alembic import command
from sqlalchemy import Connection, insert, select, text, update

from tests.audit_tamper import Case, assess_one, tamper
from tests.conftest import FakeClock, test_settings
from thriives.adapters.db.engine import make_engine
from thriives.adapters.db.migrate import alembic_config, upgrade
from thriives.adapters.db.tables import assessments
from thriives.bootstrap import build
from thriives.domain.accounts import Actor, Role
from thriives.domain.audit_chain import GENESIS, seal
from thriives.services.audit import verify_audit

START = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def write_unkeyed_history(owner_url: str) -> None:
    """Three audit entries and two events as thriives wrote them before migration 0010."""
    engine = make_engine(owner_url)
    try:
        command.downgrade(alembic_config(engine), "0009")
        with engine.begin() as connection:
            prev = GENESIS
            for seq in (1, 2, 3):
                at = START + timedelta(minutes=seq)
                fields = (seq, at, "old.user", "security", "user", f"u{seq}", "log-in", "{}")
                digest = seal(*fields, prev)
                connection.execute(
                    text(
                        "INSERT INTO audit_log (seq, at, actor, operation, record_type, record_id,"
                        " justification, detail, prev_hash, hash) VALUES (:seq, :at, :actor, :op,"
                        " :rt, :rid, :why, :detail, :prev, :hash)"
                    ),
                    dict(zip(("seq", "at", "actor", "op", "rt", "rid", "why", "detail"), fields, strict=True))
                    | {"at": at.replace(tzinfo=None) if engine.dialect.name == "sqlite" else at}
                    | {"prev": prev, "hash": digest},
                )
                prev = digest
            connection.execute(text("UPDATE audit_head SET seq = 3, hash = :hash"), {"hash": prev})
            for _event in (1, 2):
                connection.execute(
                    text(
                        "INSERT INTO events (at, actor, kind, data)"
                        " VALUES (:at, 'old.user', 'old.kind', '{}')"
                    ),
                    {"at": (START if engine.dialect.name != "sqlite" else START.replace(tzinfo=None))},
                )
        upgrade(engine)
    finally:
        engine.dispose()


def test_entries_from_before_keyed_sealing_verify_are_named_and_are_held(
    database_url: str, owner_url: str, clock: FakeClock
) -> None:
    write_unkeyed_history(owner_url)
    container = build(test_settings(database_url), clock=clock)
    try:
        container.accounts.add_user("new.user", "New User", Role.ANALYST, "a-long-password", clock())
        report = verify_audit(container.uow)
        assert report.intact, report.problems()
        assert report.entries == 4 and report.legacy_entries == 3 and report.legacy_events == 2
        assert "entries 1 to 3 were sealed before keyed sealing" in report.notes[0]
        assert "2 events written before keyed sealing are not covered" in report.notes[1]
        tamper(
            owner_url,
            Case("edit", lambda c: c.execute(text("UPDATE audit_log SET actor = 'x' WHERE seq = 2"))),
        )
        assert [f.seq for f in verify_audit(container.uow).findings][:1] == [2]
    finally:
        container.close()


def test_assessments_from_before_keyed_sealing_are_counted_and_later_ones_are_held(
    database_url: str, owner_url: str, clock: FakeClock
) -> None:
    write_unkeyed_history(owner_url)
    container = build(test_settings(database_url), clock=clock)
    try:
        user = container.accounts.add_user("sup", "Sup", Role.SUPERVISOR, "a-long-password", clock())
        actor = Actor(user, "sup", Role.SUPERVISOR, "Sup")
        assess_one(container, actor, clock())

        def old_assessment(c: Connection) -> None:
            # As thriives wrote one before migration 0010: no digest sealed anywhere.
            row = dict(c.execute(select(assessments)).mappings().one())
            c.execute(insert(assessments).values(row | {"id": 0, "version": 0, "created_at": START}))

        tamper(owner_url, Case("an assessment from before", old_assessment))
        report = verify_audit(container.uow)
        assert report.intact, report.problems()
        assert report.rows == {"assessments": 1, "dash_assessments": 1}
        assert report.legacy_rows == {"assessments": 1, "dash_assessments": 0}
        assert "1 assessment written before keyed sealing carry no sealed digest" in " ".join(report.notes)

        def new_looking(c: Connection) -> None:  # the same, dated after keyed sealing began
            c.execute(update(assessments).where(assessments.c.id == 0).values(created_at=clock()))

        tamper(owner_url, Case("dated after", new_looking))
        problems = verify_audit(container.uow).problems()
        assert problems == [
            "assessment 0: has no digest in the sealed events (inserted behind the application's back)"
        ]
    finally:
        container.close()
