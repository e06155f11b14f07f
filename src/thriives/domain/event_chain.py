"""The events' chain: every change to an incident, sealed as the audit log is.

Every change to an incident (opening, grading, deployment, closing, a log entry, ...) is
written as an event in the same transaction, so sealing the events covers the changes
themselves and not only who looked. Each event's seal is HMAC-SHA256 under the audit key
over its position in the chain, its fields and the seal of the event before it, in id
order. The store keeps the events' head (how many, and the last seal) beside the audit
head; checkpoints record it too.

Events written before keyed sealing (before migration 0010) are not covered: the chain
starts at the first event written after the migration.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from thriives.domain.audit_chain import GENESIS, AuditKey, AuditKeys, canonical_detail, digest


@dataclass(frozen=True)
class SealedEvent:
    id: int
    at: datetime
    incident_id: str | None
    actor: str
    kind: str
    data: Any
    seal: str | None
    key_id: str | None


@dataclass(frozen=True)
class EventFinding:
    event_id: int | None
    problem: str


def event_seal(
    position: int,
    at: datetime,
    incident_id: str | None,
    actor: str,
    kind: str,
    data: object,
    prev_seal: str,
    key: AuditKey,
) -> str:
    body: list[object] = [
        position,
        at.isoformat(timespec="microseconds"),
        incident_id,
        actor,
        kind,
        canonical_detail(data),
        prev_seal,
        key.key_id,
    ]
    return digest(body, key)


def verify_events(
    events: Iterable[SealedEvent],
    head_count: int,
    head_seal: str,
    keys: AuditKeys,
    anchors: dict[int, str] | None = None,
) -> tuple[int, list[EventFinding]]:
    """Check the events' chain read in id order; return how many were read and the problems.

    1. Each event's seal must be what its position, fields and the previous seal seal to
       under its key (catches an edited, deleted, inserted or reordered event, and a chain
       re-sealed without the key).
    2. The count and last seal must match the head the store kept.
    3. Each anchor (a checkpoint's count and seal) must be found unchanged.
    """
    findings: list[EventFinding] = []
    anchors = anchors or {}
    prev, position = GENESIS, 0
    for event in events:
        position += 1
        key = keys.get(event.key_id)
        if event.seal is None or key is None:
            why = "unsealed" if event.seal is None else f"sealed with unknown key {event.key_id!r}"
            findings.append(EventFinding(event.id, f"{why}, inside the sealed part of the events"))
        else:
            expected = event_seal(
                position, event.at, event.incident_id, event.actor, event.kind, event.data, prev, key
            )
            if not hmac.compare_digest(expected, event.seal):
                findings.append(
                    EventFinding(
                        event.id,
                        f"event {position} of the chain does not match its seal"
                        " (edited, deleted, inserted or reordered, or re-sealed without the key)",
                    )
                )
        if position in anchors and anchors[position] != event.seal:
            findings.append(EventFinding(event.id, "differs from the seal a checkpoint recorded (rewritten)"))
        prev = event.seal or GENESIS
    if (position, prev) != (head_count, head_seal):
        findings.append(
            EventFinding(
                None,
                f"the events' chain holds {position} events but the head records {head_count}"
                " (events removed from the end, or the head was moved)",
            )
        )
    beyond = sorted(n for n in anchors if n > position)
    if beyond:
        findings.append(
            EventFinding(
                None,
                f"the events' chain holds {position} events, but a checkpoint recorded"
                f" {beyond[-1]} (events removed from the end, or wiped)",
            )
        )
    return position, findings
