"""Names as heard: the phonetic key, typos, nicknames and stop-words."""

from __future__ import annotations

import pytest

from thriives.domain.names import canonical_forenames, deletions, name_words, osa_distance, phonetic


@pytest.mark.parametrize(
    ("heard", "recorded"),
    [
        ("Smyth", "Smith"),
        ("Jon", "John"),
        ("Steven", "Stephen"),
        ("Kathryn", "Catherine"),
        ("Jeffrey", "Geoffrey"),
        ("McDonald", "MacDonald"),
        ("Tomson", "Thompson"),
        ("Sean", "Shaun"),
        ("Phillips", "Philips"),
        ("Claire", "Clare"),
        ("Jorge", "George"),
    ],
)
def test_names_that_sound_alike_share_a_phonetic_key(heard: str, recorded: str) -> None:
    assert phonetic(heard) == phonetic(recorded)


@pytest.mark.parametrize(("one", "other"), [("Smith", "Jones"), ("Mark", "Mike"), ("Dean", "Dale")])
def test_names_that_sound_different_do_not(one: str, other: str) -> None:
    assert phonetic(one) != phonetic(other)


@pytest.mark.parametrize(
    ("a", "b", "edits"),
    [
        ("smith", "smith", 0),
        ("smith", "smtih", 1),
        ("smith", "smih", 1),
        ("smith", "smiths", 1),
        ("ab", "ba", 1),
    ],
)
def test_edit_distance_counts_a_swap_of_neighbours_as_one(a: str, b: str, edits: int) -> None:
    assert osa_distance(a, b) == edits


def test_edit_distance_stops_past_its_limit() -> None:
    assert osa_distance("margaret", "zzzzzzzzzzzzzz", limit=2) == 3


@pytest.mark.parametrize(
    ("nickname", "formal"), [("bill", "william"), ("peggy", "margaret"), ("jack", "john")]
)
def test_a_nickname_stands_for_its_formal_name(nickname: str, formal: str) -> None:
    assert formal in canonical_forenames(nickname)


def test_titles_and_unknown_are_not_name_words() -> None:
    assert name_words("Mr J. O'Brien-Smith (unknown)") == ["j", "obriensmith"]


def test_deletions_cover_one_letter_left_out() -> None:
    assert {"smth", "mith", "smit"} <= deletions("smith")
    assert deletions("ann") == {"ann"}  # short names are not split further
    assert deletions("x" * 150) == {"x" * 150}  # nor very long ones: a query's keys stay few
