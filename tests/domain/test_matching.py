"""Matching a query against people on record: keys shared, points, explanations, likely."""

from __future__ import annotations

from datetime import date

import pytest

from thriives.domain.addresses import parse_address
from thriives.domain.intel import parse_query
from thriives.domain.matching import (
    Bands,
    FieldMatch,
    Match,
    Name,
    PersonFacts,
    likely,
    person_keys,
    query_keys,
    rank,
    score,
)

TODAY = date(2026, 11, 26)
BANDS = Bands()
JOHN = PersonFacts(
    1,
    (Name(("john",), "smith"),),
    date(1984, 3, 7),
    (parse_address("Flat 2, 14 High Street, Thornbury TH1 2AB"),),
    frozenset({"07700900123"}),
    frozenset({"TH00ABC"}),
)
JANE = PersonFacts(2, (Name(("jane",), "smith"),), date(1990, 11, 2), JOHN.addresses)


@pytest.mark.parametrize(
    "terms",
    [
        {"name": "Jon Smyth"},
        {"name": "Smith John"},
        {"name": "Johnny Smitt"},
        {"name": "J Smith", "date_of_birth": "03/07/1984"},
        {"date_of_birth": "1984-07-03"},
        {"postcode": "th12ab"},
        {"phone": "+44 7700 900123"},
        {"registration": "th00 abc"},
        {"address": "14 High St"},
    ],
)
def test_a_query_shares_a_key_with_the_person_it_means(terms: dict[str, str]) -> None:
    assert query_keys(parse_query(TODAY, **terms)) & person_keys(JOHN)


@pytest.mark.parametrize(
    ("terms", "field", "how"),
    [
        ({"name": "John Smith"}, "name", "exact"),
        ({"name": "Jon Smyth"}, "name", "phonetic"),
        ({"name": "Jack Smith"}, "name", "nickname"),
        ({"name": "Smith John"}, "name", "swapped"),
        ({"name": "John Smitg"}, "name", "typo"),
        ({"name": "J Smith"}, "name", "initial"),
        ({"name": "John Smith", "date_of_birth": "03/07/1984"}, "date_of_birth", "transposed"),
        ({"name": "John Smith", "date_of_birth": "07/03/1985"}, "date_of_birth", "typo"),
        ({"name": "John Smith", "date_of_birth": "01/01/1950"}, "date_of_birth", "different"),
        ({"name": "John Smith", "postcode": "TH1 2AB"}, "address", "postcode"),
        ({"name": "John Smith", "address": "2/14 High St TH1 2AB"}, "address", "exact"),
    ],
)
def test_each_field_says_how_it_matched(terms: dict[str, str], field: str, how: str) -> None:
    found = {f.field: f.how for f in score(parse_query(TODAY, **terms), JOHN, BANDS).fields}
    assert found[field] == how


def test_a_full_agreement_outscores_every_partial_one() -> None:
    exact = score(parse_query(TODAY, name="John Smith", date_of_birth="1984-03-07"), JOHN, BANDS)
    swapped = score(parse_query(TODAY, name="John Smith", date_of_birth="1984-07-03"), JOHN, BANDS)
    assert exact.score > swapped.score > 0
    assert exact.band == "strong"


def test_a_clear_disagreement_costs_points() -> None:
    query = parse_query(TODAY, name="John Smith", date_of_birth="1990-11-02")
    ranked = rank(query, [JOHN, JANE], BANDS, 10)
    assert [m.person_id for m in ranked] == [2, 1]


def _match(person_id: int, points: float, fields: tuple[FieldMatch, ...] = ()) -> Match:
    named = (FieldMatch("name", "exact", 7.0, ""), *fields)
    return Match(person_id, points, BANDS.of(points), named)


DOB = (FieldMatch("date_of_birth", "exact", 5.0, ""),)


@pytest.mark.parametrize(
    ("matches", "expected"),
    [
        ([_match(1, 12.0, DOB), _match(2, 5.0, DOB)], 1),  # strong
        ([_match(1, 8.0, DOB), _match(2, 3.0)], 1),  # possible, clearly ahead
        ([_match(1, 8.0, DOB), _match(2, 6.0, DOB)], None),  # possible, not clearly ahead
        ([_match(1, 12.0, DOB), _match(2, 12.0, DOB)], None),  # tied: twins
        ([_match(1, 7.0)], None),  # the name alone: a namesake looks the same
        ([_match(1, 4.0, DOB)], None),  # weak
        ([], None),
    ],
)
def test_the_likely_person_is_named_only_when_the_record_says_so(
    matches: list[Match], expected: int | None
) -> None:
    best = likely(matches, BANDS)
    assert (best.person_id if best else None) == expected


def test_a_sound_alike_spelt_closer_ranks_first() -> None:
    query = parse_query(TODAY, name="Jon Smyth")
    ranked = rank(query, [JANE, JOHN], BANDS, 10)  # Jon, John and Jane all sound "jn"
    assert [m.person_id for m in ranked] == [1, 2]
    assert ranked[0].score > ranked[1].score


def test_a_middle_name_matches_with_a_little_less_weight() -> None:
    person = PersonFacts(3, (Name(("anne", "margaret"), "jones"),), None)
    first = score(parse_query(TODAY, name="Anne Jones"), person, BANDS)
    middle = score(parse_query(TODAY, name="Margaret Jones"), person, BANDS)
    assert first.score - middle.score == 0.5
    assert "middle name" in middle.fields[0].detail
