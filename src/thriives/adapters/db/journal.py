"""The journal: the events table (the incident timeline and live feed) and the audit log.

Ordering matters for the live feed: readers poll ``events WHERE id > last_seen``, so an
event with a smaller id must never become visible after one with a larger id. Every
transaction that writes an event or an audit entry therefore first locks the single
audit-head row (``SELECT ... FOR UPDATE``; on SQLite the write transaction itself is the
lock). Ids are then allocated and committed in the same order, and the audit chain is
extended by one writer at a time.

Both chains are sealed with the audit key (HMAC-SHA256; see ``domain.audit_chain`` and
``domain.event_chain``): each audit entry under the previous entry's seal, each event under
the previous event's seal. The head row keeps both chains' ends.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select, update

from thriives.adapters.db.tables import audit_head, audit_log, events, incidents
from thriives.domain.audit_chain import GENESIS, AuditEntry, AuditKeys, Operation, canonical_detail, seal
from thriives.domain.event_chain import SealedEvent, event_seal

# Built once: building a statement per call costs more CPU than running it.
HEAD_COLUMNS = (audit_head.c.seq, audit_head.c.hash, audit_head.c.event_count, audit_head.c.event_seal)
LOCK_HEAD = select(*HEAD_COLUMNS).where(audit_head.c.id == 1).with_for_update()
INSERT_EVENT = insert(events)
INSERT_AUDIT = insert(audit_log)
MOVE_HEAD = (
    update(audit_head)
    .where(audit_head.c.id == 1)
    .values(
        seq=bindparam("head_seq"),
        hash=bindparam("head_hash"),
        event_count=bindparam("head_event_count"),
        event_seal=bindparam("head_event_seal"),
    )
)

Head = tuple[int, str, int, str]  # audit seq and seal, events count and seal


@dataclass(frozen=True)
class StoredHead:
    """The head row as stored: both chains' ends and where keyed sealing began."""

    seq: int
    seal: str
    keyed_from: int
    event_count: int
    event_seal: str
    event_from: int


EVENT_COLUMNS = ("at", "actor", "kind", "data", "incident_id", "seal", "key_id")
AUDIT_COLUMNS = (
    "seq",
    "at",
    "actor",
    "operation",
    "record_type",
    "record_id",
    "justification",
    "detail",
    "prev_hash",
    "hash",
    "key_id",
)
_COMBINED: dict[tuple[int, int], str] = {}


def _combined(
    buffered_events: list[dict[str, Any]], audits: list[dict[str, Any]], head: Head
) -> tuple[str, dict[str, Any]]:
    """One PostgreSQL statement inserting the events and audit entries and moving the head.

    The text depends only on how many of each there are, so it is built once per shape.
    Timestamps go in as aware UTC datetimes and event data as JSON text, as the table
    types would send them.
    """
    shape = (len(buffered_events), len(audits))
    if shape not in _COMBINED:
        parts = []
        if buffered_events:
            rows = ", ".join(
                "("
                + ", ".join(f"%(e{i}_{c})s" + ("::json" if c == "data" else "") for c in EVENT_COLUMNS)
                + ")"
                for i in range(shape[0])
            )
            parts.append(f"e AS (INSERT INTO events ({', '.join(EVENT_COLUMNS)}) VALUES {rows})")
        if audits:
            rows = ", ".join(
                "(" + ", ".join(f"%(a{i}_{c})s" for c in AUDIT_COLUMNS) + ")" for i in range(shape[1])
            )
            parts.append(f"a AS (INSERT INTO audit_log ({', '.join(AUDIT_COLUMNS)}) VALUES {rows})")
        _COMBINED[shape] = (
            f"WITH {', '.join(parts)} UPDATE audit_head "
            "SET seq = %(head_seq)s, hash = %(head_hash)s, event_count = %(head_event_count)s,"
            " event_seal = %(head_event_seal)s WHERE id = 1"
        )
    params: dict[str, Any] = _head_params(head)
    for i, row in enumerate(buffered_events):
        for column in EVENT_COLUMNS:
            value = row[column]
            params[f"e{i}_{column}"] = json.dumps(value) if column == "data" else value
    for i, row in enumerate(audits):
        for column in AUDIT_COLUMNS:
            params[f"a{i}_{column}"] = row[column]
    return _COMBINED[shape], params


def _head_params(head: Head) -> dict[str, Any]:
    return {
        "head_seq": head[0],
        "head_hash": head[1],
        "head_event_count": head[2],
        "head_event_seal": head[3],
    }


