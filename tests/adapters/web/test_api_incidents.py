"""The incident API in-process, on both stores: open, retry, read, move, close, bad input."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from thriives.domain.accounts import Role

CALL: dict[str, Any] = {
    "channel": "999",
    "opening_category": "domestic_incident",
    "qualifiers": ["domestic", "child"],
    "caller_name": "Ada Quill",
    "caller_phone": "+44 7700 900123",
    "location_text": "14 Larkspur Row, Ashbury",
    "postcode": "th4 7qx",
    "account": "He's back and he's shouting at the kids.  Please come.",
}


def test_opening_an_incident_returns_its_reference_and_normalised_fields(client: TestClient, bearer) -> None:
    response = client.post("/api/v1/incidents", json=CALL, headers=bearer(Role.CALL_HANDLER))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["reference"].startswith("TH-261126-")
    assert body["postcode"] == "TH4 7QX"
    assert body["caller_phone"] == "07700900123"
    assert body["account"] == CALL["account"]
    assert response.headers["location"] == f"/api/v1/incidents/{body['reference']}"


def test_a_retry_with_the_same_key_returns_the_same_incident(client: TestClient, bearer) -> None:
    headers = bearer(Role.CALL_HANDLER) | {"Idempotency-Key": "call-1"}
    first = client.post("/api/v1/incidents", json=CALL, headers=headers)
    second = client.post("/api/v1/incidents", json=CALL, headers=headers)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["reference"] == second.json()["reference"]
    queue = client.get("/api/v1/incidents", headers=headers).json()
    assert len(queue) == 1


def test_a_reused_key_with_a_different_body_is_refused(client: TestClient, bearer) -> None:
    headers = bearer(Role.CALL_HANDLER) | {"Idempotency-Key": "call-2"}
    client.post("/api/v1/incidents", json=CALL, headers=headers)
    response = client.post("/api/v1/incidents", json=CALL | {"channel": "101"}, headers=headers)
    assert response.status_code == 409
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"


def test_reading_an_incident_shows_its_timeline(client: TestClient, bearer) -> None:
    headers = bearer(Role.SUPERVISOR)  # a domestic-abuse call waits for its review; a supervisor may close
    reference = client.post("/api/v1/incidents", json=CALL, headers=headers).json()["reference"]
    client.post(
        f"/api/v1/incidents/{reference}/close",
        headers=headers,
        json={
            "closing_category": "crime_violence",
            "closure_reason": "crime_recorded",
            "note": "arrested at the address",
            "dash_exemption": "victim could not speak freely; DASH booked with the DA unit",
        },
    )
    body = client.get(f"/api/v1/incidents/{reference}", headers=headers).json()
    kinds = [e["kind"] for e in body["timeline"]]
    assert kinds == ["incident.opened", "review.queued", "incident.closed"]  # DA: reviewed
    assert body["timeline"][2]["data"]["before"]["status"] == "open"
    assert body["closing_category"] == "crime_violence"


def problem_field(response: Any) -> str:
    assert response.headers["content-type"].startswith("application/problem+json")
    return response.json()["errors"][0]["field"]


def test_bad_input_names_the_field_and_writes_nothing(client: TestClient, bearer) -> None:
    headers = bearer(Role.CALL_HANDLER)
    cases = [
        (CALL | {"postcode": "XX1"}, "postcode"),
        (CALL | {"opening_category": "alien_abduction"}, "opening_category"),
        (CALL | {"channel": "carrier-pigeon"}, "channel"),
        (CALL | {"caller_name": "x" * 201}, "caller_name"),
        (CALL | {"latitude": "52.1"}, "latitude"),
        (CALL | {"latitude": 52.1}, "latitude"),
        (CALL | {"qualifiers": ["domestic", "nonsense"]}, "qualifiers.1"),
        (CALL | {"received_at": "2026-11-26T10:00:00"}, "received_at"),
        (CALL | {"received_at": 12345}, "received_at"),
        (CALL | {"unknown_field": 1}, "unknown_field"),
        (CALL | {"opening_category": "asb_noise"}, "asb_qualifier"),
        (CALL | {"caller_phone": "12"}, "caller_phone"),
    ]
    for body, field in cases:
        response = client.post("/api/v1/incidents", json=body, headers=headers)
        assert response.status_code == 422, (body, response.text)
        assert problem_field(response) == field, response.json()
    malformed = client.post(
        "/api/v1/incidents", content=b"{not json", headers=headers | {"content-type": "application/json"}
    )
    assert malformed.status_code == 400
    assert client.get("/api/v1/incidents", headers=headers).json() == []


def test_an_out_of_order_status_change_is_refused_and_changes_nothing(client: TestClient, bearer) -> None:
    headers = bearer(Role.SUPERVISOR)  # a role that may use the route (it reopens incidents)
    reference = client.post("/api/v1/incidents", json=CALL, headers=headers).json()["reference"]
    before = client.get(f"/api/v1/incidents/{reference}", headers=headers).json()
    for status, words in (
        ("at_scene", "dispatch board"),
        ("graded", "grade the incident through its assessment"),
    ):
        response = client.post(
            f"/api/v1/incidents/{reference}/status", json={"status": status}, headers=headers
        )
        assert response.status_code == 422
        assert problem_field(response) == "status"
        assert words in response.json()["errors"][0]["message"]
    after = client.get(f"/api/v1/incidents/{reference}", headers=headers).json()
    assert (after["status"], after["version"], after["timeline"]) == ("open", 1, before["timeline"])


def test_an_analyst_cannot_open_incidents(client: TestClient, bearer) -> None:
    response = client.post("/api/v1/incidents", json=CALL, headers=bearer(Role.ANALYST))
    assert response.status_code == 403


def test_the_api_needs_an_identity(client: TestClient) -> None:
    assert client.get("/api/v1/incidents").status_code == 401
    assert client.get("/api/v1/incidents", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "alive"}
    assert client.get("/readyz").json() == {"status": "ready"}


def test_a_domestic_abuse_incident_cannot_close_without_dash_or_a_reason(client: TestClient, bearer) -> None:
    headers = bearer(Role.CALL_HANDLER)
    reference = client.post("/api/v1/incidents", json=CALL, headers=headers).json()["reference"]
    close = {"closing_category": "domestic_incident", "closure_reason": "attended_resolved", "note": "calm"}
    refused = client.post(f"/api/v1/incidents/{reference}/close", json=close, headers=headers)
    assert refused.status_code == 422
    assert problem_field(refused) == "dash_exemption"
    assert client.get(f"/api/v1/incidents/{reference}", headers=headers).json()["status"] == "open"


def test_a_reference_with_a_nul_byte_is_refused_not_a_server_error(client: TestClient, bearer) -> None:
    response = client.get("/api/v1/incidents/TH%00X", headers=bearer(Role.DISPATCHER))
    assert response.status_code == 422
