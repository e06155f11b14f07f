from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from thriives.domain.audit_chain import (
    GENESIS,
    AuditEntry,
    AuditKey,
    AuditKeys,
    Operation,
    seal,
    verify_chain,
)
from thriives.domain.audit_checkpoint import Checkpoint, read_line, signed_line
from thriives.domain.event_chain import SealedEvent, event_seal, verify_events

START = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def chain(length: int) -> list[AuditEntry]:
    entries, prev = [], GENESIS
    for seq in range(1, length + 1):
        at = START + timedelta(seconds=seq)
        fields = (
            seq,
            at,
            f"user{seq % 3}",
            Operation.CONSULTATION.value,
            "incident",
            f"TH-{seq}",
            "operational",
            "{}",
        )
        digest = seal(*fields, prev)
        entries.append(
            AuditEntry(
                seq,
                at,
                f"user{seq % 3}",
                Operation.CONSULTATION,
                "incident",
                f"TH-{seq}",
                "operational",
                "{}",
                prev,
                digest,
            )
        )
        prev = digest
    return entries


def head(entries: list[AuditEntry]) -> tuple[int, str]:
    return entries[-1].seq, entries[-1].hash


def test_an_intact_chain_has_no_findings() -> None:
    entries = chain(20)
    assert verify_chain(entries, *head(entries)) == []


def test_an_empty_chain_with_a_genesis_head_is_intact() -> None:
    assert verify_chain([], 0, GENESIS) == []


def test_an_edited_entry_is_found_by_number() -> None:
    entries = chain(10)
    entries[4] = replace(entries[4], justification="nosy")
    findings = verify_chain(entries, *head(entries))
    assert [f.seq for f in findings] == [5]
    assert "edited" in findings[0].problem


def test_a_deleted_entry_is_found() -> None:
    entries = chain(10)
    original_head = head(entries)
    del entries[3]
    findings = verify_chain(entries, *original_head)
    assert findings and findings[0].seq == 5
    assert "missing" in findings[0].problem


def test_an_inserted_entry_is_found() -> None:
    entries = chain(10)
    forged = replace(entries[2], seq=3, actor="intruder")
    entries.insert(3, forged)
    assert any(f.seq == 3 for f in verify_chain(entries, *head(chain(10))))


def test_reordered_entries_are_found() -> None:
    entries = chain(10)
    entries[2], entries[3] = entries[3], entries[2]
    findings = verify_chain(entries, *head(entries))
    assert {f.seq for f in findings} >= {3, 4}


def test_entries_cut_off_the_end_are_found_through_the_head() -> None:
    entries = chain(10)
    findings = verify_chain(entries[:8], *head(entries))
    assert len(findings) == 1 and "head" in findings[0].problem


def test_a_chain_rebuilt_after_an_edit_still_fails_against_the_head() -> None:
    entries = chain(5)
    original_head = head(entries)
    rebuilt, prev = [], GENESIS
    for entry in entries:
        actor = "someone-else" if entry.seq == 2 else entry.actor
        digest = seal(
            entry.seq,
            entry.at,
            actor,
            entry.operation,
            entry.record_type,
            entry.record_id,
            entry.justification,
            entry.detail,
            prev,
        )
        rebuilt.append(replace(entry, actor=actor, prev_hash=prev, hash=digest))
        prev = digest
    assert verify_chain(rebuilt, *original_head) != []


KEY = AuditKey("k1", b"k" * 32)
NEW_KEY = AuditKey("k2", b"n" * 32)
FORGER = AuditKey("k1", b"f" * 32)  # the real key's id, a secret of the forger's own


def keyed_chain(
    length: int, keyed_from: int = 1, key_for: dict[int, AuditKey] | None = None
) -> list[AuditEntry]:
    entries, prev = [], GENESIS
    for seq in range(1, length + 1):
        key = None if seq < keyed_from else (key_for or {}).get(seq, KEY)
        at = START + timedelta(seconds=seq)
        fields = (seq, at, "user", "consultation", "incident", f"TH-{seq}", "operational", "{}")
        digest = seal(*fields, prev, key)
        entries.append(
            AuditEntry(
                seq,
                at,
                "user",
                Operation.CONSULTATION,
                "incident",
                f"TH-{seq}",
                "operational",
                "{}",
                prev,
                digest,
                key.key_id if key else None,
            )
        )
        prev = digest
    return entries


