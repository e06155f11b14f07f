"""Possible duplicates and the rules for linking two incidents: table-driven, pure."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from thriives.domain.duplicates import (
    CallFacts,
    LinkPolicy,
    LinkSide,
    Relation,
    check_link,
    find_candidates,
    open_duplicates_of,
    parse_link_policy,
    spoken_phone,
)
from thriives.domain.errors import Conflict, DomainError
from thriives.policy.loading import load_category_policy

NOW = datetime(2026, 11, 26, 22, 0, tzinfo=UTC)
POLICY = LinkPolicy(
    "test",
    live_hours=24,
    recent_minutes=120,
    nearby_metres=200,
    shown=10,
    duplicate_closure_reason="duplicate",
)
THIS = CallFacts(
    "TH-261126-0009",
    "open",
    NOW,
    caller_name="Ada Quill",
    caller_phone="07700900123",
    location_text="14 Larkspur Row",
    postcode="TH4 7QX",
    latitude=52.0,
    longitude=-1.0,
    people={7: "Ada Quill"},
)
BLANK = CallFacts("TH-261126-0001", "graded", NOW - timedelta(minutes=14))


@pytest.mark.parametrize(
    ("other", "reasons"),
    [
        (replace(BLANK, caller_phone="07700900123"), ["same caller number 07700 900123"]),
        (replace(BLANK, people={7: "Ada Quill"}), ["same person on record: Ada Quill"]),
        (replace(BLANK, caller_name="  ada QUILL "), ["same caller name Ada Quill"]),
        (replace(BLANK, location_text="14, Larkspur row", postcode="TH4 7QX"), ["same address"]),
        (replace(BLANK, location_text="14 Larkspur Row", postcode="TH4 9ZZ"), []),
        (replace(BLANK, postcode="TH4 7QX"), ["same postcode TH4 7QX"]),
        (replace(BLANK, latitude=52.0009, longitude=-1.0), ["100 m away, 14 minutes ago"]),
        (replace(BLANK, latitude=52.01, longitude=-1.0), []),
        (replace(BLANK, caller_phone="07700900999", caller_name="Bob Stone", postcode="TH1 1AA"), []),
        (
            replace(BLANK, caller_phone="07700900123", postcode="TH4 7QX"),
            ["same caller number 07700 900123", "same postcode TH4 7QX"],
        ),
    ],
)
def test_each_shared_detail_is_a_reason_in_words(other: CallFacts, reasons: list[str]) -> None:
    found = find_candidates(THIS, [other], POLICY, NOW)
    assert [list(c.reasons) for c in found] == ([reasons] if reasons else [])


@pytest.mark.parametrize(
    ("status", "minutes_before", "offered"),
    [
        ("graded", 60 * 23, True),  # live: within 24 hours
        ("dispatched", 60 * 25, False),  # live but older than the window
        ("closed", 119, True),  # recently closed
        ("closed", 121, False),  # closed too long before
    ],
)
def test_live_incidents_within_a_day_and_closed_ones_within_the_recent_window_are_offered(
    status: str, minutes_before: int, offered: bool
) -> None:
    other = replace(
        BLANK, status=status, received_at=NOW - timedelta(minutes=minutes_before), caller_phone="07700900123"
    )
    assert bool(find_candidates(THIS, [other], POLICY, NOW)) is offered


def test_itself_and_incidents_already_decided_are_not_offered() -> None:
    same = replace(THIS)
    decided = replace(BLANK, caller_phone="07700900123")
    assert find_candidates(THIS, [same, decided], POLICY, NOW, frozenset({decided.reference})) == []


def test_candidates_are_ranked_by_weight_then_live_then_newest() -> None:
    postcode_only = replace(BLANK, reference="TH-1", postcode="TH4 7QX")
    phone_closed = replace(BLANK, reference="TH-2", status="closed", caller_phone="07700900123")
    phone_live = replace(
        BLANK, reference="TH-3", caller_phone="07700900123", received_at=NOW - timedelta(hours=3)
    )
    found = find_candidates(THIS, [postcode_only, phone_closed, phone_live], POLICY, NOW)
    assert [c.reference for c in found] == ["TH-3", "TH-2", "TH-1"]
    assert found[1].live is False


def test_at_most_the_policys_number_are_offered() -> None:
    others = [replace(BLANK, reference=f"TH-{n}", caller_phone="07700900123") for n in range(15)]
    assert len(find_candidates(THIS, others, replace(POLICY, shown=3), NOW)) == 3


def side(
    reference: str = "TH-A", status: str = "open", day: int = 26, minutes: int = 0, **extra: object
) -> LinkSide:
    at = datetime(2026, 11, day, 12, 0, tzinfo=UTC) + timedelta(minutes=minutes)
    return LinkSide(reference, status, at, at.date(), **extra)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("this", "other", "relation", "existing", "field", "words"),
    [
        (side("TH-A"), side("TH-A"), Relation.RELATED, None, "other", "itself"),
        (side("TH-A"), side("TH-B", "closed", day=25), Relation.RELATED, None, "other", "another day"),
        (side("TH-A", "closed", day=25), side("TH-B"), Relation.RELATED, None, "other", "another day"),
        (side("TH-A"), side("TH-B"), Relation.RELATED, Relation.RELATED, "other", "already linked"),
        (
            side("TH-A"),
            side("TH-B"),
            Relation.SEPARATE,
            Relation.SEPARATE,
            "other",
            "already declared separate",
        ),
        (side("TH-A", "closed"), side("TH-B"), Relation.DUPLICATE, None, "relation", "is closed"),
        (
            side("TH-A", "dispatched"),
            side("TH-B"),
            Relation.DUPLICATE,
            None,
            "relation",
            "a unit is assigned",
        ),
        (
            side("TH-A", duplicates=("TH-C",)),
            side("TH-B"),
            Relation.DUPLICATE,
            None,
            "relation",
            "TH-C is recorded",
        ),
        (
            side("TH-A"),
            side("TH-B", "closed", duplicate_of="TH-Z"),
            Relation.DUPLICATE,
            None,
            "other",
            "link to TH-Z",
        ),
    ],
)
def test_a_link_that_must_not_be_made_is_refused_naming_the_field(
    this: LinkSide, other: LinkSide, relation: Relation, existing: Relation | None, field: str, words: str
) -> None:
    with pytest.raises(DomainError) as refused:
        check_link(this, other, relation, existing, POLICY)
    assert refused.value.field == field
    assert words in refused.value.message


@pytest.mark.parametrize(
    ("this", "other", "relation", "existing"),
    [
        (side("TH-A"), side("TH-B", "graded", day=20), Relation.DUPLICATE, None),  # live, any day
        (side("TH-A"), side("TH-B", "closed"), Relation.DUPLICATE, None),  # closed the same day
        (
            side("TH-A", day=27, minutes=-715),
            side("TH-B", "closed", minutes=700),
            Relation.RELATED,
            None,
        ),  # midnight
        (side("TH-A"), side("TH-B"), Relation.RELATED, Relation.SEPARATE),  # separate, then found related
    ],
)
def test_links_within_the_rules_are_allowed(
    this: LinkSide, other: LinkSide, relation: Relation, existing: Relation | None
) -> None:
    check_link(this, other, relation, existing, POLICY)


def test_a_second_link_of_the_same_pair_is_a_conflict() -> None:
    with pytest.raises(Conflict):
        check_link(side("TH-A"), side("TH-B"), Relation.RELATED, Relation.DUPLICATE, POLICY)


def test_an_open_duplicate_stops_its_first_incident_closing() -> None:
    reasons = open_duplicates_of([("TH-2", "open"), ("TH-3", "closed")])
    assert len(reasons) == 1 and reasons[0].startswith("TH-2 is recorded as a duplicate")


def test_phone_numbers_are_written_as_spoken() -> None:
    assert spoken_phone("07700900123") == "07700 900123"
    assert spoken_phone("+3312345678") == "+3312345678"


def test_the_link_policy_names_each_fault() -> None:
    categories = load_category_policy()
    good = {
        "version": "v",
        "duplicates": {
            "live_hours": 24,
            "recent_minutes": 120,
            "nearby_metres": 200,
            "shown": 10,
            "closure_reason": "duplicate",
        },
    }
    assert parse_link_policy(good, categories).nearby_metres == 200
    bad = {
        "version": "v",
        "duplicates": good["duplicates"] | {"nearby_metres": 0, "closure_reason": "dupe", "extra": 1},
    }
    with pytest.raises(ValueError) as refused:
        parse_link_policy(bad, categories)
    message = str(refused.value)
    assert (
        "duplicates.nearby_metres" in message
        and "duplicates.closure_reason" in message
        and "duplicates.extra" in message
    )
