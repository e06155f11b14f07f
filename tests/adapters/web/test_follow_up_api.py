"""Nothing out of sight, over HTTP on both stores: the live queue a page at a time with its
total, ungraded calls on the board with their grading clock, and follow-ups completed with an
outcome through the API and the small form; bad input is refused and changes nothing."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.adapters.web.test_dispatch_api import VEHICLE, Bearer, Headers, graded, refused
from tests.adapters.web.test_dispatch_pages import post
from tests.adapters.web.test_pages import log_in
from tests.conftest import FakeClock, People
from thriives.adapters.web import pages
from thriives.bootstrap import Container
from thriives.domain.accounts import Role


def open_calls(client: TestClient, headers: Headers, count: int, clock: FakeClock) -> list[str]:
    made = []
    for _ in range(count):
        response = client.post("/api/v1/incidents", json=VEHICLE, headers=headers)
        assert response.status_code == 201, response.text
        made.append(response.json()["reference"])
        clock.advance(seconds=10)
    return made


def test_the_live_queue_pages_with_its_total_and_a_link_to_the_next(
    client: TestClient, bearer: Bearer, clock: FakeClock
) -> None:
    headers = bearer(Role.CALL_HANDLER)
    made = open_calls(client, headers, 5, clock)
    first = client.get("/api/v1/incidents?limit=2", headers=headers)
    assert first.status_code == 200
    assert [r["reference"] for r in first.json()] == made[:2]
    assert first.headers["X-Total-Count"] == "5"
    assert first.headers["Link"] == '</api/v1/incidents?limit=2&offset=2>; rel="next"'
    seen = [r["reference"] for r in first.json()]
    for offset in (2, 4):
        page = client.get(f"/api/v1/incidents?limit=2&offset={offset}", headers=headers)
        seen += [r["reference"] for r in page.json()]
    assert seen == made
    assert "Link" not in page.headers  # the last page
    everything = client.get("/api/v1/incidents", headers=headers)  # an old client: a plain list
    assert isinstance(everything.json(), list) and len(everything.json()) == 5


def test_bad_paging_is_refused_naming_the_parameter(client: TestClient, bearer: Bearer) -> None:
    headers = bearer(Role.CALL_HANDLER)
    bad = (("limit=0", "limit"), ("limit=1001", "limit"), ("offset=-1", "offset"), ("offset=x", "offset"))
    for query, field in bad:
        response = client.get(f"/api/v1/incidents?{query}", headers=headers)
        assert response.status_code == 422, (query, response.text)
        assert response.json()["errors"][0]["field"] == field, response.json()


def test_the_board_shows_an_ungraded_call_with_its_age_cues_and_grading_clock(
    client: TestClient, bearer: Bearer, clock: FakeClock
) -> None:
    headers = bearer(Role.DISPATCHER)
    call = {"channel": "999", "opening_category": "crime_vehicle", "account": "He has a knife."}
    ungraded = client.post("/api/v1/incidents", json=call, headers=headers).json()["reference"]
    clock.advance(minutes=2)
    board = client.get("/api/v1/board", headers=headers).json()
    (entry,) = [e for e in board["queue"] if e["reference"] == ungraded]
    assert (entry["grading"], entry["grading_seconds_left"], entry["age_seconds"]) == ("running", 180, 120)
    assert entry["cues"] == ["999 call", "Weapon mentioned"]
    assert (board["ungraded"], board["grading_late"]) == (1, 0)
    panel = client.get(f"/board/incidents/{ungraded}", headers=headers).text
    assert 'id="panel-grading"><span class="gclock g-running"' in panel and "grade within 3:00" in panel


def resolved(client: TestClient, container: Container, headers: Headers) -> tuple[str, dict[str, Any]]:
    reference = graded(client, container, headers, VEHICLE, threat="low")  # every factor low
    (follow_up,) = client.get("/api/v1/follow-ups", headers=headers).json()
    assert follow_up["reference"] == reference and follow_up["status"] == "open"
    return reference, follow_up


def test_a_follow_up_is_completed_with_its_outcome_through_the_api(
    client: TestClient, bearer: Bearer, container: Container
) -> None:
    headers = bearer(Role.DISPATCHER)
    reference, follow_up = resolved(client, container, headers)
    done = client.post(
        f"/api/v1/follow-ups/{follow_up['id']}/complete",
        json={"outcome": "called_back", "note": "advice repeated"},
        headers=headers,
    )
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["outcome"]) == ("done", "called_back")
    assert client.get("/api/v1/follow-ups", headers=headers).json() == []
    timeline = client.get(f"/api/v1/incidents/{reference}", headers=headers).json()["timeline"]
    assert [e["kind"] for e in timeline if e["kind"].startswith("follow_up.")] == [
        "follow_up.opened",
        "follow_up.completed",
    ]
    again = client.post(
        f"/api/v1/follow-ups/{follow_up['id']}/complete", json={"outcome": "no_contact"}, headers=headers
    )
    refused(again, 409, "follow_up")


def test_a_follow_up_without_an_outcome_or_agency_is_refused_and_changes_nothing(
    client: TestClient, bearer: Bearer, container: Container
) -> None:
    headers = bearer(Role.DISPATCHER)
    _reference, follow_up = resolved(client, container, headers)
    path = f"/api/v1/follow-ups/{follow_up['id']}/complete"
    for body, status, field in (
        ({}, 422, "outcome"),
        ({"outcome": ""}, 422, "outcome"),
        ({"outcome": "phoned"}, 422, "outcome"),
        ({"outcome": "referred"}, 422, "agency"),
        ({"outcome": "referred", "agency": "   "}, 422, "agency"),
    ):
        response = client.post(path, json=body, headers=headers)
        refused(response, status, field)
        assert client.get(f"/api/v1/follow-ups/{follow_up['id']}", headers=headers).json() == follow_up
    assert client.get("/api/v1/follow-ups/999999", headers=headers).status_code == 404
    analyst = client.post(path, json={"outcome": "called_back"}, headers=bearer(Role.ANALYST))
    assert analyst.status_code == 403


def test_the_follow_up_form_keeps_what_was_typed_when_refused_then_records_it(
    client: TestClient, bearer: Bearer, container: Container, people: People
) -> None:
    headers = bearer(Role.DISPATCHER)
    reference, follow_up = resolved(client, container, headers)
    log_in(client, people(Role.CALL_HANDLER).username)
    page = f"/follow-ups/{follow_up['id']}"
    panel = client.get(f"/board/incidents/{reference}").text
    assert 'id="panel-follow-up">' in panel and f'href="{page}"' in panel
    assert 'id="panel-grading"' not in panel  # graded: no grading clock
    board = client.get("/board").text
    assert f'data-follow-up="{follow_up["id"]}"' in board.split('id="board-follow-ups"', 1)[1]
    missing = post(client, page, page, outcome="referred", agency="", note="gave the number")
    assert missing.status_code == 422
    assert 'id="agency-error"' in missing.text and "gave the number" in missing.text
    done = post(client, page, page, outcome="referred", agency="Victim Support", note="")
    assert done.status_code == 303 and done.headers["location"] == page  # back to what was recorded
    assert "Referred to another agency (Victim Support)" in client.get(page).text


def test_the_live_queue_page_says_how_many_it_does_not_show_and_pages_to_them(
    client: TestClient, bearer: Bearer, people: People, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pages, "QUEUE_PAGE", 2)
    made = open_calls(client, bearer(Role.CALL_HANDLER), 3, clock)
    log_in(client, people(Role.CALL_HANDLER).username)
    first = client.get("/queue").text
    assert re.findall(r'<tr data-reference="([^"]+)"', first) == made[:2]
    assert "Showing 1–2 of 3 open incidents." in first
    assert 'href="/queue?offset=2" id="queue-next">and 1 more' in first
    assert 'hx-get="/queue/table?offset=0"' in first
    second = client.get("/queue/table?offset=2").text
    assert re.findall(r'<tr data-reference="([^"]+)"', second) == made[2:]
    assert "Showing 3–3 of 3 open incidents." in second and 'id="queue-previous"' in second
    assert client.get("/queue?offset=-1").status_code == 422
