"""The assessment screen in-process: choosing THRIVE instead of THRIIVES, and a full save."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.adapters.web.test_pages import csrf_in, log_in
from tests.conftest import People
from thriives.bootstrap import Container
from thriives.domain.accounts import Role


def new_call(client: TestClient) -> str:
    page = client.get("/calls/new")
    received = re.search(r'name="received_at" value="([^"]+)"', page.text)
    assert received is not None
    response = client.post(
        "/calls",
        follow_redirects=False,
        data={
            "csrf_token": csrf_in(page.text),
            "channel": "101",
            "opening_category": "crime_theft",
            "received_at": received.group(1),
            "account": "My bike was taken from the shed.",
        },
    )
    assert response.status_code == 303
    assert response.headers["location"].endswith("/assess")
    return response.headers["location"].split("/")[2]


def test_a_handler_can_assess_with_thrive_instead(
    client: TestClient, people: People, container: Container
) -> None:
    log_in(client, people(Role.CALL_HANDLER).username)
    reference = new_call(client)
    page = client.get(f"/incidents/{reference}/assess", params={"model": "thrive"})
    assert page.status_code == 200
    assert 'name="model" value="thrive"' in page.text
    assert "rationale_specific_need" not in page.text
    thrive = container.assessment_policy.models["thrive"]
    form = {"csrf_token": csrf_in(page.text), "model": "thrive"}
    for factor in thrive.factors:
        form[f"level_{factor.code}"] = "low"
        form[f"rationale_{factor.code}"] = f"{factor.name}: nothing more said"
    for code in re.findall(r'name="advice_([a-z0-9_]+)" value="given"', page.text):
        form[f"advice_{code}"] = "given"
    saved = client.post(f"/incidents/{reference}/assess", data=form, follow_redirects=False)
    assert saved.status_code == 303, re.findall(r'class="error"[^>]*>([^<]*)', saved.text)
    history = client.get(f"/incidents/{reference}/assessments/panel")
    assert "Version 1" in history.text
    with container.uow() as uow:
        incident = uow.incidents.get(reference)
        assert incident is not None
        stored = uow.assessments.history(incident["id"])
    assert stored[0]["model"] == "thrive"
    assert set(stored[0]["levels"]) == {f.code for f in thrive.factors}


def test_only_a_role_that_may_assess_is_offered_the_assessment_link(
    client: TestClient, people: People
) -> None:
    log_in(client, people(Role.CALL_HANDLER).username)
    reference = new_call(client)
    panel = client.get(f"/incidents/{reference}/assessments/panel").text
    assert f'href="/incidents/{reference}/assess"' in panel and "Not assessed yet" in panel
    client.cookies.clear()
    log_in(client, people(Role.PUBLIC_PROTECTION).username)
    assert client.get(f"/incidents/{reference}/assess").status_code == 403  # the link would only refuse
    panel = client.get(f"/incidents/{reference}/assessments/panel").text
    assert f'href="/incidents/{reference}/assess"' not in panel and "Not assessed yet" in panel
