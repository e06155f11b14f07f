"""The audit log's chain: how an entry is sealed and how a chain is checked.

Each entry's seal is HMAC-SHA256, under a secret key held outside the database, over the
previous entry's seal and a canonical JSON encoding of the entry's own fields (its key id
among them). Editing, deleting, inserting or reordering any entry breaks the chain from
that point, and nobody without the key can seal a rewritten chain again. The store keeps
a head (the last sequence number and seal), so cutting entries off the end is caught when
the head is left alone; signed checkpoints kept outside the database (see
``audit_checkpoint``) catch a head moved to match, and a wiped log.

Entries written before keyed sealing (before migration 0010) carry no key id and a plain
SHA-256 seal. They stay protected while one keyed entry follows them: the first keyed
entry seals the last plain entry's hash, so rewriting any of them breaks that link.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
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
class AuditKey:
    """A sealing key: its id (stored with every entry it seals) and its secret."""

    key_id: str
    secret: bytes

    def __repr__(self) -> str:  # never print the secret
        return f"AuditKey({self.key_id!r})"


@dataclass(frozen=True)
class AuditKeys:
    """The key ring: the current key seals new entries; older keys still verify theirs."""

    current: AuditKey
    older: tuple[AuditKey, ...] = ()

    def get(self, key_id: str | None) -> AuditKey | None:
        for key in (self.current, *self.older):
            if key.key_id == key_id:
                return key
        return None


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
    hash: str  # the seal
    key_id: str | None = None  # None: sealed before keyed sealing (plain SHA-256)


def canonical_detail(detail: object) -> str:
    return json.dumps(detail, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def digest(body: list[object], key: AuditKey | None) -> str:
    """HMAC-SHA256 of a canonical JSON body under the key (plain SHA-256 without one)."""
    text = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    if key is None:
        return hashlib.sha256(text).hexdigest()
    return hmac.new(key.secret, text, hashlib.sha256).hexdigest()


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
    key: AuditKey | None = None,
) -> str:
    """The seal of an entry, given the seal of the one before it (unkeyed: the old form)."""
    body: list[object] = [
        seq,
        at.isoformat(timespec="microseconds"),
        actor,
        operation,
        record_type,
        record_id,
        justification,
        detail,
        prev_hash,
    ]
    if key is not None:
        body.append(key.key_id)
    return digest(body, key)


@dataclass(frozen=True)
class Finding:
    seq: int | None
    problem: str


def _entry_problem(entry: AuditEntry, keys: AuditKeys | None, keyed_from: int) -> str | None:
    """Why an entry's seal does not hold, or None when it does."""
    keyed = keys is not None and entry.seq >= keyed_from
    if keyed and entry.key_id is None:
        return "unkeyed, where every entry from here on must be sealed with the key (re-sealed)"
    if not keyed and entry.key_id is not None:
        return "sealed with a key, before keyed sealing began (the boundary was moved)"
    key = keys.get(entry.key_id) if keys is not None and keyed else None
    if keyed and key is None:
        return f"sealed with key {entry.key_id!r}, which is not in the key file (forged, or a key is missing)"
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
        key,
    )
    if not hmac.compare_digest(recomputed, entry.hash):
        return "its fields do not match its seal (edited, or re-sealed without the key)"
    return None


def verify_chain(
    entries: Iterable[AuditEntry],
    head_seq: int,
    head_hash: str,
    keys: AuditKeys | None = None,
    keyed_from: int = 1,
    anchors: Mapping[int, str] | None = None,
) -> list[Finding]:
    """Check a chain read in storage order; return every problem found (empty when intact).

    1. Sequence numbers must run 1, 2, 3, ... with no gap, repeat or reordering.
    2. Each entry's prev_hash must be the seal of the entry before it.
    3. Each entry's seal must be what its fields seal to under its key (catches edits and
       chains re-sealed without the key); entries from ``keyed_from`` on must be keyed.
    4. The last entry must match the head the store kept (catches entries cut off the end).
    5. Each anchor (a checkpoint's seq and seal, kept outside the database) must be found
       unchanged (catches a tail cut off with the head moved to match, and a wiped log).
    Without ``keys`` every entry is checked in the old unkeyed form.
    """
    findings: list[Finding] = []
    anchors = anchors or {}
    expected_seq = 1
    prev = GENESIS
    last_seq, last_hash = 0, GENESIS
    for entry in entries:
        if entry.seq != expected_seq:
            kind = "missing or reordered" if entry.seq > expected_seq else "repeated or reordered"
            findings.append(Finding(entry.seq, f"expected entry {expected_seq}, found {entry.seq} ({kind})"))
        if entry.prev_hash != prev:
            findings.append(Finding(entry.seq, "does not link to the entry before it"))
        problem = _entry_problem(entry, keys, keyed_from)
        if problem:
            findings.append(Finding(entry.seq, problem))
        if entry.seq in anchors and anchors[entry.seq] != entry.hash:
            findings.append(Finding(entry.seq, "differs from the seal a checkpoint recorded (rewritten)"))
        expected_seq = entry.seq + 1
        prev = entry.hash
        last_seq, last_hash = entry.seq, entry.hash
    if (last_seq, last_hash) != (head_seq, head_hash):
        findings.append(
            Finding(
                last_seq or None,
                f"the chain ends at entry {last_seq} but the head records entry {head_seq}"
                " (entries removed from the end, or the head was moved)",
            )
        )
    beyond = sorted(seq for seq in anchors if seq > last_seq)
    if beyond:
        what = "the log is empty (wiped)" if last_seq == 0 else f"the log ends at entry {last_seq}"
        findings.append(
            Finding(
                None,
                f"{what}, but a checkpoint recorded entry {beyond[-1]} (entries removed from the end)",
            )
        )
    return findings
