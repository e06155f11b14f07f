"""The intelligence API in-process, on both stores: search, attach, open a marker, the record."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.adapters.web.test_api_assessments import body as assessment_body
from thriives.adapters.db.intel_tables import searches
from thriives.bootstrap import Container
from thriives.domain.accounts import Role
from thriives.services import intel_records as records

Bearer = Callable[[Role], dict[str, str]]
CALL = {
    "channel": "999",
    "opening_category": "domestic_incident",
    "qualifiers": ["domestic"],
    "caller_phone": "07700900321",
    "account": "My ex is outside, he has a knife.",
}
WHY = "checking a caller before a call-back"


def seed(container: Container, now: datetime) -> dict[str, int]:
    """Fictional people: John Smith with markers (one restricted), Jane Smith a repeat victim,
    Margaret O'Brien at a protected address, William Okonkwo with a phone and a van."""
    ids: dict[str, int] = {}
    with container.uow(write=True) as uow:
        ids["john"] = records.save_person(uow, "test", "p1", "John", "Smith", date(1984, 3, 7), "male", now)
        ids["jane"] = records.save_person(
            uow, "test", "p2", "Jane", "Smith", date(1990, 11, 2), "female", now
        )
        ids["margaret"] = records.save_person(
            uow, "test", "p3", "Margaret", "O'Brien", date(1950, 1, 15), "female", now
        )
        ids["william"] = records.save_person(
            uow, "test", "p4", "William", "Okonkwo", date(1975, 6, 1), "male", now
        )
        home = records.save_address(uow, "test", "a1", "14 High Street, Thornbury TH1 2AB")
        hidden = records.save_address(uow, "test", "a2", "7 Mill Lane, Ashcombe TH4 9QZ")
        records.link_address(uow, ids["john"], home)
        records.link_address(uow, ids["margaret"], hidden)
        records.save_phone(uow, ids["william"], "07700900123")
        records.save_vehicle(uow, ids["william"], "TH12ABC", "blue van")
        markers = [
            ("john", "weapons", "known to carry a knife"),
            ("john", "da_perpetrator", "two previous DA arrests"),
            ("john", "ocg_nominal", "nominal of the Ashcombe group"),
            ("margaret", "protected_address", "fled a violent partner"),
        ]
        for number, (person, kind, detail) in enumerate(markers):
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
        for number, days in enumerate((30, 100)):
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


@pytest.fixture
def population(container: Container) -> dict[str, int]:
    return seed(container, container.clock())


def opened(client: TestClient, headers: dict[str, str]) -> str:
    response = client.post("/api/v1/incidents", json=CALL, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["reference"])


def search(client: TestClient, headers: dict[str, str], **body: Any) -> Any:
    return client.post("/api/v1/intel/searches", json=body, headers=headers)


def test_a_search_on_a_call_returns_ranked_matches_each_explained(
    client: TestClient, bearer: Bearer, population: dict[str, int]
) -> None:
    handler = bearer(Role.CALL_HANDLER)
    reference = opened(client, handler)
    response = search(client, handler, reference=reference, name="Jon Smyth")
    assert response.status_code == 201, response.text
    found = response.json()
    assert found["query"]["name"] == {"forenames": ["jon"], "surname": "smyth"}
    best = found["matches"][0]
    assert best["person"]["id"] == population["john"]
    assert (best["person"]["forenames"], best["person"]["surname"]) == ("John", "Smith")
    assert {"field": "name", "how": "phonetic"}.items() <= best["explanation"][0].items()
    assert "surname phonetic" in best["explanation"][0]["detail"]
    assert {m["code"] for m in best["markers"]} == {"weapons", "da_perpetrator"}  # not the restricted one
    assert {m["detail"] for m in best["markers"]} >= {"known to carry a knife"}
    scores = [m["score"] for m in found["matches"]]
    assert scores == sorted(scores, reverse=True)
    assert found["considered"] >= len(found["matches"]) and found["capped"] is False
    assert found["likely"] is None  # on the name alone it is never clear who it is


def test_a_swapped_date_of_birth_and_a_repeat_victim_are_shown(
    client: TestClient, bearer: Bearer, population: dict[str, int]
) -> None:
    handler = bearer(Role.CALL_HANDLER)
    reference = opened(client, handler)
    john = search(client, handler, reference=reference, name="John Smith", date_of_birth="1984-07-03")
    why = {e["field"]: e["detail"] for e in john.json()["matches"][0]["explanation"]}
    assert why["date_of_birth"] == "day and month swapped"
    jane = search(client, handler, reference=reference, name="Jane Smith", date_of_birth="02/11/1990")
    best = jane.json()["matches"][0]
    assert best["band"] == "strong"
    assert jane.json()["likely"] == population["jane"]
    history = best["history"]
    assert (history["count"], history["repeat_victim"], history["last_dash_risk"]) == (2, True, "medium")
    assert [line["reference"] for line in history["incidents"]] == ["OLD-0", "OLD-1"]


