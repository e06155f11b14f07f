"""Tampering with the audit log as an insider with the database owner's rights would.

Each case alters the store behind the application's back: the guard triggers are switched
off for the change (PostgreSQL: disabled; SQLite: dropped) and put back afterwards, except
in the case that is about the triggers themselves. The forger never holds the audit key.
Used by ``tests/adapters/db/test_audit_tamper.py`` and ``bench/audit_tamper.py``.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, create_engine, func, select, text, update
from sqlalchemy import insert as insert_row

from thriives.adapters.db.tables import assessments, audit_log, dash_assessments, events
from thriives.bootstrap import Container
from thriives.domain.accounts import Actor
from thriives.domain.assessment import AdviceRecord, CallFacts, Rating, Submission, advice_due
from thriives.domain.audit_chain import GENESIS, AuditKey, seal
from thriives.domain.dash import DashSubmission
from thriives.domain.event_chain import event_seal
from thriives.domain.incidents import Channel, Contact

GUARDED = ("audit_log", "events", "audit_head")


def assess_one(container: Container, actor: Actor, now: datetime) -> None:
    """Open an incident and record an assessment and a DASH record for it (each writes one
    event and one audit entry besides the incident's own): rows for the assessment cases."""
    opened = container.incidents.open(actor, Contact(Channel.NON_EMERGENCY, now, "crime_theft"), now)
    incident = opened.incident
    policy = container.assessment_policy
    facts = CallFacts(incident["opening_category"], frozenset(incident["qualifiers"]), incident["channel"])
    submission = Submission(
        model="thriives",
        ratings={
            f.code: Rating("low", f"{f.name}: nothing of note said")
            for f in policy.models["thriives"].factors
        },
        advice={code: AdviceRecord(True) for code in advice_due(facts, policy)},
    )
    container.assessments.assess(actor, incident["reference"], submission, now)
    answers = {q.id: "no" for q in policy.dash_questions}
    container.assessments.record_dash(actor, incident["reference"], DashSubmission(answers, {}), now)


def _forger_key(connection: Connection) -> AuditKey:
    """A key with the real key's id but a secret of the forger's own."""
    key_id = connection.execute(text("SELECT key_id FROM audit_log ORDER BY seq DESC LIMIT 1")).scalar_one()
    return AuditKey(str(key_id), secrets.token_bytes(32))


def _move_head(connection: Connection, seq: int, hash_: str) -> None:
    connection.execute(text("UPDATE audit_head SET seq = :seq, hash = :hash"), {"seq": seq, "hash": hash_})


def _reseal_from(connection: Connection, first: int, key: AuditKey | None) -> None:
    """Seal every entry from ``first`` on again (with the forger's key, or unkeyed)."""
    rows = connection.execute(select(audit_log).order_by(audit_log.c.seq)).mappings().all()
    prev = GENESIS
    for row in rows:
        if row["seq"] >= first:
            digest = seal(
                row["seq"],
                row["at"],
                row["actor"],
                row["operation"],
                row["record_type"],
                row["record_id"],
                row["justification"],
                row["detail"],
                prev,
                key,
            )
            connection.execute(
                text(
                    "UPDATE audit_log SET prev_hash = :prev, hash = :hash, key_id = :key_id WHERE seq = :seq"
                ),
                {"prev": prev, "hash": digest, "key_id": key.key_id if key else None, "seq": row["seq"]},
            )
            prev = digest
        else:
            prev = row["hash"]
    _move_head(connection, rows[-1]["seq"], prev)


def edit(c: Connection) -> None:
    c.execute(text("UPDATE audit_log SET justification = 'curiosity' WHERE seq = 3"))


def delete(c: Connection) -> None:
    c.execute(text("DELETE FROM audit_log WHERE seq = 4"))


def insert(c: Connection) -> None:
    c.execute(
        text(
            "INSERT INTO audit_log SELECT seq + 1000, at, 'intruder', operation, record_type,"
            " record_id, justification, detail, prev_hash, hash, key_id FROM audit_log WHERE seq = 2"
        )
    )


def reorder(c: Connection) -> None:
    c.execute(text("UPDATE audit_log SET seq = -2 WHERE seq = 2"))
    c.execute(text("UPDATE audit_log SET seq = 2 WHERE seq = 3"))
    c.execute(text("UPDATE audit_log SET seq = 3 WHERE seq = -2"))


def reseal(c: Connection) -> None:
    """Edit an entry, then seal it and every later one again with a key of the forger's own."""
    c.execute(text("UPDATE audit_log SET actor = 'someone.else' WHERE seq = 3"))
    _reseal_from(c, 3, _forger_key(c))


def reseal_unkeyed(c: Connection) -> None:
    """Edit an entry and rebuild the chain in the old unkeyed form, boundary moved past it."""
    c.execute(text("UPDATE audit_log SET actor = 'someone.else' WHERE seq = 3"))
    _reseal_from(c, 1, None)
    c.execute(text("UPDATE audit_head SET keyed_from = seq + 1"))


def truncate(c: Connection) -> None:
    """Cut the last two entries off and move the head to match."""
    last = c.execute(text("SELECT MAX(seq) FROM audit_log")).scalar_one()
    c.execute(text("DELETE FROM audit_log WHERE seq > :keep"), {"keep": last - 2})
    row = c.execute(text("SELECT seq, hash FROM audit_log WHERE seq = :keep"), {"keep": last - 2}).one()
    _move_head(c, row.seq, row.hash)


def wipe(c: Connection) -> None:
    """Empty the log and put the head back to where a new store starts."""
    c.execute(text("DELETE FROM audit_log"))
    _move_head(c, 0, GENESIS)


def move_head(c: Connection) -> None:
    _move_head(c, 2, "f" * 64)


def disable_trigger(c: Connection) -> None:
    if c.dialect.name == "postgresql":
        c.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_delete"))
    else:
        c.execute(text("DROP TRIGGER audit_log_no_update"))


def edit_event(c: Connection) -> None:
    last = c.execute(text("SELECT MAX(id) FROM events")).scalar_one()
    c.execute(text("UPDATE events SET actor = 'someone.else' WHERE id = :id"), {"id": last - 1})


def delete_event(c: Connection) -> None:
    last = c.execute(text("SELECT MAX(id) FROM events")).scalar_one()
    c.execute(text("DELETE FROM events WHERE id = :id"), {"id": last - 1})


def reseal_events(c: Connection) -> None:
    """Edit an event, then seal the whole events' chain again with the forger's key."""
    key = _forger_key(c)
    last = c.execute(text("SELECT MAX(id) FROM events")).scalar_one()
    c.execute(text("UPDATE events SET actor = 'someone.else' WHERE id = :id"), {"id": last - 1})
    first = c.execute(text("SELECT event_from FROM audit_head")).scalar_one()
    rows = c.execute(select(events).where(events.c.id >= first).order_by(events.c.id)).mappings().all()
    prev, position = GENESIS, 0
    for row in rows:
        position += 1
        prev = event_seal(
            position, row["at"], row["incident_id"], row["actor"], row["kind"], row["data"], prev, key
        )
        c.execute(
            text("UPDATE events SET seal = :seal, key_id = :key_id WHERE id = :id"),
            {"seal": prev, "key_id": key.key_id, "id": row["id"]},
        )
    c.execute(
        text("UPDATE audit_head SET event_count = :n, event_seal = :seal"), {"n": position, "seal": prev}
    )


def _last_assessment(c: Connection) -> dict[str, Any]:
    newest = select(func.max(assessments.c.id)).scalar_subquery()
    return dict(c.execute(select(assessments).where(assessments.c.id == newest)).mappings().one())


def edit_assessment(c: Connection) -> None:
    """Change the answers of the last assessment: one rating, and the grade it led to."""
    row = _last_assessment(c)
    submission = dict(row["submission"])
    factor = sorted(submission["ratings"])[0]
    submission["ratings"] = submission["ratings"] | {factor: {"level": "high", "rationale": "said so"}}
    c.execute(
        update(assessments)
        .where(assessments.c.id == row["id"])
        .values(submission=submission, final_grade="emergency")
    )


def delete_assessment(c: Connection) -> None:
    c.execute(text("DELETE FROM assessments WHERE id = (SELECT MAX(id) FROM assessments)"))


def insert_assessment(c: Connection) -> None:
    """A further version of the last assessment, written straight into the table."""
    row = _last_assessment(c)
    del row["id"]
    c.execute(insert_row(assessments).values(row | {"version": 2, "created_by": "intruder"}))


def edit_dash(c: Connection) -> None:
    """Raise a DASH record's count and level (it was recorded with every answer "no")."""
    c.execute(update(dash_assessments).values(level="high", marac_referral=True, yes_count=14))


@dataclass(frozen=True)
class Case:
    name: str
    change: Callable[[Connection], None]
    keep_guards_off: bool = False


CASES = [
    Case("edit an entry", edit),
    Case("delete an entry", delete),
    Case("insert an entry", insert),
    Case("reorder entries", reorder),
    Case("re-seal (forger's key)", reseal),
    Case("re-seal (unkeyed, boundary moved)", reseal_unkeyed),
    Case("truncate the tail (head moved)", truncate),
    Case("wipe the log (head reset)", wipe),
    Case("move the head", move_head),
    Case("disable the trigger", disable_trigger, keep_guards_off=True),
    Case("edit an event", edit_event),
    Case("delete an event", delete_event),
    Case("re-seal the events", reseal_events),
    Case("edit an assessment's answers", edit_assessment),
    Case("delete an assessment", delete_assessment),
    Case("insert an assessment", insert_assessment),
    Case("edit a DASH record", edit_dash),
]


def tamper(owner_url: str, case: Case) -> None:
    """Apply one case as the owner: guards off, the change, guards back (unless the case is them)."""
    engine = create_engine(owner_url)
    try:
        with engine.begin() as c:
            if case.keep_guards_off:
                case.change(c)
            elif c.dialect.name == "postgresql":
                for table in GUARDED:
                    c.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
                case.change(c)
                for table in GUARDED:
                    c.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))
            else:
                triggers = c.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")).all()
                for name, _sql in triggers:
                    c.execute(text(f"DROP TRIGGER {name}"))
                case.change(c)
                for _name, sql in triggers:
                    c.execute(text(sql))
    finally:
        engine.dispose()
