"""Sealing the records an event stands for: a risk assessment and a DASH record.

The events' chain seals what each event says, but an assessment's content (its ratings,
rationales, advice, answers, proposed and final grade) lives in its own table. So the
event written in the same transaction (``incident.assessed``, ``incident.dash_recorded``)
carries the row's id and the SHA-256 digest of a canonical JSON of the row's content
columns (its id and incident among them): the event is sealed, so the digest is sealed.
Verification recomputes each row's digest and compares it with the sealed one: a row
edited, deleted, or inserted behind the application's back is found.

Rows written before keyed sealing (before migration 0010) carry no sealed digest and are
not covered: they are counted and reported, as the older events are.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

# The content columns sealed, table by table (fixed: a column added later is not sealed
# until it is added here, and adding it here would break the digests already sealed).
SEALED_COLUMNS: dict[str, tuple[str, ...]] = {
    "assessments": (
        "id",
        "incident_id",
        "version",
        "model",
        "policy_version",
        "submission",
        "levels",
        "raised",
        "indicators",
        "question_sets",
        "proposed_grade",
        "reasons",
        "final_grade",
        "override_reason",
        "downgrade",
        "suggestions",
        "created_by",
        "created_at",
    ),
    "dash_assessments": (
        "id",
        "incident_id",
        "policy_version",
        "answers",
        "comments",
        "yes_count",
        "score_level",
        "level",
        "basis",
        "override_reason",
        "marac_referral",
        "created_by",
        "created_at",
    ),
}
# The event that seals each table's rows, and the plain name of one of its rows.
SEALING_EVENTS = {"incident.assessed": "assessments", "incident.dash_recorded": "dash_assessments"}
ROW_NAMES = {"assessments": "assessment", "dash_assessments": "DASH record"}


def _plain(value: object) -> object:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    return value


def row_digest(table: str, row: Mapping[str, Any]) -> str:
    """SHA-256 of a canonical JSON of the row's sealed columns, as the store gives them back."""
    body = [table, [_plain(row[column]) for column in SEALED_COLUMNS[table]]]
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def seal_note(table: str, row: Mapping[str, Any]) -> dict[str, Any]:
    """What the sealing event carries: the row's id and digest."""
    return {"row_id": row["id"], "digest": row_digest(table, row)}


@dataclass(frozen=True)
class SealedRow:
    """A row's digest as an event in the sealed chain recorded it."""

    table: str
    row_id: int
    digest: str
    event_id: int


@dataclass(frozen=True)
class RowFinding:
    table: str
    row_id: int
    problem: str

    def line(self) -> str:
        return f"{ROW_NAMES[self.table]} {self.row_id}: {self.problem}"


def sealed_row(event_id: int, kind: str, data: object) -> SealedRow | None:
    """The row digest an event carries, or None if it carries none."""
    table = SEALING_EVENTS.get(kind)
    if table is None or not isinstance(data, dict):
        return None
    row_id, digest = data.get("row_id"), data.get("digest")
    if not isinstance(row_id, int) or not isinstance(digest, str):
        return None
    return SealedRow(table, row_id, digest, event_id)


@dataclass
class RowCheck:
    """One table's rows checked against the digests sealed for them."""

    covered: int = 0
    legacy: int = 0
    findings: list[RowFinding] = field(default_factory=list)


def verify_rows(
    table: str,
    rows: Iterable[Mapping[str, Any]],
    sealed: dict[int, SealedRow],
    legacy_before: datetime | None,
) -> RowCheck:
    """Check a table's rows (in id order) against the digests its events sealed.

    1. A row with a sealed digest must still match it (else it was edited).
    2. A row with none is older than keyed sealing only if written before ``legacy_before``
       (the first sealed event's time; None when no event predates keyed sealing, so no
       row can) and below the first sealed row's id; otherwise it was inserted.
    3. Every sealed row must still be there (else it was deleted).
    """
    check = RowCheck()
    findings = check.findings
    first_sealed = min(sealed, default=None)
    seen: set[int] = set()
    for row in rows:
        row_id = int(row["id"])
        seen.add(row_id)
        recorded = sealed.get(row_id)
        if recorded is not None:
            check.covered += 1
            if row_digest(table, row) != recorded.digest:
                findings.append(
                    RowFinding(
                        table,
                        row_id,
                        f"does not match the digest sealed in event {recorded.event_id} (edited)",
                    )
                )
        elif (
            legacy_before is not None
            and row["created_at"] < legacy_before
            and (first_sealed is None or row_id < first_sealed)
        ):
            check.legacy += 1
        else:
            findings.append(
                RowFinding(
                    table,
                    row_id,
                    "has no digest in the sealed events (inserted behind the application's back)",
                )
            )
    for row_id in sorted(set(sealed) - seen):
        findings.append(
            RowFinding(
                table,
                row_id,
                f"sealed in event {sealed[row_id].event_id} is missing (deleted)",
            )
        )
    return check
