"""The fictional demo force: deterministic from its seed, plausible, and never real."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from thriives.domain.demo_force import LATITUDES, LONGITUDES, DemoForce, build_force
from thriives.domain.demo_history import PastIncident, PolicyCodes, build_history
from thriives.domain.postcodes import normalise_postcode
from thriives.policy.loading import load_category_policy

AS_OF = datetime(2026, 11, 26, 21, 30, tzinfo=UTC)
LONDON = ZoneInfo("Europe/London")
DRAMA_PHONE = re.compile(r"^(07700900\d{3}|01632960\d{3})$")


def policy_codes() -> PolicyCodes:
    policy = load_category_policy()
    return PolicyCodes(
        {code: category.chapter for code, category in policy.categories.items()},
        tuple(policy.qualifiers),
        tuple(policy.closure_reasons),
    )


CODES = policy_codes()


def history(seed: int = 1, incidents: int = 3_000, codes: PolicyCodes = CODES) -> list[PastIncident]:
    return list(build_history(build_force(seed), seed, AS_OF, codes, incidents, LONDON))


@pytest.fixture(scope="module")
def force() -> DemoForce:
    return build_force(1)


@pytest.fixture(scope="module")
def year() -> list[PastIncident]:
    return history(incidents=10_000)


def test_same_seed_gives_same_force() -> None:
    assert build_force(5) == build_force(5)


def test_same_seed_and_as_of_give_same_history() -> None:
    assert history(5) == history(5)


def test_history_does_not_depend_on_the_process_hash_seed() -> None:
    """String hashing changes per process; the demo must not, or screenshots drift."""
    script = (
        "import hashlib, tests.domain.test_demo_force as t;"
        "print(hashlib.sha256(repr(t.history(3, 500)).encode()).hexdigest())"
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={"PYTHONHASHSEED": seed, "PATH": ""},
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).parents[2],
        ).stdout.strip()
        for seed in ("1", "2")
    }
    assert digests == {hashlib.sha256(repr(history(3, 500)).encode()).hexdigest()}


def test_different_seed_gives_different_population_and_history() -> None:
    assert build_force(1).population != build_force(2).population
    assert history(1, 500) != history(2, 500)


def test_force_has_six_urban_and_rural_districts_of_one_to_three_stations(force: DemoForce) -> None:
    assert force.name == "Thornshire Constabulary"
    assert len(force.districts) == 6
    assert {d.kind for d in force.districts} == {"urban", "rural"}
    per_district = Counter(s.district_code for s in force.stations)
    assert set(per_district) == {d.code for d in force.districts}
    assert all(1 <= n <= 3 for n in per_district.values())
    codes = [d.code for d in force.districts] + [s.code for s in force.stations]
    assert all(re.fullmatch(r"[A-Z]{2,5}", code) for code in codes)
    assert len({s.code for s in force.stations}) == len(force.stations)


def test_about_a_hundred_available_units_with_unique_call_signs(force: DemoForce) -> None:
    assert 90 <= len(force.units) <= 110
    assert len({u.call_sign for u in force.units}) == len(force.units)
    assert all(re.fullmatch(r"TH-[A-Z]\d{2,3}", u.call_sign) for u in force.units)
    assert {u.unit_type for u in force.units} == {
        "response",
        "neighbourhood",
        "domestic_abuse",
        "roads",
        "firearms",
        "dog",
        "traffic",
    }
    assert all(u.status == "available" for u in force.units)
    assert all("firearms" in u.skills for u in force.units if u.unit_type == "firearms")
    assert all("da_trained" in u.skills for u in force.units if u.unit_type == "domestic_abuse")
    stations = {s.code for s in force.stations}
    assert all(u.station_code in stations for u in force.units)


def test_every_place_lies_in_the_made_up_box(force: DemoForce) -> None:
    places = [(s.latitude, s.longitude) for s in force.stations]
    places += [(s.latitude, s.longitude) for s in force.population.streets]
    assert all(LATITUDES[0] <= lat <= LATITUDES[1] for lat, _ in places)
    assert all(LONGITUDES[0] <= lon <= LONGITUDES[1] for _, lon in places)


def test_every_postcode_is_valid_and_in_the_th_area(force: DemoForce, year: list[PastIncident]) -> None:
    postcodes = [s.postcode for s in force.population.streets] + [i.postcode for i in year]
    assert all(normalise_postcode(p) == p for p in postcodes)
    assert all(p.startswith("TH") for p in postcodes)


def test_every_phone_is_in_a_drama_range_and_has_one_owner(
    force: DemoForce, year: list[PastIncident]
) -> None:
    population = force.population
    mobiles = [p.mobile for p in population.people if p.mobile]
    landlines = [h.landline for h in population.households if h.landline]
    assert len(set(mobiles)) == len(mobiles) and len(set(landlines)) == len(landlines)
    assert all(DRAMA_PHONE.match(phone) for phone in mobiles + landlines)
    assert all(DRAMA_PHONE.match(i.caller_phone) for i in year if i.caller_phone)


def test_history_has_the_requested_count_oldest_first(year: list[PastIncident]) -> None:
    assert len(year) == 10_000
    assert [i.received_at for i in year] == sorted(i.received_at for i in year)


def test_every_time_lies_in_the_twelve_months_before_as_of(year: list[PastIncident]) -> None:
    start = AS_OF - timedelta(days=365)
    assert all(start <= i.received_at < AS_OF for i in year)
    assert all(i.received_at <= i.closed_at <= AS_OF for i in year)
    assert all(i.received_at.tzinfo is not None for i in year)
    months = Counter((i.received_at.year, i.received_at.month) for i in year)
    assert len(months) >= 12


def test_channel_mix_is_mostly_101_then_999_then_online(year: list[PastIncident]) -> None:
    share = {k: v / len(year) for k, v in Counter(i.channel for i in year).items()}
    assert share["999"] == pytest.approx(0.35, abs=0.04)
    assert share["101"] == pytest.approx(0.45, abs=0.04)
    assert share["online"] == pytest.approx(0.15, abs=0.03)
    assert share["other"] == pytest.approx(0.05, abs=0.03)


def test_demand_peaks_in_the_evening_and_dips_before_dawn(year: list[PastIncident]) -> None:
    hours = Counter(i.received_at.astimezone(LONDON).hour for i in year)
    assert hours[18] > 3 * hours[4]
    weekdays = Counter(i.received_at.astimezone(LONDON).weekday() for i in year)
    assert weekdays[5] > weekdays[1]  # Saturday busier than Tuesday


def test_asb_qualifier_is_set_exactly_on_asb_categories(year: list[PastIncident]) -> None:
    for incident in year:
        if CODES.chapters[incident.opening_category] == "asb":
            assert incident.asb_qualifier in {"personal", "nuisance", "environmental"}
        else:
            assert incident.asb_qualifier is None


def test_only_the_policy_codes_are_used(year: list[PastIncident]) -> None:
    assert {i.opening_category for i in year} <= set(CODES.chapters)
    assert {i.closing_category for i in year} <= set(CODES.chapters)
    assert {i.closure_reason for i in year} <= set(CODES.closure_reasons)
    assert {q for i in year for q in i.qualifiers} <= set(CODES.qualifiers)
    assert all(len(set(i.qualifiers)) == len(i.qualifiers) for i in year)


def test_closing_category_usually_matches_the_opening_one(year: list[PastIncident]) -> None:
    changed = sum(i.closing_category != i.opening_category for i in year) / len(year)
    assert 0.02 < changed < 0.3


def test_domestic_abuse_households_call_again_and_again(year: list[PastIncident]) -> None:
    domestic = Counter(i.location_text for i in year if "domestic" in i.qualifiers)
    assert sum(1 for n in domestic.values() if n >= 3) >= 20
    assert any("repeat_victim" in i.qualifiers and "domestic" in i.qualifiers for i in year)


def test_repeat_callers_ring_many_times(force: DemoForce, year: list[PastIncident]) -> None:
    population = force.population
    phones = [population.phone(c.person) for c in population.repeat_callers]
    assert all(phones)
    calls = Counter(i.caller_phone for i in year if i.caller_phone)
    assert max(calls[phone] for phone in phones if phone) >= 20
    assert calls.most_common(1)[0][0] in phones


def test_silent_calls_have_no_caller_name(year: list[PastIncident]) -> None:
    silent = [i for i in year if i.opening_category == "abandoned_call"]
    assert silent and all(i.caller_name is None and i.channel == "999" for i in silent)


def test_a_policy_without_the_usual_codes_still_gives_a_valid_history() -> None:
    codes = PolicyCodes({"noise_x": "asb", "theft_x": "crime"}, ("drunk",), ("done",))
    past = history(incidents=300, codes=codes)
    assert {i.opening_category for i in past} <= {"noise_x", "theft_x"}
    assert {i.closure_reason for i in past} == {"done"}
    assert all(i.qualifiers == () for i in past)
    assert all((i.asb_qualifier is not None) == (i.opening_category == "noise_x") for i in past)


def test_a_naive_as_of_is_refused(force: DemoForce) -> None:
    with pytest.raises(ValueError, match="aware"):
        next(build_history(force, 1, datetime(2026, 1, 1), CODES))


@pytest.mark.slow
def test_the_default_history_is_52000_incidents() -> None:
    force = build_force(9)
    assert sum(1 for _ in build_history(force, 9, AS_OF, CODES, zone=LONDON)) == 52_000
