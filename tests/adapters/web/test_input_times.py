"""Received and event times sent to the API lie within the plausible window, or are refused
with a 422 naming the field; a time too far out to convert is refused, never a 500."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from tests.adapters.web.test_dispatch_api import force, iso  # noqa: F401 - force: the units' fixture
from tests.conftest import FakeClock
from thriives.domain.accounts import Role

Bearer = Callable[[Role], dict[str, str]]
CALL = {"channel": "999", "opening_category": "domestic_incident", "qualifiers": ["domestic"], "account": "x"}


@pytest.mark.parametrize(
    "received_at",
    ["0001-01-01T00:00:00+14:00", "9999-12-31T23:00:00-14:00", "1900-01-01T00:00Z", "1970-01-01T00:00Z"],
)
def test_an_implausible_received_time_is_refused_and_nothing_opened(
    client: TestClient, bearer: Bearer, received_at: str
) -> None:
    headers = bearer(Role.CALL_HANDLER)
    answer = client.post("/api/v1/incidents", json=CALL | {"received_at": received_at}, headers=headers)
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["field"] == "received_at"
    assert client.get("/api/v1/incidents", headers=headers).json() == []


def test_a_received_time_within_the_day_is_taken(
    client: TestClient, bearer: Bearer, clock: FakeClock
) -> None:
    headers = bearer(Role.CALL_HANDLER)

    def received(hours_ago: int) -> dict[str, str]:
        return CALL | {"received_at": iso(clock.now - timedelta(hours=hours_ago))}

    late = client.post("/api/v1/incidents", json=received(25), headers=headers)
    assert late.status_code == 422 and "24 hours" in late.json()["detail"]
    taken = client.post("/api/v1/incidents", json=received(23), headers=headers)
    assert taken.status_code == 201, taken.text


@pytest.mark.parametrize("at", ["0001-01-01T00:00:00+14:00", "1970-01-01T00:00:00Z"])
@pytest.mark.usefixtures("force")
def test_an_implausible_position_time_is_refused(client: TestClient, bearer: Bearer, at: str) -> None:
    headers = bearer(Role.DISPATCHER)
    body = {"latitude": 52.1, "longitude": -1.5, "at": at}
    answer = client.post("/api/v1/units/TD01/position", json=body, headers=headers)
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "at", answer.text


def test_a_time_too_far_out_to_convert_is_never_a_server_error(client: TestClient, bearer: Bearer) -> None:
    headers = bearer(Role.SUPERVISOR)
    extreme = "0001-01-01T00:00:00+14:00"
    for url, body in (
        ("/api/v1/reassessments/1/complete", {"contact_outcome": "no_answer", "review_at": extreme}),
        ("/api/v1/incidents/TH-X/appointments", {"slot_id": 1, "at": extreme, "place": "At home"}),
    ):
        assert client.post(url, json=body, headers=headers).status_code < 500, url
