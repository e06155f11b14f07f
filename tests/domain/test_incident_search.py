"""Incident search criteria and log text: each bad one refused by its name; pure."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from thriives.domain.errors import DomainError
from thriives.domain.incident_log import MAX_LOG_TEXT, check_log_text
from thriives.domain.incident_search import check_page, parse_criteria, utc_bounds

CATEGORIES = ("domestic_incident", "concern_for_safety")
GRADES = ("emergency", "priority")
STATUSES = ("open", "graded", "closed")


def parse(**raw: str):
    return parse_criteria(raw, CATEGORIES, GRADES, STATUSES)


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"date_from": "26/11/2026"}, "date_from"),
        ({"date_to": "2026-02-30"}, "date_to"),
        ({"date_from": "2026-11-26", "date_to": "2026-11-25"}, "date_to"),
        ({"category": "burglary_of_mars"}, "category"),
        ({"grade": "urgent"}, "grade"),
        ({"status": "finished"}, "status"),
        ({"phone": "call me"}, "phone"),
        ({"postcode": "NOT A CODE"}, "postcode"),
        ({"reference": "TH 261126/0042"}, "reference"),
        ({"person": "A"}, "person"),
        ({"address": "x" * 201}, "address"),
        ({"person": "Ada\x00"}, "person"),
    ],
)
def test_a_bad_criterion_is_refused_by_its_name(raw: dict[str, str], field: str) -> None:
    with pytest.raises(DomainError) as refused:
        parse(**raw)
    assert refused.value.field == field


def test_criteria_are_normalised() -> None:
    criteria = parse(
        reference="th-261126-0042",
        phone="+44 7700 900123",
        postcode="th4 7qx",
        person=" Quill ",
        status="closed",
    )
    assert criteria.reference == "TH-261126-0042" and criteria.reference_exact
    assert criteria.phone == "07700900123"
    assert criteria.postcode == "TH4 7QX" and not criteria.postcode_outward
    assert criteria.person == "Quill"
    assert criteria.given() == {
        "reference": "TH-261126-0042",
        "phone": "07700900123",
        "postcode": "TH4 7QX",
        "person": "Quill",
        "status": "closed",
    }
    assert parse(postcode="th4").postcode_outward
    assert not parse(reference="0042").reference_exact


def test_a_date_range_covers_whole_local_days() -> None:
    criteria = parse(date_from="2026-07-01", date_to="2026-07-01")
    start, end = utc_bounds(criteria, ZoneInfo("Europe/London"))
    assert start == datetime(2026, 6, 30, 23, 0, tzinfo=UTC)  # midnight in summer time
    assert end == datetime(2026, 7, 1, 23, 0, tzinfo=UTC)
    assert criteria.date_from == date(2026, 7, 1)


@pytest.mark.parametrize(
    ("page", "size", "field"), [(0, 25, "page"), (1, 0, "page_size"), (1, 101, "page_size")]
)
def test_pages_are_checked(page: int, size: int, field: str) -> None:
    with pytest.raises(DomainError) as refused:
        check_page(page, size)
    assert refused.value.field == field


@pytest.mark.parametrize(
    "text", ["", "   \n ", "x" * (MAX_LOG_TEXT + 1), "bell\x07", "escape\x1b[31m", "null\x00"]
)
def test_a_bad_log_entry_is_refused_naming_text(text: str) -> None:
    with pytest.raises(DomainError) as refused:
        check_log_text(text)
    assert refused.value.field == "text"


def test_a_log_entry_keeps_new_lines_and_tabs() -> None:
    assert check_log_text(" Unit reports:\r\n\tall quiet \n") == "Unit reports:\n\tall quiet"