def test_a_keyed_chain_verifies_only_with_its_key() -> None:
    entries = keyed_chain(6)
    assert verify_chain(entries, *head(entries), AuditKeys(KEY)) == []
    assert verify_chain(entries, *head(entries), AuditKeys(FORGER)) != []


def test_a_chain_resealed_without_the_key_is_found() -> None:
    forged = keyed_chain(6, key_for={seq: FORGER for seq in range(3, 7)})
    findings = verify_chain(forged, *head(forged), AuditKeys(KEY))
    assert findings[0].seq == 3 and "without the key" in findings[0].problem


def test_unkeyed_entries_after_the_boundary_are_found() -> None:
    entries = keyed_chain(6, keyed_from=100)  # all plain SHA-256
    findings = verify_chain(entries, *head(entries), AuditKeys(KEY), keyed_from=4)
    assert [f.seq for f in findings] == [4, 5, 6]


def test_entries_from_before_keyed_sealing_verify_and_are_held_by_the_first_keyed_one() -> None:
    entries = keyed_chain(6, keyed_from=4)
    keys = AuditKeys(KEY)
    assert verify_chain(entries, *head(entries), keys, keyed_from=4) == []
    entries[1] = replace(entries[1], actor="someone.else")
    assert verify_chain(entries, *head(entries), keys, keyed_from=4) != []


def test_entries_sealed_with_a_rotated_out_key_still_verify() -> None:
    entries = keyed_chain(6, key_for={5: NEW_KEY, 6: NEW_KEY})
    assert verify_chain(entries, *head(entries), AuditKeys(NEW_KEY, (KEY,))) == []
    missing = verify_chain(entries, *head(entries), AuditKeys(NEW_KEY))
    assert "not in the key file" in missing[0].problem


def test_a_checkpoint_finds_a_tail_cut_with_the_head_moved_to_match() -> None:
    entries = keyed_chain(8)
    anchors = {8: entries[-1].hash}
    cut = entries[:5]
    assert verify_chain(cut, *head(cut), AuditKeys(KEY)) == []  # the chain alone cannot tell
    findings = verify_chain(cut, *head(cut), AuditKeys(KEY), anchors=anchors)
    assert "checkpoint recorded entry 8" in findings[0].problem
    wiped = verify_chain([], 0, GENESIS, AuditKeys(KEY), anchors=anchors)
    assert "wiped" in wiped[0].problem


def test_a_checkpoint_line_is_signed_and_an_altered_one_is_refused() -> None:
    checkpoint = Checkpoint(START, 8, "a" * 64, 8, 1, 3, "b" * 64, 1, "k1")
    line = signed_line(checkpoint, KEY)
    assert read_line(line, AuditKeys(KEY)) == checkpoint
    with pytest.raises(ValueError, match="signature"):
        read_line(line.replace('"seq":8', '"seq":5'), AuditKeys(KEY))
    with pytest.raises(ValueError, match="signature"):
        read_line(line, AuditKeys(FORGER))
    with pytest.raises(ValueError, match="not a checkpoint"):
        read_line("{}", AuditKeys(KEY))


def sealed_events(count: int, key: AuditKey = KEY) -> list[SealedEvent]:
    events, prev = [], GENESIS
    for n in range(1, count + 1):
        at = START + timedelta(seconds=n)
        data = {"after": {"status": "open", "n": n}}
        prev = event_seal(n, at, f"id-{n}", "handler", "incident.opened", data, prev, key)
        events.append(
            SealedEvent(100 + n, at, f"id-{n}", "handler", "incident.opened", data, prev, key.key_id)
        )
    return events


def test_the_events_chain_finds_an_edited_deleted_or_resealed_event() -> None:
    events = sealed_events(5)
    keys = AuditKeys(KEY)
    assert verify_events(events, 5, events[-1].seal or "", keys) == (5, [])
    edited = [*events[:2], replace(events[2], kind="incident.closed"), *events[3:]]
    assert verify_events(edited, 5, events[-1].seal or "", keys)[1][0].event_id == 103
    deleted = events[:2] + events[3:]
    assert verify_events(deleted, 5, events[-1].seal or "", keys)[1][0].event_id == 104
    forged = sealed_events(5, FORGER)
    assert verify_events(forged, 5, forged[-1].seal or "", keys)[1] != []
