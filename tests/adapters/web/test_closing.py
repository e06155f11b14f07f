"""Closing, through the API and the pages, on both stores: what it asks, the confirmation,
and the refusals while something needs attention (nothing changed, the reason in words)."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.adapters.web.test_pages import csrf_in, log_in
from tests.conftest import People
from thriives.adapters.db.tables import audit_log, events
from thriives.bootstrap import Container
from thriives.domain.accounts import Role

DA_CALL: dict[str, Any] = {
    "channel": "999",
    "opening_category": "domestic_incident",
    "qualifiers": ["domestic"],
    "account": "He's back and he's banging on the door.",
}
THEFT_CALL: dict[str, Any] = {"channel": "101", "opening_category": "crime_theft", "account": "Bike gone."}
CLOSE = {
    "closing_category": "domestic_incident",
    "closure_reason": "attended_resolved",
    "note": "left before we arrived",
    "dash_exemption": "victim would not answer the questions",
}


def snapshot(container: Container, reference: str) -> tuple[str, int, int]:
    """(status, version, events in the store): what a refusal must leave as it was."""
    with container.uow() as uow:
        row = uow.incidents.require(reference)
        count = uow.connection.execute(select(func.count()).select_from(events)).scalar_one()
    return row["status"], row["version"], int(count)


def test_the_api_refuses_to_close_with_an_open_review_or_reassessment(
    client: TestClient, bearer, container: Container
) -> None:
    handler = bearer(Role.CALL_HANDLER)
    reference = client.post("/api/v1/incidents", json=DA_CALL, headers=handler).json()["reference"]
    before = snapshot(container, reference)
    refused = client.post(f"/api/v1/incidents/{reference}/close", json=CLOSE, headers=handler)
    assert refused.status_code == 422
    problem = refused.json()["errors"][0]
    assert problem["field"] == "status"
    assert "waiting for a domestic-abuse review" in problem["message"]
    assert snapshot(container, reference) == before

    task = client.post(f"/api/v1/incidents/{reference}/cut-off", headers=handler).json()["task"]
    supervisor = bearer(Role.SUPERVISOR)
    before = snapshot(container, reference)
    refused = client.post(f"/api/v1/incidents/{reference}/close", json=CLOSE, headers=supervisor)
    assert refused.status_code == 422
    message = refused.json()["errors"][0]["message"]
    assert f"reassessment task {task} is still open" in message and "domestic-abuse" not in message
    assert snapshot(container, reference) == before


def test_the_api_needs_a_note_to_close(client: TestClient, bearer, container: Container) -> None:
    headers = bearer(Role.CALL_HANDLER)
    reference = client.post("/api/v1/incidents", json=THEFT_CALL, headers=headers).json()["reference"]
    before = snapshot(container, reference)
    body = {"closing_category": "crime_theft", "closure_reason": "advice_given"}
    for note in ({}, {"note": ""}, {"note": "   "}):
        refused = client.post(f"/api/v1/incidents/{reference}/close", json=body | note, headers=headers)
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "note", refused.text
    assert snapshot(container, reference) == before
    closed = client.post(
        f"/api/v1/incidents/{reference}/close", json=body | {"note": "advised"}, headers=headers
    )
    assert closed.status_code == 200 and closed.json()["closure_note"] == "advised"


def test_the_page_shows_why_it_cannot_close_and_a_forced_post_changes_nothing(
    client: TestClient, people: People, container: Container
) -> None:
    handler = people(Role.CALL_HANDLER)
    log_in(client, handler.username)
    page = client.get("/calls/new")
    reference = client.post(
        "/api/v1/incidents", json=DA_CALL, headers={"X-CSRF-Token": csrf_in(page.text)}
    ).json()["reference"]
    shown = client.get(f"/incidents/{reference}")
    assert 'id="closing-blockers"' in shown.text and "waiting for a domestic-abuse review" in shown.text
    assert 'id="close-form"' not in shown.text
    before = snapshot(container, reference)
    refused = client.post(
        f"/incidents/{reference}/close",
        data=CLOSE | {"confirm": "yes", "csrf_token": csrf_in(shown.text)},
        follow_redirects=False,
    )
    assert refused.status_code == 422 and "waiting for a domestic-abuse review" in refused.text
    assert snapshot(container, reference) == before


def test_closing_on_the_page_asks_for_everything_then_confirms(
    client: TestClient, people: People, container: Container
) -> None:
    handler = people(Role.CALL_HANDLER)
    log_in(client, handler.username)
    token = csrf_in(client.get("/calls/new").text)
    reference = client.post("/api/v1/incidents", json=THEFT_CALL, headers={"X-CSRF-Token": token}).json()[
        "reference"
    ]
    page = client.get(f"/incidents/{reference}").text
    form = page.split('id="close-form"', 1)[1].split("</form>", 1)[0]
    assert " selected" not in form  # nothing chosen for the handler
    assert re.findall(r'<option value="([^"]*)"', form)[:2] == ["", "crime_theft"]  # choose..., as opened
    assert "choose..." in form and "required" in form.split('name="note"', 1)[1].split(">", 1)[0]

    fields = {"closing_category": "crime_theft", "closure_reason": "advice_given", "csrf_token": token}
    before = snapshot(container, reference)
    missing = client.post(f"/incidents/{reference}/close", data=fields, follow_redirects=False)
    assert missing.status_code == 422 and "Not closed. Note: a reason is required" in missing.text
    assert '<option value="crime_theft" selected>' in missing.text  # what was chosen is kept
    asked = client.post(
        f"/incidents/{reference}/close", data=fields | {"note": "advised"}, follow_redirects=False
    )
    assert asked.status_code == 200 and f"Close {reference}?" in asked.text
    assert "Confirm close" in asked.text and snapshot(container, reference) == before

    back = client.post(
        f"/incidents/{reference}/close",
        data=fields | {"note": "advised", "back": "1"},
        follow_redirects=False,
    )
    assert back.status_code == 200 and ">advised</textarea>" in back.text
    assert snapshot(container, reference) == before
    with container.uow() as uow:
        audits = uow.connection.execute(select(func.count()).select_from(audit_log)).scalar_one()

    done = client.post(
        f"/incidents/{reference}/close",
        data=fields | {"note": "advised", "confirm": "yes"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    with container.uow() as uow:
        row = uow.incidents.require(reference)
        assert uow.connection.execute(select(func.count()).select_from(audit_log)).scalar_one() > audits
    assert (row["status"], row["closing_category"], row["closure_note"]) == (
        "closed",
        "crime_theft",
        "advised",
    )


def test_a_refused_close_names_the_field_in_words_beside_it(
    client: TestClient, people: People, container: Container
) -> None:
    supervisor = people(Role.SUPERVISOR)
    log_in(client, supervisor.username)
    token = csrf_in(client.get("/calls/new").text)
    reference = client.post("/api/v1/incidents", json=DA_CALL, headers={"X-CSRF-Token": token}).json()[
        "reference"
    ]
    assert 'id="close-form"' in client.get(f"/incidents/{reference}").text  # a supervisor may close
    before = snapshot(container, reference)
    fields = CLOSE | {"dash_exemption": "", "csrf_token": token}
    refused = client.post(f"/incidents/{reference}/close", data=fields, follow_redirects=False)
    assert refused.status_code == 422
    assert "Not closed. If no DASH was completed, why not: " in refused.text
    assert "dash exemption" not in refused.text and "dash_exemption:" not in refused.text
    field = refused.text.split('id="dash_exemption"', 1)[1].split(">", 1)[0]
    assert 'aria-invalid="true"' in field and 'aria-describedby="dash_exemption-error"' in field
    assert 'id="dash_exemption-error"' in refused.text
    assert snapshot(container, reference) == before


def test_the_contact_card_reads_well_when_the_caller_gave_only_a_number_and_a_postcode(
    client: TestClient, people: People
) -> None:
    log_in(client, people(Role.CALL_HANDLER).username)
    token = csrf_in(client.get("/calls/new").text)
    call = THEFT_CALL | {"caller_phone": "07700 900123", "postcode": "TH4 7QX"}
    reference = client.post("/api/v1/incidents", json=call, headers={"X-CSRF-Token": token}).json()[
        "reference"
    ]
    page = client.get(f"/incidents/{reference}").text
    assert re.search(r'id="contact-location">TH4 7QX</dd>', page)  # not "not given TH4 7QX"
    assert re.search(r'id="contact-caller">name not given, 07700 ?900123</dd>', page)
    bare = client.post("/api/v1/incidents", json=THEFT_CALL, headers={"X-CSRF-Token": token}).json()
    assert 'id="contact-location">not given</dd>' in client.get(f"/incidents/{bare['reference']}").text
