"""Addresses and registrations as typed at call time."""

from __future__ import annotations

import pytest

from thriives.domain.addresses import normalise_registration, parse_address
from thriives.domain.errors import DomainError


@pytest.mark.parametrize(
    "typed",
    [
        "Flat 2, 14 High Street, Thornbury TH1 2AB",
        "2/14 high st thornbury th12ab",
        "flat 2 14 High St, Thornbury, TH1 2AB",
        "Apartment 2, 14 High Street Thornbury TH1  2AB",
    ],
)
def test_one_address_typed_four_ways_reads_the_same(typed: str) -> None:
    address = parse_address(typed)
    assert (address.flat, address.number, address.street, address.town, address.postcode) == (
        "2",
        "14",
        "high street",
        "thornbury",
        "TH1 2AB",
    )


def test_a_postcode_alone_is_an_address_to_search_by() -> None:
    assert parse_address("th4 9qz").postcode == "TH4 9QZ"


@pytest.mark.parametrize("typed", ["", "   ", ",,,", "x" * 301])
def test_an_address_with_nothing_to_search_by_is_refused(typed: str) -> None:
    with pytest.raises(DomainError) as refused:
        parse_address(typed)
    assert refused.value.field == "address"


@pytest.mark.parametrize(
    ("typed", "plate"), [("ab12 cde", "AB12CDE"), ("AB-12-CDE", "AB12CDE"), ("k1", "K1")]
)
def test_a_registration_ignores_spaces_and_case(typed: str, plate: str) -> None:
    assert normalise_registration(typed) == plate


@pytest.mark.parametrize("typed", ["", "!!", "ABCDEFGHIJ", "AB12 CD£"])
def test_a_malformed_registration_is_refused(typed: str) -> None:
    with pytest.raises(DomainError):
        normalise_registration(typed)