def test_a_phone_a_registration_and_a_postcode_find_their_people(
    client: TestClient, bearer: Bearer, population: dict[str, int]
) -> None:
    headers = bearer(Role.CALL_HANDLER)
    by_phone = search(client, headers, justification=WHY, phone="07700 900123").json()
    assert by_phone["matches"][0]["person"]["id"] == population["william"]
    by_car = search(client, headers, justification=WHY, registration="th12 abc").json()
    assert by_car["matches"][0]["person"]["vehicles"] == ["TH12ABC"]
    by_place = search(client, headers, justification=WHY, name="J Smith", postcode="th1 2ab").json()
    assert by_place["matches"][0]["person"]["id"] == population["john"]
    assert by_place["query"]["address"] == "TH1 2AB"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "Mr Unknown"}, "name"),
        ({"name": "x" * 10_000}, "name"),
        ({"name": "x" * 10_001}, "name"),
        ({"name": 42}, "name"),
        ({"phone": "call me maybe"}, "phone"),
        ({"phone": "123"}, "phone"),
        ({"postcode": "NOT A CODE"}, "postcode"),
        ({"date_of_birth": "31/02/1980"}, "date_of_birth"),
        ({"registration": "!!"}, "registration"),
        ({"surname": "Smith"}, "surname"),
        ({"name": "Jane Smith", "justification": "why"}, "justification"),
    ],
)
def test_a_bad_search_is_a_problem_naming_the_field_and_nothing_is_recorded(
    client: TestClient, bearer: Bearer, container: Container, body: dict[str, Any], field: str
) -> None:
    response = search(client, bearer(Role.CALL_HANDLER), **({"justification": WHY} | body))
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["errors"][0]["field"] == field, problem
    assert problem["detail"] and len(response.text) < 2_000  # the 10,000 characters are not echoed
    with container.uow() as uow:
        assert uow.connection.execute(select(func.count()).select_from(searches)).scalar() == 0


def test_a_search_outside_a_call_needs_a_justification_and_some_roles_may_not_search(
    client: TestClient, bearer: Bearer, population: dict[str, int]
) -> None:
    handler = bearer(Role.CALL_HANDLER)
    refused = search(client, handler, name="Jane Smith")
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "justification"
    assert search(client, handler, name="Jane Smith", justification=WHY).status_code == 201
    assert search(client, bearer(Role.ANALYST), name="Jane Smith", justification=WHY).status_code == 403
    unknown = search(client, handler, name="Jane Smith", reference="TH-000000-0000")
    assert unknown.status_code == 404 and unknown.json()["errors"][0]["field"] == "reference"


def test_attaching_a_match_carries_its_markers_into_the_assessment(
    client: TestClient, bearer: Bearer, container: Container, population: dict[str, int]
) -> None:
    handler = bearer(Role.CALL_HANDLER)
    reference = opened(client, handler)
    found = search(client, handler, reference=reference, name="John Smith").json()
    attach = {"person_id": population["john"], "role": "suspect", "search_id": found["search_id"]}
    first = client.post(f"/api/v1/incidents/{reference}/people", json=attach, headers=handler)
    assert first.status_code == 201, first.text
    assert first.json() == {"person_id": population["john"], "role": "suspect", "added": True}
    again = client.post(f"/api/v1/incidents/{reference}/people", json=attach, headers=handler)
    assert again.status_code == 200 and again.json()["added"] is False
    preview = client.post(
        f"/api/v1/incidents/{reference}/assessments/preview", json=assessment_body(container), headers=handler
    ).json()
    assert preview["levels"]["intelligence"] == "high"
    causes = {r["answer"] for r in preview["raised"] if r["factor"] == "intelligence"}
    assert "Weapons" in causes


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"role": "bystander"}, 422, "role"),
        ({"person_id": 0}, 422, "person_id"),
        ({"person_id": 2**63}, 422, "person_id"),
        ({"person_id": 999_999}, 422, "person_id"),  # not among the search's results
        ({"search_id": 999_999}, 422, "search_id"),
        ({"search_id": None}, 422, "search_id"),  # attached only from a search on the incident
    ],
)
def test_a_bad_attach_is_refused_naming_the_field(
    client: TestClient,
    bearer: Bearer,
    population: dict[str, int],
    change: dict[str, Any],
    status: int,
    field: str,
) -> None:
    handler = bearer(Role.CALL_HANDLER)
    reference = opened(client, handler)
    found = search(client, handler, reference=reference, name="Jane Smith").json()
    attach = {"person_id": population["jane"], "role": "victim", "search_id": found["search_id"]} | change
    attach = {k: v for k, v in attach.items() if v is not None}
    response = client.post(f"/api/v1/incidents/{reference}/people", json=attach, headers=handler)
    assert response.status_code == status, response.text
    assert response.json()["errors"][0]["field"] == field


