"""Reading a search's terms, markers' validity and the history summary."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from thriives.domain.errors import DomainError
from thriives.domain.intel import HistoryLine, is_active, parse_dob, parse_name, parse_query, summarise
from thriives.policy.loading import load_assessment_policy, load_intel_policy

TODAY = date(2026, 11, 26)


@pytest.mark.parametrize(
    ("typed", "forenames", "surname"),
    [
        ("Jon Smyth", ("jon",), "smyth"),
        ("Smyth, Jon Paul", ("jon", "paul"), "smyth"),
        ("Mrs Margaret O'Brien", ("margaret",), "obrien"),
        ("Smith", (), "smith"),
        ("A Brackmore", ("a",), "brackmore"),
    ],
)
def test_a_name_is_read_as_forenames_and_a_surname(
    typed: str, forenames: tuple[str, ...], surname: str
) -> None:
    name = parse_name(typed)
    assert (name.forenames, name.surname) == (forenames, surname)


@pytest.mark.parametrize("typed", ["Mr", "unknown", "Mr Unknown", "123", "N/A", "x" * 201])
def test_a_name_with_no_name_in_it_is_refused(typed: str) -> None:
    with pytest.raises(DomainError) as refused:
        parse_name(typed)
    assert refused.value.field == "name"


@pytest.mark.parametrize(
    ("typed", "day"), [("07/03/1984", date(1984, 3, 7)), ("1984-03-07", date(1984, 3, 7))]
)
def test_a_date_of_birth_is_read_the_british_way_or_iso(typed: str, day: date) -> None:
    assert parse_dob(typed, TODAY) == day


@pytest.mark.parametrize("typed", ["31/02/1984", "2027-01-01", "01/01/1850", "7th March", "03-07-84"])
def test_a_bad_date_of_birth_is_refused(typed: str) -> None:
    with pytest.raises(DomainError) as refused:
        parse_dob(typed, TODAY)
    assert refused.value.field == "date_of_birth"


def test_a_search_needs_at_least_one_term() -> None:
    with pytest.raises(DomainError):
        parse_query(TODAY, name=" ", phone="")


def test_a_house_number_with_a_postcode_is_an_address() -> None:
    query = parse_query(TODAY, address="26", postcode="TH24 3UA")
    assert query.address is not None
    assert (query.address.number, query.address.postcode) == ("26", "TH24 3UA")


def test_a_postcode_and_an_address_combine() -> None:
    query = parse_query(TODAY, address="14 High Street", postcode="th1 2ab")
    assert query.address is not None
    assert (query.address.number, query.address.postcode) == ("14", "TH1 2AB")


@pytest.mark.parametrize(
    ("start", "end", "active"),
    [
        (None, None, True),
        (date(2026, 1, 1), None, True),
        (None, date(2026, 11, 25), False),
        (date(2027, 1, 1), None, False),
    ],
)
def test_a_marker_is_active_within_its_validity(start: date | None, end: date | None, active: bool) -> None:
    assert is_active(start, end, TODAY) is active


def test_the_history_summary_keeps_the_window_and_flags_repeats() -> None:
    policy = load_intel_policy(None, load_assessment_policy())
    now = datetime(2026, 11, 26, tzinfo=UTC)
    lines = [
        HistoryLine("A", now - timedelta(days=10), "domestic_incident", "priority", "high", "victim"),
        HistoryLine("B", now - timedelta(days=100), "domestic_incident", "priority", "medium", "victim"),
        HistoryLine("C", now - timedelta(days=400), "domestic_incident", "priority", "standard", "victim"),
        HistoryLine("D", now - timedelta(days=20), "asb_noise", None, None, "caller"),
    ]
    summary = summarise(lines, now, policy)
    assert [x.reference for x in summary.incidents] == ["A", "D", "B"]
    assert (summary.as_victim, summary.repeat_victim, summary.repeat_caller) == (2, True, False)
    assert summary.last_dash_risk == "high"
