"""The API of linked incidents, search and the log, in-process on both stores, bad input too."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.conftest import FakeClock
from thriives.adapters.db.record_tables import incident_log, incident_relations
from thriives.adapters.db.tables import audit_log, events, incidents
from thriives.bootstrap import Container
from thriives.domain.accounts import Role

CALL: dict[str, Any] = {
    "channel": "999",
    "opening_category": "concern_for_safety",
    "caller_name": "Ada Quill",
    "caller_phone": "07700 900123",
    "location_text": "14 Larkspur Row",
    "postcode": "TH4 7QX",
    "latitude": 52.0,
    "longitude": -1.0,
    "account": "He's back, banging on the door.",
}


def counts(container: Container) -> tuple[int, ...]:
    with container.uow() as uow:
        return tuple(
            int(uow.connection.execute(select(func.count()).select_from(t)).scalar_one())
            for t in (incidents, events, audit_log, incident_relations, incident_log)
        )


def open_call(client: TestClient, headers: dict[str, str], **changes: Any) -> str:
    response = client.post("/api/v1/incidents", json=CALL | changes, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["reference"])


def test_a_second_call_is_offered_linked_as_duplicate_and_shows_on_the_first(
    client: TestClient, bearer, clock: FakeClock
) -> None:
    headers = bearer(Role.CALL_HANDLER)
    first = open_call(client, headers)
    clock.advance(minutes=14)
    second = open_call(
        client, headers, caller_name="Bo Quill", latitude=52.0009, location_text="Larkspur Row"
    )
    offered = client.get(f"/api/v1/incidents/{second}/possible-duplicates", headers=headers)
    assert offered.status_code == 200, offered.text
    (candidate,) = offered.json()["candidates"]
    assert candidate["reference"] == first
    assert candidate["reasons"] == [
        "same caller number 07700 900123",
        "same postcode TH4 7QX",
        "100 m away, 14 minutes ago",
    ]
    made = client.post(
        f"/api/v1/incidents/{second}/links", json={"other": first, "relation": "duplicate"}, headers=headers
    )
    assert made.status_code == 201, made.text
    assert made.json()["closed"] is True
    assert client.get(f"/api/v1/incidents/{second}", headers=headers).json()["status"] == "closed"
    links = client.get(f"/api/v1/incidents/{first}/links", headers=headers).json()
    assert links["links"][0]["relation"] == "has_duplicate"
    assert links["links"][0]["caller"]["caller_name"] == "Bo Quill"
    assert client.get(f"/api/v1/incidents/{second}/links", headers=headers).json()["duplicate_of"] == first


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"other": "SELF", "relation": "related"}, 422, "other"),
        ({"other": "OLD", "relation": "related"}, 422, "other"),
        ({"other": "TH-010101-0001", "relation": "related"}, 404, "other"),
        ({"other": "OLD", "relation": "merged"}, 422, "relation"),
        ({"other": "OLD"}, 422, "relation"),
        ({"other": "", "relation": "related"}, 422, "other"),
        ({"other": "TH\x00", "relation": "related"}, 422, "other"),
        ({"other": "OLD", "relation": "related", "reason": "a\x00b"}, 422, "reason"),
        ({"other": "OLD", "relation": "related", "reason": "x" * 2001}, 422, "reason"),
        ({"other": "OLD", "relation": "related", "colour": "red"}, 422, "colour"),
    ],
)
def test_bad_links_are_refused_naming_the_field_and_change_nothing(
    client: TestClient,
    bearer,
    container: Container,
    clock: FakeClock,
    body: dict[str, Any],
    status: int,
    field: str,
) -> None:
    headers = bearer(Role.CALL_HANDLER)
    old = open_call(client, headers)
    closed = client.post(
        f"/api/v1/incidents/{old}/close",
        json={
            "closing_category": "concern_for_safety",
            "closure_reason": "advice_given",
            "note": "advice given",
        },
        headers=headers,
    )
    assert closed.status_code == 200, closed.text
    clock.advance(days=1)
    new = open_call(client, headers)
    body = {k: {"SELF": new, "OLD": old}.get(v, v) if isinstance(v, str) else v for k, v in body.items()}
    before = counts(container)
    response = client.post(f"/api/v1/incidents/{new}/links", json=body, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in [e["field"] for e in response.json()["errors"]]
    assert counts(container) == before


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("date_from=26-11-2026", "date_from"),
        ("date_from=2026-11-26&date_to=2026-11-01", "date_to"),
        ("category=martian_landing", "category"),
        ("grade=urgent", "grade"),
        ("status=finished", "status"),
        ("page=0", "page"),
        ("page_size=500", "page_size"),
        ("postcode=XX", "postcode"),
    ],
)
def test_bad_search_criteria_are_refused_naming_the_field(
    client: TestClient, bearer, query: str, field: str
) -> None:
    response = client.get(f"/api/v1/incidents/search?{query}", headers=bearer(Role.DISPATCHER))
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]]


def test_search_by_phone_finds_the_incident_and_is_role_checked(client: TestClient, bearer) -> None:
    headers = bearer(Role.CALL_HANDLER)
    reference = open_call(client, headers)
    open_call(client, headers, caller_phone="07700 900999", caller_name="Cy Stone")
    found = client.get("/api/v1/incidents/search?phone=%2B44%207700%20900123", headers=headers)
    assert found.status_code == 200, found.text
    body = found.json()
    assert (body["total"], [r["reference"] for r in body["results"]]) == (1, [reference])
    assert body["criteria"] == {"phone": "07700900123"}
    assert client.get("/api/v1/incidents/search", headers=headers).json()["total"] == 2
    assert (
        client.get("/api/v1/incidents/search?phone=07700900123", headers=bearer(Role.ANALYST)).status_code
        == 403
    )


def test_the_log_takes_entries_and_refuses_bad_text_naming_it(
    client: TestClient, bearer, container: Container
) -> None:
    headers = bearer(Role.DISPATCHER)
    reference = open_call(client, headers)
    added = client.post(
        f"/api/v1/incidents/{reference}/log",
        json={"text": "Unit 12 on the way.\nCaller told."},
        headers=headers,
    )
    assert added.status_code == 201, added.text
    assert added.json()["author_role"] == "dispatcher"
    before = counts(container)
    for text in ["", "   ", "x" * 4001, "bad\x1bescape"]:
        refused = client.post(f"/api/v1/incidents/{reference}/log", json={"text": text}, headers=headers)
        assert refused.status_code == 422, text
        assert refused.json()["errors"][0]["field"] == "text"
    assert (
        client.post(f"/api/v1/incidents/{reference}/log", json={}, headers=headers).json()["errors"][0][
            "field"
        ]
        == "text"
    )
    assert counts(container) == before
    entries = client.get(f"/api/v1/incidents/{reference}/log", headers=headers).json()
    assert [e["text"] for e in entries] == ["Unit 12 on the way.\nCaller told."]
    assert (
        client.post(
            f"/api/v1/incidents/{reference}/log", json={"text": "hi"}, headers=bearer(Role.ANALYST)
        ).status_code
        == 403
    )