def test_a_restricted_marker_opens_only_for_a_role_allowed_and_with_a_reason(
    client: TestClient, bearer: Bearer, population: dict[str, int]
) -> None:
    supervisor = bearer(Role.SUPERVISOR)
    found = search(client, supervisor, name="John Smith", date_of_birth="07/03/1984", justification=WHY)
    markers = {m["code"]: m for m in found.json()["matches"][0]["markers"]}
    ocg = markers["ocg_nominal"]
    assert ocg["restricted"] and ocg["detail"] is None
    url = f"/api/v1/intel/markers/{ocg['id']}/open"
    reason = {"justification": "officer safety at a DA call"}
    assert client.post(url, json=reason, headers=bearer(Role.CALL_HANDLER)).status_code == 403
    for body in ({}, {"justification": "why"}):
        refused = client.post(url, json=body, headers=supervisor)
        assert refused.status_code == 422
        assert refused.json()["errors"][0]["field"] == "justification"
    opened_marker = client.post(url, json=reason, headers=supervisor)
    assert opened_marker.status_code == 200, opened_marker.text
    assert opened_marker.json()["detail"] == "nominal of the Ashcombe group"
    assert (
        client.post("/api/v1/intel/markers/999999/open", json=reason, headers=supervisor).status_code == 404
    )


def test_a_protected_address_is_given_only_when_its_marker_is_opened(
    client: TestClient, bearer: Bearer, population: dict[str, int]
) -> None:
    public_protection = bearer(Role.PUBLIC_PROTECTION)
    found = search(client, public_protection, name="Margaret O'Brien", justification=WHY).json()
    best = found["matches"][0]
    assert best["person"]["addresses"] == [] and best["person"]["address_withheld"] is True
    marker = best["markers"][0]
    opened_marker = client.post(
        f"/api/v1/intel/markers/{marker['id']}/open",
        json={"justification": "welfare check requested by MARAC"},
        headers=public_protection,
    ).json()
    assert [a["postcode"] for a in opened_marker["addresses"]] == ["TH4 9QZ"]


def test_the_record_shows_what_was_searched_when_by_whom_and_who_was_attached(
    client: TestClient, bearer: Bearer, people: Any, container: Container, population: dict[str, int]
) -> None:
    handler = people(Role.CALL_HANDLER)
    headers = {
        "Authorization": f"Bearer {container.accounts.issue_token(handler.username, 't', container.clock())}"
    }
    reference = opened(client, headers)
    found = search(client, headers, reference=reference, name="Jon Smyth", phone="07700 900999").json()
    client.post(
        f"/api/v1/incidents/{reference}/people",
        json={"person_id": population["john"], "role": "suspect", "search_id": found["search_id"]},
        headers=headers,
    )
    record = client.get(f"/api/v1/incidents/{reference}/intel", headers=bearer(Role.SUPERVISOR))
    assert record.status_code == 200, record.text
    saved = record.json()
    [made] = saved["searches"]
    assert (made["id"], made["actor"]) == (found["search_id"], handler.username)
    assert made["terms"]["name"] == {"forenames": ["jon"], "surname": "smyth"}
    assert made["terms"]["phone"] == "07700900999"
    assert made["result_count"] == len(found["matches"])
    assert made["justification"] == f"call {reference}"
    assert made["searched_at"].startswith(container.clock().date().isoformat())
    [link] = saved["links"]
    assert (link["person_id"], link["role"], link["linked_by"]) == (
        population["john"],
        "suspect",
        handler.username,
    )
    assert (link["forenames"], link["surname"], link["search_id"]) == ("John", "Smith", found["search_id"])
    assert client.get("/api/v1/incidents/TH-000000-0000/intel", headers=headers).status_code == 404
