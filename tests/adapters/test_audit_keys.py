"""The audit key file: created once, owner-only, rotated by appending, refused when damaged."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from thriives.adapters.audit_keys import KeyFileError, load_keys, rotate_key

NOW = datetime(2026, 12, 8, 2, 0, tzinfo=UTC)


def test_a_missing_key_file_is_created_readable_by_its_owner_only_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "var" / "audit.key"
    first = load_keys(path, NOW)
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_keys(path, NOW) == first
    assert len(first.current.secret) == 32


def test_rotation_appends_a_current_key_and_keeps_the_old_one(tmp_path: Path) -> None:
    path = tmp_path / "audit.key"
    old = load_keys(path, NOW).current
    new = rotate_key(path, NOW)
    keys = load_keys(path, NOW)
    assert keys.current == new and keys.get(old.key_id) == old and new.key_id != old.key_id


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("k1 nothex\n", "line 1"),
        ("k1 00ff\n", "shorter than 16 bytes"),
        ("# only a comment\n", "no key"),
        ("k1 " + "ab" * 32 + "\nk1 " + "cd" * 32 + "\n", "twice"),
    ],
)
def test_a_damaged_key_file_is_refused_with_the_reason(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "audit.key"
    path.write_text(text)
    with pytest.raises(KeyFileError, match=problem):
        load_keys(path, NOW)
