"""The initial grade over HTTP on both stores: the API (bad input changes nothing, 409s)
and the quick-grade block on the assessment screen and the board's incident page."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.adapters.web.test_assessment_pages import new_call
from tests.adapters.web.test_pages import csrf_in, log_in
from tests.conftest import FakeClock, People
from thriives.bootstrap import Container
from thriives.domain.accounts import Role

CALL = {
    "channel": "999",
    "opening_category": "domestic_incident",
    "qualifiers": ["domestic"],
    "caller_phone": "07700900321",
    "account": "He's come back, he's banging on the door, please hurry.",
}
REASON = "ex-partner at the door now, she is frightened"


def opened(client: TestClient, headers: dict[str, str]) -> str:
    return str(client.post("/api/v1/incidents", json=CALL, headers=headers).json()["reference"])


def state(client: TestClient, reference: str, headers: dict[str, str]) -> tuple[Any, ...]:
    incident = client.get(f"/api/v1/incidents/{reference}", headers=headers).json()
    return incident["status"], incident["grade"], incident["version"], len(incident["timeline"])


def test_a_quick_grade_over_the_api_is_recorded_and_shown_on_the_incident(
    client: TestClient, bearer: Any
) -> None:
    headers = bearer(Role.CALL_HANDLER)
    reference = opened(client, headers)
    response = client.post(
        f"/api/v1/incidents/{reference}/initial-grade",
        json={"grade": "emergency", "indicators": ["violence", "suspect_present"], "reason": REASON},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["grade"]) == ("graded", "emergency")
    assert body["initial_grade"]["reason"] == REASON
    incident = client.get(f"/api/v1/incidents/{reference}", headers=headers).json()
    assert incident["initial_grade"]["indicators"] == ["violence", "suspect_present"]
    assert incident["initial_grade"]["assessed_at"] is None
    assert "incident.initial_graded" in [e["kind"] for e in incident["timeline"]]
    again = client.get(f"/api/v1/incidents/{reference}/initial-grade", headers=headers).json()
    assert again["grade"] == "emergency"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"grade": "scheduled", "reason": REASON}, "grade"),
        ({"grade": "emergency", "indicators": ["violence", "made_up"], "reason": REASON}, "indicators.1"),
        ({"grade": "emergency", "reason": ""}, "reason"),
        ({"grade": "emergency"}, "reason"),
        ({"grade": "priority", "reason": "x" * 201}, "reason"),
    ],
)
def test_a_bad_quick_grade_is_refused_naming_the_field_and_changes_nothing(
    client: TestClient, bearer: Any, body: dict[str, Any], field: str
) -> None:
    headers = bearer(Role.CALL_HANDLER)
    reference = opened(client, headers)
    before = state(client, reference, headers)
    response = client.post(f"/api/v1/incidents/{reference}/initial-grade", json=body, headers=headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in response.text
    assert state(client, reference, headers) == before


def test_a_quick_grade_on_a_graded_incident_is_a_conflict(client: TestClient, bearer: Any) -> None:
    headers = bearer(Role.CALL_HANDLER)
    reference = opened(client, headers)
    body = {"grade": "priority", "reason": REASON}
    assert client.post(f"/api/v1/incidents/{reference}/initial-grade", json=body, headers=headers).is_success
    before = state(client, reference, headers)
    again = client.post(f"/api/v1/incidents/{reference}/initial-grade", json=body, headers=headers)
    assert again.status_code == 409
    assert state(client, reference, headers) == before


def test_the_assessment_screen_gives_a_quick_grade_and_shows_who_and_why(
    client: TestClient, people: People, container: Container
) -> None:
    log_in(client, people(Role.CALL_HANDLER).username)
    reference = new_call(client)
    page = client.get(f"/incidents/{reference}/assess")
    assert 'id="ig-form"' in page.text and 'id="ig-reason"' in page.text
    refused = client.post(
        f"/incidents/{reference}/initial-grade",
        data={"csrf_token": csrf_in(page.text), "grade": "emergency", "reason": " ", "back": "/x"},
        follow_redirects=False,
    )
    assert refused.status_code == 422
    assert "Reason" in refused.text and "a reason is required" in refused.text
    given = client.post(
        f"/incidents/{reference}/initial-grade",
        data={
            "csrf_token": csrf_in(page.text),
            "grade": "emergency",
            "reason": REASON,
            "back": f"/incidents/{reference}/assess",
        },
        follow_redirects=False,
    )
    assert given.status_code == 303
    after = client.get(f"/incidents/{reference}/assess")
    assert 'id="ig-record"' in after.text and REASON in after.text
    assert 'id="ig-form"' not in after.text
    board = client.get(f"/board/incidents/{reference}")
    assert board.status_code == 200 and 'id="assign-form"' in board.text and REASON in board.text


def test_a_fresh_assessment_is_provisional_and_a_re_run_starts_from_the_last_version(
    client: TestClient, people: People, container: Container
) -> None:
    handler = people(Role.CALL_HANDLER)
    log_in(client, handler.username)
    reference = new_call(client)
    page = client.get(f"/incidents/{reference}/assess")
    assert 'id="provisional"' in page.text and 'id="unrated-threat"' in page.text
    assert "Resolution without deployment</strong>" not in page.text
    form: dict[str, Any] = {"csrf_token": csrf_in(page.text), "model": "thriives"}
    for factor in container.assessment_policy.models["thriives"].factors:
        form[f"level_{factor.code}"] = "medium" if factor.code == "harm" else "low"
        form[f"rationale_{factor.code}"] = f"{factor.name}: as the caller said"
    for advice in container.assessment_policy.advice:
        form[f"advice_{advice.code}"] = "given"
    saved = client.post(f"/incidents/{reference}/assess", data=form, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    rerun = client.get(f"/incidents/{reference}/assess")
    assert 'id="level-harm-medium" name="level_harm" value="medium" checked' in rerun.text
    assert "Harm: as the caller said" in rerun.text
    assert 'id="unrated-threat"' not in rerun.text


def test_a_late_full_assessment_shows_on_the_supervisors_live_view(
    client: TestClient, people: People, container: Container, clock: FakeClock
) -> None:
    handler = people(Role.CALL_HANDLER)
    log_in(client, handler.username)
    reference = new_call(client)
    container.initial_grades.give(handler, reference, "priority", [], REASON, clock())
    clock.advance(minutes=31)
    container.deadlines.fire_due(clock(), "w1")
    log_in(client, people(Role.SUPERVISOR).username)
    live = client.get("/supervision")
    assert live.status_code == 200
    count = re.search(r'id="count-late_assessment">(\d+)<', live.text)
    assert count is not None and count[1] == "1"
    assert "Full assessment late after an initial grade" in live.text
    page = client.get(f"/incidents/{reference}")
    assert "full assessment late after the initial grade: supervisor told" in page.text


def test_the_incident_page_shows_the_initial_grade_beside_the_account(
    client: TestClient, people: People
) -> None:
    log_in(client, people(Role.CALL_HANDLER).username)
    headers = {"X-CSRF-Token": csrf_in(client.get("/calls/new").text)}
    reference = opened(client, headers)
    assert 'id="incident-initial-grade"' not in client.get(f"/incidents/{reference}").text
    body = {"grade": "emergency", "reason": REASON}
    assert client.post(f"/api/v1/incidents/{reference}/initial-grade", json=body, headers=headers).is_success
    page = client.get(f"/incidents/{reference}").text
    shown = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.split('id="incident-initial-grade">', 1)[1]))
    assert shown.startswith(" Initial grade: Emergency given by ")
    assert f"“{REASON}”" in shown and "Full assessment due by" in shown
