"""Checking import rows: each kind's good rows become records, each fault names its field."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from thriives.domain.errors import DomainError
from thriives.domain.intel import LinkRole
from thriives.domain.intel_import import (
    AddressRecord,
    ImportKind,
    IncidentPerson,
    MarkerRecord,
    PastIncidentRecord,
    PersonAddress,
    PersonRecord,
    PhoneRecord,
    RowContext,
    VehicleRecord,
    check_columns,
    check_row,
    check_source,
    from_json,
    kind_of,
    references,
    row_of,
)

NOW = datetime(2026, 11, 26, 21, 30, tzinfo=UTC)
P, A, PA, PH, V, M, INC, IP = ImportKind


@pytest.fixture
def context() -> RowContext:
    return RowContext(NOW, ZoneInfo("Europe/London"), frozenset({"weapons", "child_at_address"}))


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        (
            P,
            {"id": "P1", "forenames": " Testy  ", "surname": "McTestface", "date_of_birth": "07/03/1984"},
            PersonRecord("P1", "Testy", "McTestface", date(1984, 3, 7), None, ()),
        ),
        (
            P,
            {
                "id": "P2",
                "forenames": "",
                "surname": "Dummy-Record",
                "gender": "female",
                "aliases": "Dora  Dummy; Record, Dora Ann;;",
            },
            PersonRecord(
                "P2", "", "Dummy-Record", None, "female", (("Dora", "Dummy"), ("Dora Ann", "Record"))
            ),
        ),
        (
            A,
            {
                "id": "A1",
                "address": "14 High Street, Thornbury TH1 2AB",
                "latitude": "51.6",
                "longitude": "-2.5",
            },
            AddressRecord("A1", "14 High Street, Thornbury TH1 2AB", None, 51.6, -2.5),
        ),
        (
            A,
            {"id": "A2", "address": "7 Mill Lane TH4 9QZ", "uprn": "100012345678"},
            AddressRecord("A2", "7 Mill Lane TH4 9QZ", "100012345678", None, None),
        ),
        (PA, {"person_id": "P1", "address_id": "A1"}, PersonAddress("P1", "A1")),
        (PH, {"person_id": "P1", "number": "+44 7700 900123"}, PhoneRecord("P1", "07700900123")),
        (V, {"person_id": "P1", "registration": "th12 abc"}, VehicleRecord("P1", "TH12ABC", None)),
        (
            M,
            {
                "id": "M1",
                "address_id": "A1",
                "kind": "child_at_address",
                "origin": "legacy system",
                "valid_from": "01/06/2022",
                "valid_to": "2027-01-01",
                "detail": "two children\nunder five",
            },
            MarkerRecord(
                "M1",
                None,
                "A1",
                "child_at_address",
                "legacy system",
                date(2022, 6, 1),
                date(2027, 1, 1),
                "two children\nunder five",
            ),
        ),
        (
            INC,
            {
                "id": "I1",
                "reference": "LEG-1",
                "occurred_at": "2026-07-01 12:00",  # summer time: UTC is an hour behind
                "category": "domestic_incident",
                "grade": "priority",
                "dash_risk": "High",
            },
            PastIncidentRecord(
                "I1",
                "LEG-1",
                datetime(2026, 7, 1, 11, 0, tzinfo=UTC),
                "domestic_incident",
                "priority",
                "high",
            ),
        ),
        (
            INC,
            {
                "id": "I2",
                "reference": "LEG-2",
                "occurred_at": "2026-01-05T08:15:00+00:00",
                "category": "concern_for_safety",
                "grade": "emergency",
            },
            PastIncidentRecord(
                "I2",
                "LEG-2",
                datetime(2026, 1, 5, 8, 15, tzinfo=UTC),
                "concern_for_safety",
                "emergency",
                None,
            ),
        ),
        (
            IP,
            {"incident_id": "I1", "person_id": "P1", "role": "Victim"},
            IncidentPerson("I1", "P1", LinkRole.VICTIM),
        ),
    ],
)
def test_a_good_row_becomes_a_record(
    kind: ImportKind, raw: dict[str, str], expected: object, context: RowContext
) -> None:
    assert check_row(kind, raw, context) == expected


GOOD_PERSON = {"id": "P1", "forenames": "Testy", "surname": "McTestface"}
GOOD_ADDRESS = {"id": "A1", "address": "14 High Street TH1 2AB"}
GOOD_MARKER = {"id": "M1", "person_id": "P1", "kind": "weapons", "origin": "legacy system"}
GOOD_INCIDENT = {
    "id": "I1",
    "reference": "LEG-1",
    "occurred_at": "2026-01-05T08:15:00Z",
    "category": "domestic_incident",
    "grade": "priority",
}


@pytest.mark.parametrize(
    ("kind", "raw", "field", "words"),
    [
        (P, GOOD_PERSON | {"id": ""}, "id", "is required"),
        (P, GOOD_PERSON | {"id": "x" * 81}, "id", "the most is 80"),
        (P, GOOD_PERSON | {"surname": "Unknown"}, "surname", "holds no name"),
        (P, GOOD_PERSON | {"surname": "x" * 101}, "surname", "the most is 100"),
        (P, GOOD_PERSON | {"forenames": "Testy\x00"}, "forenames", "control character"),
        (P, GOOD_PERSON | {"date_of_birth": "31/02/1990"}, "date_of_birth", "not a real date"),
        (P, GOOD_PERSON | {"date_of_birth": "2030-01-01"}, "date_of_birth", "in the future"),
        (P, GOOD_PERSON | {"date_of_birth": "March 1990"}, "date_of_birth", "YYYY-MM-DD"),
        (P, GOOD_PERSON | {"gender": "x" * 21}, "gender", "the most is 20"),
        (P, GOOD_PERSON | {"aliases": "Testy Mr"}, "aliases", "no surname"),
        (
            P,
            GOOD_PERSON | {"aliases": "; ".join(f"A B{chr(97 + i)}" for i in range(21))},
            "aliases",
            "most is 20",
        ),
        (A, GOOD_ADDRESS | {"address": ""}, "address", "is required"),
        (A, GOOD_ADDRESS | {"address": ", , ,"}, "address", "street or a postcode"),
        (A, GOOD_ADDRESS | {"address": "x" * 301}, "address", "the most is 300"),
        (A, GOOD_ADDRESS | {"address": "flat " + "b" * 25 + " 1 High Street"}, "address", "flat of 25"),
        (A, GOOD_ADDRESS | {"uprn": "12A"}, "uprn", "1 to 12 digits"),
        (A, GOOD_ADDRESS | {"latitude": "north", "longitude": "1"}, "latitude", "not a number"),
        (A, GOOD_ADDRESS | {"latitude": "91", "longitude": "1"}, "latitude", "from -90 to 90"),
        (A, GOOD_ADDRESS | {"latitude": "nan", "longitude": "1"}, "latitude", "from -90 to 90"),
        (A, GOOD_ADDRESS | {"latitude": "51.5"}, "latitude", "both latitude and longitude"),
        (PA, {"person_id": "P1", "address_id": " "}, "address_id", "is required"),
        (PH, {"person_id": "P1", "number": "07700 9OO123"}, "number", "only digits"),
        (PH, {"person_id": "P1", "number": "0770"}, "number", "7 to 15 digits"),
        (V, {"person_id": "P1", "registration": "TH12 ABC!"}, "registration", "2 to 8 letters"),
        (V, {"person_id": "P1", "registration": "TH12ABC", "description": "x" * 201}, "description", "200"),
        (M, GOOD_MARKER | {"address_id": "A1"}, "person_id", "one of them"),
        (M, GOOD_MARKER | {"person_id": ""}, "person_id", "one of them"),
        (M, GOOD_MARKER | {"kind": "witch"}, "kind", "not a marker kind"),
        (M, GOOD_MARKER | {"origin": ""}, "origin", "is required"),
        (M, GOOD_MARKER | {"valid_from": "2024-13-01"}, "valid_from", "not a real date"),
        (
            M,
            GOOD_MARKER | {"valid_from": "2024-02-01", "valid_to": "2024-01-01"},
            "valid_to",
            "before valid_from",
        ),
        (M, GOOD_MARKER | {"detail": "x" * 4001}, "detail", "the most is 4000"),
        (INC, GOOD_INCIDENT | {"occurred_at": "2026-01-05"}, "occurred_at", "a date and a time"),
        (INC, GOOD_INCIDENT | {"occurred_at": "yesterday evening"}, "occurred_at", "ISO 8601"),
        (INC, GOOD_INCIDENT | {"occurred_at": "2026-03-29 01:30"}, "occurred_at", "did not happen"),
        (INC, GOOD_INCIDENT | {"occurred_at": "2026-12-25T10:00:00Z"}, "occurred_at", "in the future"),
        (INC, GOOD_INCIDENT | {"reference": "x" * 41}, "reference", "the most is 40"),
        (INC, GOOD_INCIDENT | {"grade": ""}, "grade", "is required"),
        (INC, GOOD_INCIDENT | {"dash_risk": "severe"}, "dash_risk", "standard, medium, high"),
        (IP, {"incident_id": "I1", "person_id": "P1", "role": "bystander"}, "role", "victim, suspect"),
    ],
)
def test_a_bad_field_is_refused_by_name(
    kind: ImportKind, raw: dict[str, str], field: str, words: str, context: RowContext
) -> None:
    with pytest.raises(DomainError) as raised:
        check_row(kind, raw, context)
    assert raised.value.field == field
    assert words in raised.value.message


def test_a_local_time_the_clocks_repeat_is_read_as_summer_time(context: RowContext) -> None:
    row = GOOD_INCIDENT | {"occurred_at": "2026-10-25 01:30"}
    record = check_row(INC, row, context)
    assert isinstance(record, PastIncidentRecord)
    assert record.occurred_at == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "field", "words"),
    [
        (["id", "forenames", "surname", "nickname"], "nickname", "not a column of people"),
        (["id", "forenames", "surname", "Surname"], "surname", "a column twice"),
        (["id", "forenames"], "surname", "is missing"),
    ],
)
def test_a_bad_header_is_refused_naming_the_column(header: list[str], field: str, words: str) -> None:
    with pytest.raises(DomainError) as raised:
        check_columns(P, header)
    assert (raised.value.field, words in raised.value.message) == (field, True)


def test_column_names_are_trimmed_and_read_in_any_case() -> None:
    assert check_columns(P, [" ID", "Forenames ", "SURNAME"]) == ("id", "forenames", "surname")


def test_a_row_with_more_or_fewer_values_than_columns_is_refused() -> None:
    assert row_of(("id", "surname"), ["P1", "Smith"]) == {"id": "P1", "surname": "Smith"}
    for values in (["P1"], ["P1", "Smith", "extra"]):
        with pytest.raises(DomainError, match="the header has 2 columns"):
            row_of(("id", "surname"), values)


def test_a_json_item_becomes_a_row_of_text() -> None:
    item = {"ID": 1001, "forenames": "Testy", "surname": "McTestface", "date_of_birth": None}
    assert from_json(item, P) == {
        "id": "1001",
        "forenames": "Testy",
        "surname": "McTestface",
        "date_of_birth": "",
    }


@pytest.mark.parametrize(
    ("item", "field", "words"),
    [
        (["P1", "Testy"], None, "not a JSON object"),
        ({"id": "P1", "surname": "X", "forenames": "Y", "eyes": "blue"}, "eyes", "not a column"),
        ({"id": "P1", "forenames": "Y"}, "surname", "is missing"),
        ({"id": True, "forenames": "Y", "surname": "X"}, "id", "text or a number"),
        ({"id": "P1", "forenames": ["Y"], "surname": "X"}, "forenames", "text or a number"),
    ],
)
def test_a_bad_json_item_is_refused(item: object, field: str | None, words: str) -> None:
    with pytest.raises(DomainError) as raised:
        from_json(item, P)
    assert (raised.value.field, words in raised.value.message) == (field, True)


@pytest.mark.parametrize(
    ("name", "kind"),
    [("people.csv", P), ("PEOPLE.CSV", P), ("incident_people.json", IP), ("person_addresses.csv", PA)],
)
def test_the_kind_is_told_by_the_file_name(name: str, kind: ImportKind) -> None:
    assert kind_of(name) == kind


@pytest.mark.parametrize("name", ["people.xlsx", "people-2024.csv", "persons.csv", "people"])
def test_a_file_name_that_names_no_kind_is_refused(name: str) -> None:
    with pytest.raises(DomainError) as raised:
        kind_of(name)
    assert raised.value.field == "kind"


@pytest.mark.parametrize(
    ("name", "good"), [("niche-rms", True), ("legacy.v2_x", True), ("Legacy", False), ("", False)]
)
def test_a_source_name_is_checked(name: str, good: bool) -> None:
    if good:
        assert check_source(name) == name
    else:
        with pytest.raises(DomainError, match="lower-case"):
            check_source(name)


def test_references_name_the_records_of_the_same_source_a_record_points_at() -> None:
    assert references(IncidentPerson("I1", "P1", LinkRole.CALLER)) == (
        ("person_id", P, "P1"),
        ("incident_id", INC, "I1"),
    )
    marker = MarkerRecord("M1", None, "A1", "weapons", "x", None, None, None)
    assert references(marker) == (("address_id", A, "A1"),)
    assert references(PersonRecord("P1", "", "Smith", None, None, ())) == ()
