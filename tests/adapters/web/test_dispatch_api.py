"""The dispatch API in-process, on both stores: the board, recommendations, assigning and
moving units, reassessment tasks and appointments, and bad input that changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert

from tests.conftest import FakeClock
from thriives.adapters.db.tables import districts, stations, units
from thriives.bootstrap import Container
from thriives.domain.accounts import Role

Headers = dict[str, str]
Bearer = Callable[[Role], Headers]
HERE = {"latitude": 52.10, "longitude": -1.50}  # the incidents' location, at the first station
# (call sign, type, station, skills): the first is nearest, the domestic-abuse car furthest.
UNITS: tuple[tuple[str, str, str, list[str]], ...] = (
    ("TA01", "response", "TS1", ["taser"]),
    ("TA02", "response", "TS2", []),
    ("TD01", "domestic_abuse", "TS3", ["da_trained"]),
)
# All within a few minutes of the incidents, so wanted skills rank before distance.
STATIONS = (("TS1", "TD1", 52.10, -1.50), ("TS2", "TD1", 52.105, -1.50), ("TS3", "TD2", 52.11, -1.50))
VEHICLE = {"channel": "101", "opening_category": "crime_vehicle", "account": "My car was broken into."} | HERE
DOMESTIC = {
    "channel": "999",
    "opening_category": "domestic_incident",
    "qualifiers": ["domestic"],
    "account": "He is shouting at me again.",
} | HERE
CLOSE = {"closing_category": "crime_vehicle", "closure_reason": "crime_recorded", "note": "crime recorded"}


@pytest.fixture(autouse=True)
def force(container: Container) -> None:
    """Two districts, three stations and three units, all available, each at its station."""
    with container.uow(write=True) as uow:
        uow.connection.execute(
            insert(districts),
            [
                {"code": "TD1", "name": "Ashbury", "kind": "urban"},
                {"code": "TD2", "name": "Moor", "kind": "rural"},
            ],
        )
        uow.connection.execute(
            insert(stations),
            [
                {"code": c, "name": f"{c} station", "district_code": d, "latitude": lat, "longitude": lon}
                for c, d, lat, lon in STATIONS
            ],
        )
        where = {c: (lat, lon) for c, _d, lat, lon in STATIONS}
        uow.connection.execute(
            insert(units),
            [
                {
                    "call_sign": call_sign,
                    "unit_type": kind,
                    "station_code": station,
                    "skills": skills,
                    "status": "available",
                    "latitude": where[station][0],
                    "longitude": where[station][1],
                    "version": 1,
                }
                for call_sign, kind, station, skills in UNITS
            ],
        )
        uow.commit()


def assessment(container: Container, call: dict[str, Any], **levels: str) -> dict[str, Any]:
    """A valid THRIIVES assessment: every factor low unless given, all due advice given."""
    policy = container.assessment_policy
    ratings = {
        f.code: {"level": levels.get(f.code, "low"), "rationale": "as the caller said"}
        for f in policy.models["thriives"].factors
    }
    advice = {
        a.code: {"given": True}
        for a in policy.advice
        if call["opening_category"] in a.categories or set(call.get("qualifiers", [])) & set(a.qualifiers)
    }
    return {"model": "thriives", "ratings": ratings, "advice": advice}


def graded(
    client: TestClient, container: Container, headers: Headers, call: dict[str, Any], **levels: str
) -> str:
    """Open an incident and assess it; a vehicle crime with one medium factor is scheduled."""
    opened = client.post("/api/v1/incidents", json=call, headers=headers)
    assert opened.status_code == 201, opened.text
    reference = str(opened.json()["reference"])
    body = assessment(container, call, **({"threat": "medium"} | levels))
    saved = client.post(f"/api/v1/incidents/{reference}/assessments", json=body, headers=headers)
    assert saved.status_code == 201, saved.text
    return reference


def state(client: TestClient, headers: Headers, reference: str) -> tuple[Any, ...]:
    """Everything a refused request must leave as it was: the incident (row, version and
    timeline of events), its dispatch record (assignments, tasks, appointments, deadlines),
    the units and the open tasks."""
    incident = client.get(f"/api/v1/incidents/{reference}", headers=headers)
    timing = client.get(f"/api/v1/incidents/{reference}/dispatch", headers=headers)
    assert incident.status_code == timing.status_code == 200, (incident.text, timing.text)
    return (
        incident.json(),
        timing.json(),
        client.get("/api/v1/units", headers=headers).json(),
        client.get("/api/v1/reassessments", headers=headers).json(),
    )


def iso(moment: datetime) -> str:
    """A UTC time as the API writes it."""
    return moment.isoformat().replace("+00:00", "Z")


def refused(response: Any, status: int, field: str) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["errors"][0]["field"] == field, problem
    assert problem["detail"].startswith(f"{field}: "), problem
    return str(problem["detail"])


def units_by_sign(client: TestClient, headers: Headers) -> dict[str, dict[str, Any]]:
    return {u["call_sign"]: u for u in client.get("/api/v1/units", headers=headers).json()}


# ---- the whole path ------------------------------------------------------------------------


def test_a_graded_incident_is_recommended_assigned_attended_and_closed(
    client: TestClient, bearer: Bearer, container: Container, clock: FakeClock
) -> None:
    headers = bearer(Role.DISPATCHER)
    reference = graded(client, container, headers, VEHICLE)
    board = client.get("/api/v1/board", headers=headers).json()
    assert [e["reference"] for e in board["queue"]] == [reference]
    assert board["queue"][0]["grade"] == "scheduled" and board["queue"][0]["clock"] == "running"

    found = client.get(f"/api/v1/incidents/{reference}/recommendations", headers=headers)
    assert found.status_code == 200, found.text
    ranked = found.json()["units"]
    assert [u["call_sign"] for u in ranked] == ["TA01", "TA02", "TD01"]
    assert ranked[0]["distance_km"] == 0 and ranked[0]["reasons"]
    assert found.json()["needs"]["located"] is True

    clock.advance(minutes=2)
    sent = client.post(
        f"/api/v1/incidents/{reference}/assign",
        json={"call_sign": "TA02", "reason": "TA01 is about to go off shift"},
        headers=headers,
    )
    assert sent.status_code == 200, sent.text
    assert (sent.json()["status"], sent.json()["dispatched_at"]) == ("dispatched", iso(clock.now))
    assert (
        sent.json()["version"]
        == client.get(f"/api/v1/incidents/{reference}", headers=headers).json()["version"]
    )
    assert units_by_sign(client, headers)["TA02"] == {
        "call_sign": "TA02",
        "unit_type": "response",
        "type_label": "Response",
        "station": "TS2 station",
        "skills": [],
        "skill_labels": [],
        "status": "assigned",
        "incident": reference,
        "position_at": None,
    }

    for status in ("en_route", "at_scene"):
        clock.advance(minutes=5)
        moved = client.post("/api/v1/units/TA02/status", json={"status": status}, headers=headers)
        assert moved.status_code == 200, moved.text
        assert moved.json()["status"] == status
    incident = client.get(f"/api/v1/incidents/{reference}", headers=headers).json()
    assert incident["status"] == "at_scene"

    timing = client.get(f"/api/v1/incidents/{reference}/dispatch", headers=headers).json()
    assert timing["times"]["call_to_dispatch_s"] == 120 and timing["times"]["dispatch_to_arrival_s"] == 600
    assert timing["clock"]["grade"] == "scheduled"
    [assignment] = timing["assignments"]
    assert assignment["recommended"][0] == "TA01"
    assert (assignment["followed"], assignment["reason"]) == (False, "TA01 is about to go off shift")
    assert assignment["en_route_at"] and assignment["arrived_at"]
    assert timing["deadlines"] == []  # the attendance clock stopped at arrival

    closed = client.post(f"/api/v1/incidents/{reference}/close", json=CLOSE, headers=headers)
    assert closed.status_code == 200, closed.text
    assert units_by_sign(client, headers)["TA02"]["status"] == "available"
    assert units_by_sign(client, headers)["TA02"]["incident"] is None
    board = client.get("/api/v1/board", headers=headers).json()
    assert board["queue"] == board["held"] == []


def test_sending_the_first_recommendation_needs_no_reason(
    client: TestClient, bearer: Bearer, container: Container
) -> None:
    headers = bearer(Role.DISPATCHER)
    reference = graded(client, container, headers, VEHICLE)
    sent = client.post(f"/api/v1/incidents/{reference}/assign", json={"call_sign": "TA01"}, headers=headers)
    assert sent.status_code == 200, sent.text
    [assignment] = client.get(f"/api/v1/incidents/{reference}/dispatch", headers=headers).json()[
        "assignments"
    ]
    assert (assignment["followed"], assignment["reason"]) == (True, None)
    held = client.get("/api/v1/board", headers=headers).json()["held"]
    assert [(e["reference"], e["call_sign"], e["unit_status"]) for e in held] == [
        (reference, "TA01", "assigned")
    ]


def test_a_domestic_abuse_call_recommends_the_trained_unit_first(
    client: TestClient, bearer: Bearer, container: Container
) -> None:
    headers = bearer(Role.DISPATCHER)
    reference = graded(client, container, headers, DOMESTIC)
    found = client.get(f"/api/v1/incidents/{reference}/recommendations", headers=headers).json()
    assert found["needs"]["wanted"] == ["da_trained"]
    assert [u["call_sign"] for u in found["units"]] == ["TD01", "TA01", "TA02"], found
    assert found["units"][1]["lacks"] == ["da_trained"]


def test_a_unit_handed_over_then_taken_away_leaves_the_incident_queued_with_a_task(
    client: TestClient, bearer: Bearer, container: Container
) -> None:
    headers = bearer(Role.DISPATCHER)
    reference = graded(client, container, headers, VEHICLE)
    client.post(f"/api/v1/incidents/{reference}/assign", json={"call_sign": "TA01"}, headers=headers)
    refused(
        client.post("/api/v1/units/TA01/hand-over", json={"to_call_sign": "TA02"}, headers=headers),
        422,
        "reason",
    )
    passed = client.post(
        "/api/v1/units/TA01/hand-over",
        json={"to_call_sign": "TA02", "reason": "TA01 needed at a crash"},
        headers=headers,
    )
    assert passed.status_code == 200, passed.text
    signs = units_by_sign(client, headers)
    assert (signs["TA01"]["status"], signs["TA02"]["status"], signs["TA02"]["incident"]) == (
        "available",
        "assigned",
        reference,
    )

    refused(client.post("/api/v1/units/TA02/take-away", json={}, headers=headers), 422, "reason")
    taken = client.post(
        "/api/v1/units/TA02/take-away",
        json={"reason": "diverted to an emergency", "unavailable": True},
        headers=headers,
    )
    assert taken.status_code == 200, taken.text
    assert taken.json()["status"] == "graded"
    assert units_by_sign(client, headers)["TA02"]["status"] == "unavailable"
    [task] = client.get("/api/v1/reassessments", headers=headers).json()
    assert (task["id"], task["reference"], task["triggers"][0]["trigger"]) == (
        taken.json()["task"],
        reference,
        "unit_taken_away",
    )
    board = client.get("/api/v1/board", headers=headers).json()
    assert [(e["reference"], e["task"]) for e in board["queue"]] == [(reference, task["id"])]
    refused(
        client.post("/api/v1/units/TA01/take-away", json={"reason": "x"}, headers=headers), 422, "call_sign"
    )


# ---- reassessment tasks --------------------------------------------------------------------


def test_a_task_is_completed_with_a_contact_outcome_and_a_review(
    client: TestClient, bearer: Bearer, container: Container, clock: FakeClock
) -> None:
    headers = bearer(Role.DISPATCHER)
    reference = graded(client, container, headers, VEHICLE)
    cut = client.post(f"/api/v1/incidents/{reference}/cut-off", headers=headers)
    assert cut.status_code == 200, cut.text
    task_id = cut.json()["task"]
    view = client.get(f"/api/v1/reassessments/{task_id}", headers=headers).json()
    assert view["task"]["mandatory"] is False and view["incident"]["reference"] == reference

    done = client.post(
        f"/api/v1/reassessments/{task_id}/complete",
        json={"contact_outcome": "spoke_to_victim", "review_in_minutes": 60},
        headers=headers,
    )
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "done"
    assert done.json()["review_at"] == iso(clock.now + timedelta(minutes=60))
    timing = client.get(f"/api/v1/incidents/{reference}/dispatch", headers=headers).json()
    assert "reassessment.review" in [d["kind"] for d in timing["deadlines"]]
    again = client.post(
        f"/api/v1/reassessments/{task_id}/complete", json={"contact_outcome": "no_answer"}, headers=headers
    )
    refused(again, 409, "task_id")
    assert client.get("/api/v1/reassessments/999999", headers=headers).status_code == 404


def test_a_domestic_abuse_task_refuses_completion_without_every_part(
    client: TestClient, bearer: Bearer, container: Container, clock: FakeClock
) -> None:
    headers = bearer(Role.CALL_HANDLER)
    reference = graded(client, container, headers, DOMESTIC)
    task_id = client.post(f"/api/v1/incidents/{reference}/cut-off", headers=headers).json()["task"]
    task = client.get(f"/api/v1/reassessments/{task_id}", headers=headers).json()["task"]
    assert (task["mandatory"], task["mandatory_why"]) == (True, "domestic abuse")
    clock.advance(minutes=3)
    again = client.post(
        f"/api/v1/incidents/{reference}/assessments", json=assessment(container, DOMESTIC), headers=headers
    )
    version = again.json()["version"]
    whole = {
        "contact_outcome": "spoke_to_victim",
        "reassessed_version": version,
        "safeguarding": ["advice"],
        "review_at": "2026-11-26T23:00:00+00:00",
    }
    before = state(client, headers, reference)
    for missing in ("reassessed_version", "safeguarding", "review_at"):
        body = {k: v for k, v in whole.items() if k != missing}
        refused(
            client.post(f"/api/v1/reassessments/{task_id}/complete", json=body, headers=headers), 422, missing
        )
    refused(
        client.post(
            f"/api/v1/reassessments/{task_id}/complete",
            json=whole | {"reassessed_version": 1},
            headers=headers,
        ),
        422,
        "reassessed_version",
    )
    refused(
        client.post(
            f"/api/v1/reassessments/{task_id}/complete",
            json=whole | {"review_in_minutes": 10},
            headers=headers,
        ),
        422,
        "review_at",
    )
    assert state(client, headers, reference) == before
    done = client.post(f"/api/v1/reassessments/{task_id}/complete", json=whole, headers=headers)
    assert done.status_code == 200, done.text
    assert (done.json()["assessment_version"], done.json()["safeguarding"]) == (version, ["advice"])


def test_a_reassessment_with_no_contact_outcome_is_refused_and_changes_nothing(
    client: TestClient, bearer: Bearer, container: Container
) -> None:
    headers = bearer(Role.DISPATCHER)
    reference = graded(client, container, headers, VEHICLE)
    task_id = client.post(f"/api/v1/incidents/{reference}/cut-off", headers=headers).json()["task"]
    before = state(client, headers, reference)
    path = f"/api/v1/reassessments/{task_id}/complete"
    cases = [
        ({}, "contact_outcome"),
        ({"contact_outcome": ""}, "contact_outcome"),
        ({"contact_outcome": "waved"}, "contact_outcome"),
        ({"contact_outcome": "no_answer", "safeguarding": ["hope"]}, "safeguarding.0"),
        ({"contact_outcome": "no_answer", "safeguarding": ["no_action_needed"]}, "safeguarding_note"),
        ({"contact_outcome": "no_answer", "review_in_minutes": 100_000}, "review_in_minutes"),
        ({"contact_outcome": "no_answer", "review_at": "2026-11-26T20:00:00Z"}, "review_at"),
        ({"contact_outcome": "no_answer", "review_at": "2026-11-26T23:00:00"}, "review_at"),
        ({"contact_outcome": "no_answer", "review_in_minutes": "60"}, "review_in_minutes"),
        ({"contact_outcome": "no_answer", "contact_note": "x" * 2001}, "contact_note"),
        ({"contact_outcome": "no_answer", "surprise": True}, "surprise"),
    ]
    for body, field in cases:
        refused(client.post(path, json=body, headers=headers), 422, field)
    assert "outcome of the attempt to contact" in refused(
        client.post(path, json={}, headers=headers), 422, "contact_outcome"
    )
    assert state(client, headers, reference) == before


def test_an_incident_with_an_open_task_cannot_close_and_stays_as_it_was(
    client: TestClient, bearer: Bearer, container: Container
) -> None:
    headers = bearer(Role.DISPATCHER)
    reference = graded(client, container, headers, VEHICLE)
    task_id = client.post(f"/api/v1/incidents/{reference}/cut-off", headers=headers).json()["task"]
    before = state(client, headers, reference)
    detail = refused(
        client.post(f"/api/v1/incidents/{reference}/close", json=CLOSE, headers=headers), 422, "status"
    )
    assert f"reassessment task {task_id} is still open" in detail
    assert state(client, headers, reference) == before


# ---- refused dispatch moves ----------------------------------------------------------------


def test_assigning_a_unit_that_is_not_available_is_refused_and_changes_nothing(
    client: TestClient, bearer: Bearer, container: Container
) -> None:
    headers = bearer(Role.DISPATCHER)
    first = graded(client, container, headers, VEHICLE)
    second = graded(client, container, headers, VEHICLE)
    client.post(f"/api/v1/incidents/{first}/assign", json={"call_sign": "TA01"}, headers=headers)
    client.post("/api/v1/units/TD01/status", json={"status": "unavailable"}, headers=headers)
    before = state(client, headers, second)
    reason = {"reason": "nearest"}
    detail = refused(
        client.post(
            f"/api/v1/incidents/{second}/assign", json={"call_sign": "TA01"} | reason, headers=headers
        ),
        422,
        "call_sign",
    )
    assert f"TA01 is committed elsewhere: assigned on {first}" in detail
    refused(
        client.post(
            f"/api/v1/incidents/{second}/assign", json={"call_sign": "TD01"} | reason, headers=headers
        ),
        422,
        "call_sign",
    )
    refused(
        client.post(
            f"/api/v1/incidents/{second}/assign", json={"call_sign": "ZZ99"} | reason, headers=headers
        ),
        404,
        "call_sign",
    )
    before_first = state(client, headers, first)
    detail = refused(  # the same unit twice on one incident
        client.post(
            f"/api/v1/incidents/{first}/assign", json={"call_sign": "TA01"} | reason, headers=headers
        ),
        422,
        "call_sign",
    )
    assert f"TA01 is already assigned on {first}" in detail
    assert state(client, headers, second) == before
    assert state(client, headers, first) == before_first


def test_a_non_recommended_unit_without_a_reason_is_refused_and_changes_nothing(
    client: TestClient, bearer: Bearer, container: Container
) -> None:
    headers = bearer(Role.DISPATCHER)
    reference = graded(client, container, headers, VEHICLE)
    before = state(client, headers, reference)
    for reason in (None, "   "):
        body = {"call_sign": "TA02"} | ({"reason": reason} if reason else {})
        detail = refused(
            client.post(f"/api/v1/incidents/{reference}/assign", json=body, headers=headers), 422, "reason"
        )
        assert "TA01 was recommended" in detail
    assert state(client, headers, reference) == before


def test_a_unit_status_change_out_of_order_is_refused_and_changes_nothing(
    client: TestClient, bearer: Bearer, container: Container
) -> None:
    headers = bearer(Role.DISPATCHER)
    reference = graded(client, container, headers, VEHICLE)
    before = state(client, headers, reference)
    detail = refused(
        client.post("/api/v1/units/TA01/status", json={"status": "at_scene"}, headers=headers), 422, "status"
    )
    assert "a unit that is available cannot become at_scene" in detail
    refused(
        client.post("/api/v1/units/TA01/status", json={"status": "en_route"}, headers=headers), 422, "status"
    )
    refused(
        client.post("/api/v1/units/TA01/status", json={"status": "assigned"}, headers=headers), 422, "status"
    )
    assert state(client, headers, reference) == before

    client.post(f"/api/v1/incidents/{reference}/assign", json={"call_sign": "TA01"}, headers=headers)
    client.post("/api/v1/units/TA01/status", json={"status": "at_scene"}, headers=headers)
    before = state(client, headers, reference)
    for status in ("en_route", "available", "unavailable"):
        refused(
            client.post("/api/v1/units/TA01/status", json={"status": status}, headers=headers), 422, "status"
        )
    assert state(client, headers, reference) == before


def test_a_call_handler_can_see_the_board_but_not_move_units(
    client: TestClient, bearer: Bearer, container: Container
) -> None:
    handler = bearer(Role.CALL_HANDLER)
    reference = graded(client, container, handler, VEHICLE)
    assert client.get("/api/v1/board", headers=handler).status_code == 200
    assert client.get(f"/api/v1/incidents/{reference}/recommendations", headers=handler).status_code == 200
    before = state(client, handler, reference)
    for path, body in (
        (f"/api/v1/incidents/{reference}/assign", {"call_sign": "TA01"}),
        ("/api/v1/units/TA01/status", {"status": "unavailable"}),
        (
            "/api/v1/appointment-slots",
            {"district": "TD1", "day": "2026-11-27", "shift": "early", "capacity": 1},
        ),
    ):
        response = client.post(path, json=body, headers=handler)
        assert response.status_code == 403, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
    assert state(client, handler, reference) == before
    analyst = bearer(Role.ANALYST)
    assert client.post(f"/api/v1/incidents/{reference}/cut-off", headers=analyst).status_code == 403
    assert client.get("/api/v1/board").status_code == 401


def test_recommendations_wait_for_a_grade(client: TestClient, bearer: Bearer) -> None:
    headers = bearer(Role.DISPATCHER)
    reference = client.post("/api/v1/incidents", json=VEHICLE, headers=headers).json()["reference"]
    refused(client.get(f"/api/v1/incidents/{reference}/recommendations", headers=headers), 422, "reference")
    refused(client.get("/api/v1/incidents/TH-000000-0000/recommendations", headers=headers), 404, "reference")


# ---- appointments --------------------------------------------------------------------------


def open_slot(client: TestClient, headers: Headers, capacity: int = 1) -> int:
    slot = {"district": "TD1", "day": "2026-11-27", "shift": "early", "capacity": capacity}
    response = client.post("/api/v1/appointment-slots", json=slot, headers=headers)
    assert response.status_code == 201, response.text
    assert (response.json()["starts_at"], response.json()["ends_at"]) == (
        "2026-11-27T07:00:00Z",
        "2026-11-27T15:00:00Z",
    )
    return int(response.json()["id"])


def test_a_full_slot_refuses_a_second_booking_and_changes_nothing(
    client: TestClient, bearer: Bearer, container: Container
) -> None:
    supervisor = bearer(Role.SUPERVISOR)
    headers = bearer(Role.DISPATCHER)
    slot_id = open_slot(client, supervisor)
    first = graded(client, container, headers, VEHICLE)
    second = graded(client, container, headers, VEHICLE)
    allowed = client.get(f"/api/v1/incidents/{second}/appointment-eligibility", headers=headers).json()
    assert allowed == {
        "allowed": True,
        "reasons": ["grade scheduled may have an appointment"],
        "domestic_abuse": False,
    }
    booking = {"slot_id": slot_id, "at": "2026-11-27T10:00:00Z", "place": "At home, 14 Larkspur Row"}
    booked = client.post(f"/api/v1/incidents/{first}/appointments", json=booking, headers=headers)
    assert booked.status_code == 201, booked.text
    before = state(client, headers, second)
    detail = refused(
        client.post(f"/api/v1/incidents/{second}/appointments", json=booking, headers=headers), 409, "slot_id"
    )
    assert "full" in detail
    assert state(client, headers, second) == before
    [slot] = client.get("/api/v1/appointment-slots?district=TD1&days=2", headers=supervisor).json()
    assert (slot["capacity"], slot["booked"], slot["day"]) == (1, 1, "2026-11-27")


def test_bad_bookings_name_the_field(client: TestClient, bearer: Bearer, container: Container) -> None:
    headers = bearer(Role.SUPERVISOR)
    slot_id = open_slot(client, headers, capacity=5)
    scheduled = graded(client, container, headers, VEHICLE)
    emergency = graded(client, container, headers, DOMESTIC)
    good = {"slot_id": slot_id, "at": "2026-11-27T10:00:00+00:00", "place": "At home"}
    before = state(client, headers, scheduled)
    for body, status, field in (
        (good | {"at": "2026-11-27T16:00:00Z"}, 422, "at"),
        (good | {"at": "2026-11-27T10:00:00"}, 422, "at"),
        (good | {"at": 1700000000}, 422, "at"),
        (good | {"place": "  "}, 422, "place"),
        (good | {"slot_id": 999_999}, 404, "slot_id"),
        (good | {"slot_id": "1"}, 422, "slot_id"),
    ):
        refused(
            client.post(f"/api/v1/incidents/{scheduled}/appointments", json=body, headers=headers),
            status,
            field,
        )
    assert state(client, headers, scheduled) == before
    assert (
        client.get(f"/api/v1/incidents/{emergency}/appointment-eligibility", headers=headers).json()[
            "allowed"
        ]
        is False
    )
    refused(
        client.post(f"/api/v1/incidents/{emergency}/appointments", json=good, headers=headers),
        422,
        "reference",
    )
    slot = {"district": "TD1", "day": "2026-11-27", "shift": "early", "capacity": 1}
    refused(client.post("/api/v1/appointment-slots", json=slot, headers=headers), 409, "shift")
    for changed, field in (
        ({"district": "XX"}, "district"),
        ({"shift": "night"}, "shift"),
        ({"capacity": 0}, "capacity"),
        ({"day": "2026-11-25"}, "day"),
        ({"day": "27/11/2026"}, "day"),
    ):
        refused(client.post("/api/v1/appointment-slots", json=slot | changed, headers=headers), 422, field)


def test_a_missed_appointment_opens_a_task_and_a_cancelled_one_frees_its_place(
    client: TestClient, bearer: Bearer, container: Container, clock: FakeClock
) -> None:
    headers = bearer(Role.SUPERVISOR)
    slot_id = open_slot(client, headers, capacity=1)
    reference = graded(client, container, headers, VEHICLE)
    booking = {"slot_id": slot_id, "at": "2026-11-27T10:00:00Z", "place": "At home"}
    booked = client.post(f"/api/v1/incidents/{reference}/appointments", json=booking, headers=headers).json()
    timing = client.get(f"/api/v1/incidents/{reference}/dispatch", headers=headers).json()
    assert [d["kind"] for d in timing["deadlines"]] == ["appointment.check"]
    refused(
        client.post(f"/api/v1/appointments/{booked['id']}/end", json={"outcome": "missed"}, headers=headers),
        422,
        "note",
    )
    ended = client.post(
        f"/api/v1/appointments/{booked['id']}/end",
        json={"outcome": "missed", "note": "nobody home"},
        headers=headers,
    )
    assert ended.status_code == 200, ended.text
    assert (ended.json()["status"], ended.json()["end_note"]) == ("missed", "nobody home")
    assert ended.json()["ended_at"] == iso(clock.now)
    [task] = client.get("/api/v1/reassessments", headers=headers).json()
    assert task["triggers"][0]["trigger"] == "appointment_missed_or_cancelled"
    refused(
        client.post(f"/api/v1/appointments/{booked['id']}/end", json={"outcome": "kept"}, headers=headers),
        409,
        "appointment_id",
    )
    assert (
        client.post("/api/v1/appointments/999999/end", json={"outcome": "kept"}, headers=headers).status_code
        == 404
    )


def test_a_nul_or_control_character_is_refused_not_a_server_error(
    client: TestClient, bearer: Bearer, container: Container
) -> None:
    headers = bearer(Role.SUPERVISOR)
    reference = graded(client, container, headers, VEHICLE)
    refused(client.get("/api/v1/appointment-slots?district=%00", headers=headers), 422, "district")
    refused(client.get("/api/v1/incidents/a%00b/recommendations", headers=headers), 422, "reference")
    refused(
        client.post("/api/v1/units/TA%0A01/status", json={"status": "unavailable"}, headers=headers),
        422,
        "call_sign",
    )
    body = {"call_sign": "TA02", "reason": "nearest\x00"}
    refused(client.post(f"/api/v1/incidents/{reference}/assign", json=body, headers=headers), 422, "reason")
    task_id = client.post(f"/api/v1/incidents/{reference}/cut-off", headers=headers).json()["task"]
    body = {"contact_outcome": "no_answer", "contact_note": "rang\x00"}
    refused(
        client.post(f"/api/v1/reassessments/{task_id}/complete", json=body, headers=headers),
        422,
        "contact_note",
    )


# ---- several units, backup, positions -------------------------------------------------------


def test_two_units_on_one_incident_each_with_its_status_on_the_board(
    client: TestClient, bearer: Bearer, container: Container, clock: FakeClock
) -> None:
    headers = bearer(Role.DISPATCHER)
    reference = graded(client, container, headers, VEHICLE)
    for call_sign in ("TA01", "TA02"):
        sent = client.post(
            f"/api/v1/incidents/{reference}/assign",
            json={"call_sign": call_sign, "reason": "two needed"},
            headers=headers,
        )
        assert sent.status_code == 200, sent.text
    client.post("/api/v1/units/TA02/status", json={"status": "at_scene"}, headers=headers)
    (held,) = client.get("/api/v1/board", headers=headers).json()["held"]
    assert held["status"] == "at_scene"
    assert [(u["call_sign"], u["status"]) for u in held["units"]] == [
        ("TA01", "assigned"),
        ("TA02", "at_scene"),
    ]
    timing = client.get(f"/api/v1/incidents/{reference}/dispatch", headers=headers).json()
    assert [(u["call_sign"], u["status"], u["type_label"]) for u in timing["units"]] == [
        ("TA01", "assigned", "Response"),
        ("TA02", "at_scene", "Response"),
    ]
    taken = client.post("/api/v1/units/TA02/take-away", json={"reason": "needed elsewhere"}, headers=headers)
    assert taken.status_code == 200, taken.text
    assert (taken.json()["status"], taken.json()["task"]) == ("dispatched", None)
    closed = client.post(f"/api/v1/incidents/{reference}/close", json=CLOSE, headers=headers)
    assert closed.status_code == 200, closed.text
    assert {u["status"] for u in units_by_sign(client, headers).values()} == {"available"}


def test_a_backup_request_is_shown_and_satisfied_or_refused_naming_the_field(
    client: TestClient, bearer: Bearer, container: Container
) -> None:
    headers = bearer(Role.DISPATCHER)
    reference = graded(client, container, headers, VEHICLE)
    client.post(f"/api/v1/incidents/{reference}/assign", json={"call_sign": "TA01"}, headers=headers)
    url = f"/api/v1/incidents/{reference}/backup"
    before = state(client, headers, reference)
    refused(client.post(url, json={"units": 0, "reason": "x"}, headers=headers), 422, "units")
    refused(
        client.post(url, json={"units": 1, "skills": ["juggling"], "reason": "x"}, headers=headers),
        422,
        "skills",
    )
    refused(client.post(url, json={"units": 1, "reason": " "}, headers=headers), 422, "reason")
    assert state(client, headers, reference) == before
    made = client.post(
        url, json={"units": 1, "skills": ["da_trained"], "reason": "he has friends"}, headers=headers
    )
    assert made.status_code == 200, made.text
    assert made.json()["skill_labels"] == ["Domestic-abuse trained"] and made.json()["status"] == "open"
    (held,) = client.get("/api/v1/board", headers=headers).json()["held"]
    assert held["backup"]["still_wanted"] == 1
    recs = client.get(f"/api/v1/incidents/{reference}/recommendations", headers=headers).json()
    assert recs["units"][0]["call_sign"] == "TD01" and recs["needs"]["backup"]["reason"] == "he has friends"
    assert recs["units"][0]["type_label"] == "Domestic-abuse car"
    client.post(f"/api/v1/incidents/{reference}/assign", json={"call_sign": "TD01"}, headers=headers)
    (held,) = client.get("/api/v1/board", headers=headers).json()["held"]
    assert held["backup"] is None
    timing = client.get(f"/api/v1/incidents/{reference}/dispatch", headers=headers).json()
    assert [(b["status"], b["sent"]) for b in timing["backups"]] == [("satisfied", ["TD01"])]
    refused(
        client.post(f"{url}/cancel", json={"reason": "no longer"}, headers=headers), 422, "reference"
    )  # nothing open to cancel


def test_a_units_position_moves_its_recommendation_and_bad_positions_are_refused(
    client: TestClient, bearer: Bearer, container: Container, clock: FakeClock
) -> None:
    headers = bearer(Role.DISPATCHER)
    reference = graded(client, container, headers, VEHICLE)
    url = "/api/v1/units/TD01/position"
    before = units_by_sign(client, headers)
    refused(client.post(url, json={"latitude": 40.4, "longitude": -3.7}, headers=headers), 422, "latitude")
    refused(client.post(url, json={"latitude": 52.1}, headers=headers), 422, "longitude")
    refused(client.post(url, json={"longitude": -1.5}, headers=headers), 422, "latitude")
    future = iso(clock.now + timedelta(hours=1))
    refused(
        client.post(url, json={"latitude": 52.1, "longitude": -1.5, "at": future}, headers=headers), 422, "at"
    )
    refused(client.post(url, json={"latitude": "north", "longitude": -1.5}, headers=headers), 422, "latitude")
    assert units_by_sign(client, headers) == before
    recs = client.get(f"/api/v1/incidents/{reference}/recommendations", headers=headers).json()["units"]
    td01 = next(r for r in recs if r["call_sign"] == "TD01")
    assert td01["measured_from"] == "station" and any(
        "from its station: no recent position" in r for r in td01["reasons"]
    )
    moved = client.post(
        url, json={"latitude": HERE["latitude"], "longitude": HERE["longitude"]}, headers=headers
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["position_at"] == iso(clock.now)
    clock.advance(minutes=2)
    recs = client.get(f"/api/v1/incidents/{reference}/recommendations", headers=headers).json()["units"]
    td01 = next(r for r in recs if r["call_sign"] == "TD01")
    assert td01["measured_from"] == "last_position" and td01["distance_km"] == pytest.approx(0.0, abs=0.01)
    assert any("from its last known position, 2 min ago" in r for r in td01["reasons"])
    analyst = client.post(url, json={"latitude": 52.1, "longitude": -1.5}, headers=bearer(Role.ANALYST))
    assert analyst.status_code == 403
