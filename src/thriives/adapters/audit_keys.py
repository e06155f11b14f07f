"""The audit key file: the secret that seals the audit log, held outside the database.

One key a line, ``KEY_ID SECRET_HEX``; lines starting with ``#`` are comments. The last
line is the current key (it seals new entries and signs checkpoints); earlier lines stay
so that entries and checkpoints they sealed still verify. Rotation appends a line
(``thriives audit rotate-key``). A missing file is created with a fresh key, readable by
its owner only.
"""

from __future__ import annotations

import os
import secrets
from datetime import datetime
from pathlib import Path

from thriives.domain.audit_chain import AuditKey, AuditKeys

HEADER = (
    "# thriives audit keys: one 'KEY_ID SECRET_HEX' a line; the last line seals new entries.\n"
    "# Keep every line: older keys verify what they sealed. Never store this file in the database.\n"
)


class KeyFileError(Exception):
    pass


def _new_key(now: datetime) -> AuditKey:
    return AuditKey(f"k{now:%Y%m%d%H%M%S}-{secrets.token_hex(3)}", secrets.token_bytes(32))


def _append(path: Path, key: AuditKey, header: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(descriptor, "a", encoding="utf-8") as handle:
        if header:
            handle.write(HEADER)
        handle.write(f"{key.key_id} {key.secret.hex()}\n")


def _create(path: Path, key: AuditKey) -> None:
    """Write a new key file whole, then link it into place: two processes starting at once
    never write two different first keys (the second link fails and its key is dropped)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    _append(draft, key, header=True)
    try:
        os.link(draft, path)
    except FileExistsError:
        pass
    finally:
        draft.unlink()


def load_keys(path: Path, now: datetime) -> AuditKeys:
    """The key ring in the file; a missing file is created with a fresh key."""
    if not path.exists():
        _create(path, _new_key(now))
    keys: list[AuditKey] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        try:
            if len(parts) != 2 or not 1 <= len(parts[0]) <= 40:
                raise ValueError("expected 'KEY_ID SECRET_HEX'")
            secret = bytes.fromhex(parts[1])
            if len(secret) < 16:
                raise ValueError("the secret is shorter than 16 bytes")
        except ValueError as error:
            raise KeyFileError(f"{path}: line {number}: {error}") from error
        keys.append(AuditKey(parts[0], secret))
    if not keys:
        raise KeyFileError(f"{path}: no key in the file")
    if len({key.key_id for key in keys}) != len(keys):
        raise KeyFileError(f"{path}: a key id appears twice")
    return AuditKeys(keys[-1], tuple(reversed(keys[:-1])))


def rotate_key(path: Path, now: datetime) -> AuditKey:
    """Append a new current key; the older ones stay to verify what they sealed."""
    load_keys(path, now)  # refuse to append to a damaged file
    key = _new_key(now)
    _append(path, key, header=False)
    return key
