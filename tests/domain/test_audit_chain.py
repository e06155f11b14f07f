from dataclasses import replace
from datetime import UTC, datetime, timedelta

from thriives.domain.audit_chain import GENESIS, AuditEntry, Operation, seal, verify_chain

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
