"""Call-time intelligence search on both stores: matching, recording, markers, attaching."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.conftest import FakeClock, People
from tests.services.test_assessments import facts_of, open_call, submission
from thriives.adapters.db.intel_tables import searches
from thriives.adapters.db.tables import audit_log, events
from thriives.bootstrap import Container
from thriives.domain.accounts import Role
from thriives.domain.assessment import evaluate
from thriives.domain.errors import DomainError
from thriives.services import intel_records as records


@pytest.fixture
def population(container: Container, clock: FakeClock) -> dict[str, int]:
    """A few fictional people, two of them deliberately alike."""
    now = clock()
    ids: dict[str, int] = {}
    with container.uow(write=True) as uow:
        ids["john"] = records.save_person(
            uow, "test", "p1", "John", "Smith", date(1984, 3, 7), "male", now, [("Johnny", "Smithson")]
        )
        ids["jane"] = records.save_person(
            uow, "test", "p2", "Jane", "Smith", date(1990, 11, 2), "female", now
        )
        ids["william"] = records.save_person(
            uow, "test", "p3", "William", "Okonkwo", date(1975, 6, 1), "male", now
        )
        ids["margaret"] = records.save_person(
            uow, "test", "p4", "Margaret Ann", "O'Brien", date(1950, 1, 15), "female", now
        )
        home = records.save_address(uow, "test", "a1", "Flat 2, 14 High Street, Thornbury TH1 2AB")
        hidden = records.save_address(uow, "test", "a2", "7 Mill Lane, Ashcombe TH4 9QZ")
        records.link_address(uow, ids["john"], home)
        records.link_address(uow, ids["jane"], home)
        records.link_address(uow, ids["margaret"], hidden)
        records.save_phone(uow, ids["william"], "07700900123")
        records.save_vehicle(uow, ids["william"], "TH12ABC", "blue van")
        for number, (person, kind, detail) in enumerate(
            [
                ("john", "da_perpetrator", "two previous DA arrests"),
                ("john", "weapons", "known to carry a knife"),
                ("john", "ocg_nominal", "nominal of the Ashcombe group"),
                ("margaret", "protected_address", "fled a violent partner"),
            ]
        ):
            records.save_marker(
                uow,
                {
                    "source": "test",
                    "source_id": f"m{number}",
                    "person_id": ids[person],
                    "address_id": None,
                    "kind": kind,
                    "origin": "legacy intelligence system",
                    "valid_from": date(2020, 1, 1),
                    "valid_to": None,
                    "detail": detail,
                },
            )
        records.save_marker(
            uow,
            {
                "source": "test",
                "source_id": "m-expired",
                "person_id": ids["jane"],
                "address_id": None,
                "kind": "bail_conditions",
                "origin": "custody",
                "valid_from": date(2020, 1, 1),
                "valid_to": date(2020, 6, 1),
                "detail": "expired",
            },
        )
        for number, days in enumerate((30, 100, 500)):
            past = records.save_past_incident(
                uow,
                {
                    "source": "test",
                    "source_id": f"i{number}",
                    "reference": f"OLD-{number}",
                    "occurred_at": now - timedelta(days=days),
                    "category": "domestic_incident",
                    "grade": "priority",
                    "dash_risk": "medium" if number == 0 else None,
                },
            )
            records.link_past(uow, ids["jane"], past, "victim")
        records.rekey(uow, ids.values())
        uow.commit()
    return ids


def search(container: Container, actor: Any, reference: str | None = None, **terms: str) -> Any:
    why = None if reference else "checking a caller before a call-back"
    return container.intel.search(actor, terms, container.clock(), reference, why)


def top(result: Any) -> tuple[int, dict[str, str]]:
    best = result.matches[0]
    return best["match"].person_id, {f.field: f.how for f in best["match"].fields}


@pytest.mark.parametrize(
    ("terms", "who", "hows"),
    [
        ({"name": "Jon Smyth"}, "john", {"name": "phonetic"}),
        ({"name": "Smith, John", "date_of_birth": "07/03/1984"}, "john", {"date_of_birth": "exact"}),
        ({"name": "Bill Okonkwo"}, "william", {"name": "nickname"}),
        ({"name": "Okonkwo William"}, "william", {"name": "swapped"}),
        ({"name": "Wiliam Okonkwp"}, "william", {"name": "typo"}),
        ({"name": "John Smith", "date_of_birth": "1984-07-03"}, "john", {"date_of_birth": "transposed"}),
        ({"name": "Peggy O'Brien"}, "margaret", {"name": "nickname"}),
        ({"name": "Johnny Smithson"}, "john", {"name": "alias"}),
        ({"phone": "+44 7700 900123"}, "william", {"phone": "exact"}),
        ({"registration": "th12 abc"}, "william", {"registration": "exact"}),
        ({"name": "J Smith", "postcode": "th12ab"}, "john", {"address": "postcode"}),
        ({"name": "Jane Smith", "address": "2/14 high st TH1 2AB"}, "jane", {"address": "exact"}),
    ],
)
def test_a_search_finds_the_person_meant_and_says_why(
    container: Container,
    people: People,
    population: dict[str, int],
    terms: dict[str, str],
    who: str,
    hows: dict[str, str],
) -> None:
    result = search(container, people(Role.CALL_HANDLER), **terms)
    person_id, found = top(result)
    assert person_id == population[who]
    assert found.items() >= hows.items()


def test_a_clear_disagreement_ranks_a_namesake_below(
    container: Container, people: People, population: dict[str, int]
) -> None:
    result = search(container, people(), name="J Smith", date_of_birth="1990-11-02")
    ids = [m["match"].person_id for m in result.matches]
    assert ids[0] == population["jane"]
    assert result.matches[0]["match"].band == "strong"


def test_each_search_is_recorded_on_the_incident_and_audited_as_a_consultation(
    container: Container, people: People, clock: FakeClock, population: dict[str, int]
) -> None:
    handler = people(Role.CALL_HANDLER)
    incident = open_call(container, handler, clock)
    result = search(container, handler, incident["reference"], name="Jane Smith")
    record = container.intel.record(handler, incident["reference"], container.clock())
    assert [s["id"] for s in record["searches"]] == [result.search_id]
    saved = record["searches"][0]
    assert saved["actor"] == handler.username
    assert saved["terms"]["name"] == {"forenames": ["jane"], "surname": "smith"}
    assert saved["result_count"] == len(result.matches)
    with container.uow() as uow:
        audited = uow.connection.execute(
            select(audit_log.c.operation, audit_log.c.justification).where(
                audit_log.c.record_type == "search", audit_log.c.record_id == str(result.search_id)
            )
        ).all()
        kinds = uow.connection.execute(
            select(events.c.kind).where(events.c.incident_id == incident["id"])
        ).all()
    assert audited == [("consultation", f"call {incident['reference']}")]
    assert ("intel.searched",) in kinds


def test_a_search_outside_a_call_needs_a_justification(
    container: Container, people: People, population: dict[str, int]
) -> None:
    with pytest.raises(DomainError) as refused:
        container.intel.search(people(), {"name": "Jane Smith"}, container.clock(), None, "")
    assert refused.value.field == "justification"


def test_markers_are_shown_with_the_match_and_restricted_ones_only_to_roles_allowed(
    container: Container, people: People, population: dict[str, int]
) -> None:
    handler_view = search(container, people(Role.CALL_HANDLER), name="John Smith", date_of_birth="1984-03-07")
    codes = {m.code for m in handler_view.matches[0]["markers"]}
    assert codes == {"da_perpetrator", "weapons"}  # not the restricted OCG marker
    supervisor_view = search(
        container, people(Role.SUPERVISOR), name="John Smith", date_of_birth="1984-03-07"
    )
    shown = {m.code: m for m in supervisor_view.matches[0]["markers"]}
    assert set(shown) == {"da_perpetrator", "weapons", "ocg_nominal"}
    assert shown["ocg_nominal"].detail is None  # seen to exist; opened only with a reason
    assert shown["weapons"].detail == "known to carry a knife"


def test_an_expired_marker_is_not_shown(
    container: Container, people: People, population: dict[str, int]
) -> None:
    result = search(container, people(), name="Jane Smith", date_of_birth="1990-11-02")
    assert result.matches[0]["markers"] == []


def test_opening_a_restricted_marker_needs_a_role_and_a_reason_and_is_audited(
    container: Container, people: People, population: dict[str, int]
) -> None:
    supervisor = people(Role.SUPERVISOR)
    result = search(container, supervisor, name="John Smith", date_of_birth="1984-03-07")
    marker = next(m for m in result.matches[0]["markers"] if m.code == "ocg_nominal")
    with pytest.raises(PermissionError):
        container.intel.open_marker(
            people(Role.CALL_HANDLER), marker.id, "need to know for officer safety", container.clock()
        )
    with pytest.raises(DomainError) as refused:
        container.intel.open_marker(supervisor, marker.id, "why", container.clock())
    assert refused.value.field == "justification"
    opened = container.intel.open_marker(
        supervisor, marker.id, "officer safety at a DA call", container.clock()
    )
    assert opened["detail"] == "nominal of the Ashcombe group"
    with container.uow() as uow:
        reasons = (
            uow.connection.execute(
                select(audit_log.c.justification).where(audit_log.c.record_type == "marker")
            )
            .scalars()
            .all()
        )
    assert reasons == ["officer safety at a DA call"]


def test_a_protected_address_is_withheld_until_its_marker_is_opened(
    container: Container, people: People, population: dict[str, int]
) -> None:
    supervisor = people(Role.SUPERVISOR)
    result = search(container, supervisor, name="Margaret O'Brien")
    person = result.matches[0]["person"]
    assert person["addresses"] == [] and person["address_withheld"]
    marker = result.matches[0]["markers"][0]
    opened = container.intel.open_marker(
        supervisor, marker.id, "welfare check requested by MARAC", container.clock()
    )
    assert [a["postcode"] for a in opened["addresses"]] == ["TH4 9QZ"]
    handler_view = search(container, people(Role.CALL_HANDLER), name="Margaret O'Brien")
    assert handler_view.matches[0]["person"]["addresses"] == []
    assert handler_view.matches[0]["markers"] == []


def test_the_history_summary_counts_the_last_twelve_months_and_flags_a_repeat_victim(
    container: Container, people: People, population: dict[str, int]
) -> None:
    result = search(container, people(), name="Jane Smith", date_of_birth="1990-11-02")
    history = result.matches[0]["history"]
    assert history.count == 2  # the third was 500 days ago
    assert history.as_victim == 2 and history.repeat_victim
    assert history.last_dash_risk == "medium"


def test_attaching_a_person_carries_their_markers_into_the_assessment(
    container: Container, people: People, clock: FakeClock, population: dict[str, int]
) -> None:
    handler = people(Role.CALL_HANDLER)
    incident = open_call(container, handler, clock)
    result = search(container, handler, incident["reference"], name="John Smith", date_of_birth="1984-03-07")
    attached = container.intel.attach(
        handler, incident["reference"], population["john"], "suspect", clock(), result.search_id
    )
    assert attached["added"]
    again = container.intel.attach(
        handler, incident["reference"], population["john"], "suspect", clock(), result.search_id
    )
    assert not again["added"]
    with container.uow() as uow:
        facts, _ = container.assessments.facts(uow, uow.incidents.require(incident["reference"]), clock())
    evaluation = evaluate(submission(container, facts_of(incident)), facts, container.assessment_policy)
    assert evaluation.levels["intelligence"] == "high"
    causes = {r.answer for r in evaluation.raised if r.factor == "intelligence"}
    assert (
        causes <= {"Weapons", "Domestic abuse perpetrator", "a restricted record raises the risk"} and causes
    )
    record = container.intel.record(handler, incident["reference"], container.clock())
    assert [(link["person_id"], link["role"]) for link in record["links"]] == [
        (population["john"], "suspect")
    ]


def test_attaching_from_another_incidents_search_is_refused(
    container: Container, people: People, clock: FakeClock, population: dict[str, int]
) -> None:
    handler = people()
    first = open_call(container, handler, clock)
    second = open_call(container, handler, clock)
    result = search(container, handler, first["reference"], name="Jane Smith")
    with pytest.raises(DomainError) as refused:
        container.intel.attach(
            handler, second["reference"], population["jane"], "victim", clock(), result.search_id
        )
    assert refused.value.field == "search_id"


@pytest.mark.parametrize(
    ("terms", "field"),
    [
        ({}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "Mr Unknown"}, "name"),
        ({"name": "x" * 10_000}, "name"),
        ({"phone": "call me maybe"}, "phone"),
        ({"phone": "123"}, "phone"),
        ({"postcode": "NOT A CODE"}, "postcode"),
        ({"date_of_birth": "31/02/1980"}, "date_of_birth"),
        ({"date_of_birth": "2999-01-01"}, "date_of_birth"),
        ({"registration": "!!"}, "registration"),
        ({"address": "y" * 400}, "address"),
    ],
)
def test_a_bad_search_is_refused_naming_the_term_and_records_nothing(
    container: Container, people: People, terms: dict[str, str], field: str
) -> None:
    with pytest.raises(DomainError) as refused:
        container.intel.search(
            people(), terms, container.clock(), None, "checking a caller before a call-back"
        )
    assert refused.value.field == field
    with container.uow() as uow:
        assert uow.connection.execute(select(func.count()).select_from(searches)).scalar() == 0


def test_a_role_without_search_permission_cannot_search(container: Container, people: People) -> None:
    with pytest.raises(PermissionError):
        search(container, people(Role.ANALYST), name="Jane Smith")


def test_a_silent_999_call_from_the_number_of_a_da_victim_on_record_is_an_emergency(
    container: Container, people: People, clock: FakeClock, population: dict[str, int]
) -> None:
    with container.uow(write=True) as uow:
        records.save_phone(uow, population["jane"], "07700900777")
        records.save_marker(
            uow,
            {
                "source": "test",
                "source_id": "m-jane-da",
                "person_id": population["jane"],
                "address_id": None,
                "kind": "da_victim",
                "origin": "legacy DA register",
                "valid_from": date(2025, 1, 1),
                "valid_to": None,
                "detail": None,
            },
        )
        uow.commit()
    handler = people(Role.CALL_HANDLER)
    incident = open_call(
        container,
        handler,
        clock,
        opening_category="abandoned_call",
        qualifiers=(),
        caller_phone="07700 900777",
        account="Silent call; breathing heard.",
    )
    with container.uow() as uow:
        facts, linked = container.assessments.facts(
            uow, uow.incidents.require(incident["reference"]), clock()
        )
    assert facts.phone_linked_to_da and linked == ("on record: Domestic abuse victim",)
    silent = submission(container, facts, call_states=frozenset({"silent"}))
    assert evaluate(silent, facts, container.assessment_policy).proposed.grade == "emergency"


def test_a_protected_address_finds_no_one_and_explains_nothing_for_any_role(
    container: Container, people: People, population: dict[str, int]
) -> None:
    with container.uow(write=True) as uow:  # Margaret's co-resident at the protected address
        lodger = records.save_person(
            uow, "test", "p9", "Peter", "Quince", date(1960, 2, 2), None, clock_now(container)
        )
        place = uow.intel.people([population["margaret"]])[population["margaret"]]["addresses"][0]["id"]
        records.link_address(uow, lodger, place)
        records.rekey(uow, [lodger])
        uow.commit()
    for role in (Role.CALL_HANDLER, Role.SUPERVISOR):
        by_postcode = search(container, people(role), postcode="TH4 9QZ")
        assert by_postcode.matches == [] and by_postcode.considered == 0
        guess = search(container, people(role), name="Margaret O'Brien", address="7 Mill Lane TH4 9QZ")
        explained = [f.detail for f in guess.matches[0]["match"].fields if f.field == "address"]
        assert explained == ["not an address on record"]
        housemate = search(container, people(role), name="Peter Quince")
        assert housemate.matches[0]["person"]["addresses"] == []  # the co-resident does not give it away
    handler_view = search(container, people(Role.CALL_HANDLER), name="Margaret O'Brien")
    assert handler_view.matches[0]["person"]["address_withheld"] is False  # no flag betrays the marker


def test_only_a_person_the_incidents_search_found_can_be_attached(
    container: Container, people: People, clock: FakeClock, population: dict[str, int]
) -> None:
    handler = people()
    incident = open_call(container, handler, clock)
    result = search(container, handler, incident["reference"], name="Jane Smith", date_of_birth="1990-11-02")
    assert population["margaret"] not in {m["match"].person_id for m in result.matches}
    with pytest.raises(DomainError) as unfound:
        container.intel.attach(
            handler, incident["reference"], population["margaret"], "victim", clock(), result.search_id
        )
    assert unfound.value.field == "person_id"
    with pytest.raises(DomainError) as unsearched:
        container.intel.attach(handler, incident["reference"], population["jane"], "victim", clock())
    assert unsearched.value.field == "search_id"


def clock_now(container: Container) -> Any:
    return container.clock()


def test_a_protected_address_marker_on_the_address_shows_it_only_once_opened_with_a_reason(
    container: Container, people: People, population: dict[str, int]
) -> None:
    with container.uow(write=True) as uow:
        refuge = records.save_address(uow, "test", "a9", "3 Orchard Row, Thornbury TH6 1PX")
        records.link_address(uow, population["william"], refuge)
        marker = records.save_marker(
            uow,
            {
                "source": "test",
                "source_id": "m-refuge",
                "person_id": None,
                "address_id": refuge,
                "kind": "protected_address",
                "origin": "refuge",
                "valid_from": date(2020, 1, 1),
                "valid_to": None,
                "detail": "refuge",
            },
        )
        records.rekey(uow, [population["william"]])
        uow.commit()
    supervisor = people(Role.SUPERVISOR)
    found = search(container, supervisor, name="William Okonkwo")
    assert found.matches[0]["person"]["addresses"] == [] and found.matches[0]["person"]["address_withheld"]
    assert [m.code for m in found.matches[0]["markers"]] == ["protected_address"]
    opened = container.intel.open_marker(
        supervisor, marker, "welfare visit agreed by MARAC", clock_now(container)
    )
    assert [a["postcode"] for a in opened["addresses"]] == ["TH6 1PX"]


def test_a_protected_address_is_left_out_of_its_postcodes_centre(
    container: Container, population: dict[str, int]
) -> None:
    with container.uow(write=True) as uow:
        refuge = records.save_address(uow, "test", "a8", "5 Mill Lane, Ashcombe TH4 9QZ", None, 52.1, -1.2)
        records.link_address(uow, population["margaret"], refuge)  # she has the marker
        records.save_address(uow, "test", "a7", "2 Kiln Yard, Ashcombe TH9 9QZ", None, 52.3, -1.4)
        uow.commit()
    hiding = container.intel.policy.hiding
    with container.uow() as uow:
        assert uow.intel.postcode_centre("TH4 9QZ", hiding) is None
        assert uow.intel.postcode_centre("TH4 9QZ") == (52.1, -1.2)  # what it was before
        assert uow.intel.postcode_centre("TH9 9QZ", hiding) == (52.3, -1.4)