class Journal:
    """Events and audit entries of one transaction, written together just before commit.

    The head lock is taken at the first event or audit entry (so the audit hash can be
    computed); the rows are buffered and written in ``flush``: on PostgreSQL as one
    statement (data-modifying CTEs), so the transaction holds the lock for fewer round
    trips; on SQLite, where a statement costs no round trip, as plain inserts.
    """

    def __init__(self, connection: Connection, keys: AuditKeys) -> None:
        self._connection = connection
        self._keys = keys
        self._head: Head | None = None
        self._events: list[dict[str, Any]] = []
        self._audits: list[dict[str, Any]] = []

    def _lock(self) -> Head:
        if self._head is None:
            row = self._connection.execute(LOCK_HEAD).one()
            self._head = (int(row.seq), str(row.hash), int(row.event_count), str(row.event_seal))
        return self._head

    def lock(self) -> None:
        """Take the head lock now (the unit of work does, first, on PostgreSQL)."""
        self._lock()

    def flush(self) -> None:
        """Write the buffered events and audit entries and move the head; called by commit."""
        if not self._events and not self._audits:
            return
        assert self._head is not None
        if self._connection.dialect.name == "postgresql":
            statement, params = _combined(self._events, self._audits, self._head)
            self._connection.exec_driver_sql(statement, params)
        else:
            if self._events:
                self._connection.execute(INSERT_EVENT, self._events)
            if self._audits:
                self._connection.execute(INSERT_AUDIT, self._audits)
            self._connection.execute(MOVE_HEAD, _head_params(self._head))
        self._events, self._audits = [], []

    def event(
        self,
        at: datetime,
        actor: str,
        kind: str,
        data: dict[str, Any],
        incident_id: str | None = None,
    ) -> None:
        seq, audit_seal, count, prev_seal = self._lock()
        count += 1
        at = at.astimezone(UTC)  # sealed as stored
        data = json.loads(json.dumps(data))  # sealed as the store will give it back
        key = self._keys.current
        sealed = event_seal(count, at, incident_id, actor, kind, data, prev_seal, key)
        self._events.append(
            {
                "at": at,
                "actor": actor,
                "kind": kind,
                "data": data,
                "incident_id": incident_id,
                "seal": sealed,
                "key_id": key.key_id,
            }
        )
        self._head = (seq, audit_seal, count, sealed)

    def audit(
        self,
        at: datetime,
        actor: str,
        operation: Operation,
        record_type: str,
        record_id: str,
        justification: str,
        detail: dict[str, Any] | None = None,
    ) -> int:
        seq, prev_hash, event_count, event_seal_ = self._lock()
        seq += 1
        key = self._keys.current
        at = at.astimezone(UTC)  # sealed as stored: the store gives times back in UTC
        detail_text = canonical_detail(detail or {})
        digest = seal(
            seq,
            at,
            actor,
            operation.value,
            record_type,
            record_id,
            justification,
            detail_text,
            prev_hash,
            key,
        )
        self._audits.append(
            {
                "seq": seq,
                "at": at,
                "actor": actor,
                "operation": operation.value,
                "record_type": record_type,
                "record_id": record_id,
                "justification": justification,
                "detail": detail_text,
                "prev_hash": prev_hash,
                "hash": digest,
                "key_id": key.key_id,
            }
        )
        self._head = (seq, digest, event_count, event_seal_)
        return seq

    def snapshot(self) -> None:
        """Read everything after this from one snapshot (call first in a read transaction):
        a verification must not see the head from before a write and the entries after it."""
        if self._connection.dialect.name == "postgresql":
            self._connection.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")

    def audit_entries(self, batch: int = 5000) -> Iterator[AuditEntry]:
        """Every audit entry in storage order, streamed in batches."""
        last = 0
        while True:
            rows = self._connection.execute(
                select(audit_log).where(audit_log.c.seq > last).order_by(audit_log.c.seq).limit(batch)
            ).all()
            if not rows:
                return
            for row in rows:
                yield AuditEntry(
                    seq=row.seq,
                    at=row.at,
                    actor=row.actor,
                    operation=Operation(row.operation),
                    record_type=row.record_type,
                    record_id=row.record_id,
                    justification=row.justification,
                    detail=row.detail,
                    prev_hash=row.prev_hash,
                    hash=row.hash,
                    key_id=row.key_id,
                )
            last = rows[-1].seq

    def sealed_events(self, first_id: int, batch: int = 5000) -> Iterator[SealedEvent]:
        """Every event from ``first_id`` on (the sealed part), in id order, in batches."""
        last = first_id - 1
        while True:
            rows = self._connection.execute(
                select(events).where(events.c.id > last).order_by(events.c.id).limit(batch)
            ).all()
            if not rows:
                return
            for row in rows:
                yield SealedEvent(
                    row.id, row.at, row.incident_id, row.actor, row.kind, row.data, row.seal, row.key_id
                )
            last = rows[-1].id

    def events_before(self, first_id: int) -> int:
        """How many events come before the sealed part."""
        return int(
            self._connection.execute(
                select(func.count()).select_from(events).where(events.c.id < first_id)
            ).scalar_one()
        )

    def head(self) -> StoredHead:
        row = self._connection.execute(select(audit_head).where(audit_head.c.id == 1)).one_or_none()
        if row is None:
            return StoredHead(0, GENESIS, 1, 0, GENESIS, 1)
        return StoredHead(
            int(row.seq),
            str(row.hash),
            int(row.keyed_from),
            int(row.event_count),
            str(row.event_seal),
            int(row.event_from),
        )

    def feed_after(self, after: int, limit: int = 500) -> list[dict[str, Any]]:
        """Events after ``after`` for the live feed: what changed, never who the caller was."""
        rows = self._connection.execute(
            select(events.c.id, events.c.at, events.c.kind, incidents.c.reference, incidents.c.status)
            .outerjoin(incidents, incidents.c.id == events.c.incident_id)
            .where(events.c.id > after)
            .order_by(events.c.id)
            .limit(limit)
        ).all()
        return [dict(row._mapping) for row in rows]

    def timeline(self, incident_id: str) -> list[dict[str, Any]]:
        rows = self._connection.execute(
            select(events).where(events.c.incident_id == incident_id).order_by(events.c.id)
        ).all()
        return [dict(row._mapping) for row in rows]

    def last_event_id(self) -> int:
        return int(self._connection.execute(select(func.coalesce(func.max(events.c.id), 0))).scalar_one())
