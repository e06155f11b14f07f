"""The audit log's hash chain: how an entry is sealed and how a chain is checked.

Each entry's hash is SHA-256 over the previous entry's hash and a canonical JSON encoding
of the entry's own fields, so editing, deleting, inserting or reordering any entry breaks
the chain from that point. The store keeps a head (the last sequence number and hash), so
cutting entries off the end is caught too.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

GENESIS = "0" * 64


class Operation(StrEnum):
    """What was done with personal data (the processing operations the log must record)."""

    COLLECTION = "collection"
    ALTERATION = "alteration"
    CONSULTATION = "consultation"
    DISCLOSURE = "disclosure"
    COMBINATION = "combination"
    ERASURE = "erasure"
    SECURITY = "security"  # log-ins, failures, lock-outs, tokens issued


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: datetime
    actor: str
    operation: Operation
    record_type: str
    record_id: str
    justification: str
    detail: str  # canonical JSON text
    prev_hash: str
    hash: str


def canonical_detail(detail: dict[str, object]) -> str:
    return json.dumps(detail, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def seal(
    seq: int,
    at: datetime,
    actor: str,
    operation: str,
    record_type: str,
    record_id: str,
    justification: str,
    detail: str,
    prev_hash: str,
) -> str:
    """The hash of an entry, given the hash of the one before it."""
    body = json.dumps(
        [
            seq,
            at.isoformat(timespec="microseconds"),
            actor,
            operation,
            record_type,
            record_id,
            justification,
            detail,
            prev_hash,
        ],
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Finding:
    seq: int | None
    problem: str


def verify_chain(entries: Iterable[AuditEntry], head_seq: int, head_hash: str) -> list[Finding]:
    """Check a chain read in storage order; return every problem found (empty when intact).

    1. Sequence numbers must run 1, 2, 3, ... with no gap, repeat or reordering.
    2. Each entry's prev_hash must be the hash of the entry before it.
    3. Each entry's hash must be what its fields seal to (catches edited fields).
    4. The last entry must match the head the store kept (catches entries cut off the end).
    """
    findings: list[Finding] = []
    expected_seq = 1
    prev = GENESIS
    last_seq, last_hash = 0, GENESIS
    for entry in entries:
        if entry.seq != expected_seq:
            kind = "missing or reordered" if entry.seq > expected_seq else "repeated or reordered"
            findings.append(Finding(entry.seq, f"expected entry {expected_seq}, found {entry.seq} ({kind})"))
        if entry.prev_hash != prev:
            findings.append(Finding(entry.seq, "does not link to the entry before it"))
        recomputed = seal(
            entry.seq,
            entry.at,
            entry.actor,
            entry.operation,
            entry.record_type,
            entry.record_id,
            entry.justification,
            entry.detail,
            entry.prev_hash,
        )
        if recomputed != entry.hash:
            findings.append(Finding(entry.seq, "its fields do not match its hash (edited)"))
        expected_seq = entry.seq + 1
        prev = entry.hash
        last_seq, last_hash = entry.seq, entry.hash
    if (last_seq, last_hash) != (head_seq, head_hash):
        findings.append(
            Finding(
                last_seq or None,
                f"the chain ends at entry {last_seq} but the head records entry {head_seq}"
                " (entries removed from the end, or the head was altered)",
            )
        )
    return findings
