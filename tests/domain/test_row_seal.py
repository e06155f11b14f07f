"""Assessment rows checked against the digests their sealed events carry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from thriives.domain.row_seal import SealedRow, row_digest, seal_note, sealed_row, verify_rows

BOUNDARY = datetime(2026, 11, 26, 21, 30, tzinfo=UTC)


def dash_row(row_id: int, at: datetime = BOUNDARY, **changes: Any) -> dict[str, Any]:
    row = {
        "id": row_id,
        "incident_id": "i-1",
        "policy_version": "1",
        "answers": {"q1": "no"},
        "comments": {},
        "yes_count": 0,
        "score_level": "standard",
        "level": "standard",
        "basis": "score",
        "override_reason": None,
        "marac_referral": False,
        "created_by": "sup",
        "created_at": at,
    }
    return row | changes


def sealed(*rows: dict[str, Any]) -> dict[int, SealedRow]:
    return {
        row["id"]: SealedRow(
            "dash_assessments", row["id"], row_digest("dash_assessments", row), 100 + row["id"]
        )
        for row in rows
    }


def test_the_digest_is_the_same_for_the_row_as_the_store_gives_it_back() -> None:
    written = dash_row(1, BOUNDARY.astimezone(UTC) + timedelta(hours=1))
    read = written | {"created_at": written["created_at"].astimezone(UTC)}
    assert row_digest("dash_assessments", written) == row_digest("dash_assessments", read)
    assert row_digest("dash_assessments", written) != row_digest("dash_assessments", read | {"id": 2})
    note = seal_note("dash_assessments", written)
    assert sealed_row(7, "incident.dash_recorded", note) == SealedRow(
        "dash_assessments", 1, note["digest"], 7
    )
    assert sealed_row(7, "incident.opened", note) is None
    assert sealed_row(7, "incident.dash_recorded", {"level": "high"}) is None  # from before sealing


def test_an_edited_deleted_or_inserted_row_is_found() -> None:
    one, two = dash_row(1), dash_row(2)
    digests = sealed(one, two)
    assert verify_rows("dash_assessments", [one, two], digests, None).findings == []
    check = verify_rows("dash_assessments", [one | {"level": "high"}, dash_row(3)], digests, None)
    assert [f.line() for f in check.findings] == [
        "DASH record 1: does not match the digest sealed in event 101 (edited)",
        "DASH record 3: has no digest in the sealed events (inserted behind the application's back)",
        "DASH record 2: sealed in event 102 is missing (deleted)",
    ]


def test_rows_from_before_keyed_sealing_are_counted_only_when_they_can_be_old() -> None:
    old, new = dash_row(1, BOUNDARY - timedelta(days=3)), dash_row(2)
    check = verify_rows("dash_assessments", [old, new], sealed(new), BOUNDARY)
    assert (check.covered, check.legacy, check.findings) == (1, 1, [])
    # No event from before keyed sealing: no row can be from before it either.
    assert len(verify_rows("dash_assessments", [old, new], sealed(new), None).findings) == 1
    # Back-dated but above the first sealed row's id: inserted.
    late = dash_row(3, BOUNDARY - timedelta(days=3))
    assert len(verify_rows("dash_assessments", [old, new, late], sealed(new), BOUNDARY).findings) == 1
