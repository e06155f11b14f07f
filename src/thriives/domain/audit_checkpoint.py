"""Signed checkpoints of the audit and events heads, kept outside the database.

A checkpoint records where both chains stood at a moment: the audit log's last sequence
number and seal, how many entries it held, where keyed sealing began, and the events'
count and last seal. It is signed (HMAC-SHA256) with the audit key and written as one
JSON line to a file the database's users cannot write. Verifying against it catches what
the chain alone cannot: a tail cut off with the head moved to match, and a wiped log.
"""

from __future__ import annotations

import hmac
import json
from dataclasses import asdict, dataclass
from datetime import datetime

from thriives.domain.audit_chain import AuditKey, AuditKeys, digest

FIELDS = ("at", "seq", "seal", "count", "keyed_from", "event_count", "event_seal", "event_from", "key_id")


@dataclass(frozen=True)
class Checkpoint:
    at: datetime
    seq: int
    seal: str
    count: int
    keyed_from: int
    event_count: int
    event_seal: str
    event_from: int
    key_id: str

    def _body(self) -> list[object]:
        values = asdict(self)
        values["at"] = self.at.isoformat(timespec="microseconds")
        return [values[name] for name in FIELDS]


def signed_line(checkpoint: Checkpoint, key: AuditKey) -> str:
    """The checkpoint as one JSON line, signed with the key it names."""
    assert key.key_id == checkpoint.key_id
    values: dict[str, object] = dict(zip(FIELDS, checkpoint._body(), strict=True))
    values["signature"] = digest(checkpoint._body(), key)
    return json.dumps(values, separators=(",", ":"))


def read_line(line: str, keys: AuditKeys) -> Checkpoint:
    """Parse and check one checkpoint line; ValueError says plainly what is wrong with it."""
    try:
        values = json.loads(line)
        checkpoint = Checkpoint(
            at=datetime.fromisoformat(values["at"]),
            seq=int(values["seq"]),
            seal=str(values["seal"]),
            count=int(values["count"]),
            keyed_from=int(values["keyed_from"]),
            event_count=int(values["event_count"]),
            event_seal=str(values["event_seal"]),
            event_from=int(values["event_from"]),
            key_id=str(values["key_id"]),
        )
        signature = str(values["signature"])
    except (ValueError, KeyError, TypeError) as error:
        raise ValueError(f"not a checkpoint ({error})") from error
    key = keys.get(checkpoint.key_id)
    if key is None:
        raise ValueError(f"signed with key {checkpoint.key_id!r}, which is not in the key file")
    if not hmac.compare_digest(digest(checkpoint._body(), key), signature):
        raise ValueError("its signature does not match (the checkpoint was altered or forged)")
    return checkpoint
