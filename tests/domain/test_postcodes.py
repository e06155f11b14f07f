import pytest

from thriives.domain.postcodes import normalise_postcode


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("SW1A 1AA", "SW1A 1AA"),
        ("sw1a1aa", "SW1A 1AA"),
        ("  m1   1ae ", "M1 1AE"),
        ("B33 8TH", "B33 8TH"),
        ("CR2 6XH", "CR2 6XH"),
        ("DN55 1PT", "DN55 1PT"),
        ("W1A 0AX", "W1A 0AX"),
        ("EC1A 1BB", "EC1A 1BB"),
        ("th4 7qx", "TH4 7QX"),
        ("gir 0aa", "GIR 0AA"),
    ],
)
def test_valid_postcodes_are_normalised(raw: str, expected: str) -> None:
    assert normalise_postcode(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["", "XX1", "SW1A", "1AA SW1", "SW1A 1AAA", "QA1 1AA", "SW1A 1CA", "AB1 1A1", "M1 1AE X", "ÅB1 1AA"],
)
def test_invalid_postcodes_are_refused(raw: str) -> None:
    assert normalise_postcode(raw) is None
