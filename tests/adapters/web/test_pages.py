"""Pages in-process: log-in, CSRF on every form, cookie flags, redirects, idle timeout."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.conftest import PASSWORD, FakeClock, People
from thriives.bootstrap import Container
from thriives.domain.accounts import Role


def csrf_in(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def log_in(client: TestClient, username: str, password: str = PASSWORD):
    page = client.get("/login")
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_in(page.text), "next": "/"},
        follow_redirects=False,
    )


def test_logging_in_sets_a_strict_httponly_session_cookie(client: TestClient, people: People) -> None:
    actor = people(Role.CALL_HANDLER)
    response = log_in(client, actor.username)
    assert response.status_code == 303 and response.headers["location"] == "/calls/new"
    cookie = response.headers["set-cookie"]
    assert "thriives_session=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie


def test_a_dispatcher_lands_on_the_live_queue(client: TestClient, people: People) -> None:
    assert log_in(client, people(Role.DISPATCHER).username).headers["location"] == "/queue"


def test_a_wrong_password_is_refused_without_saying_which_part(client: TestClient, people: People) -> None:
    response = log_in(client, people().username, "not-the-password")
    assert response.status_code == 401
    assert "not right" in response.text
    assert "thriives_session" not in response.headers.get("set-cookie", "")


def test_a_log_in_form_without_its_csrf_token_is_not_accepted(client: TestClient, people: People) -> None:
    actor = people()
    response = client.post(
        "/login",
        data={"username": actor.username, "password": PASSWORD, "csrf_token": "forged"},
        follow_redirects=False,
    )
    assert "thriives_session" not in response.headers.get("set-cookie", "")


def test_a_form_post_without_the_session_csrf_token_is_refused(client: TestClient, people: People) -> None:
    log_in(client, people().username)
    form = {"channel": "999", "opening_category": "crime_theft", "received_at": "2026-11-26T21:30:00+00:00"}
    refused = client.post("/calls", data=form, follow_redirects=False)
    assert refused.status_code == 403 and "Reload the page and try again" in refused.text
    page = client.get("/calls/new")
    accepted = client.post("/calls", data=form | {"csrf_token": csrf_in(page.text)}, follow_redirects=False)
    assert accepted.status_code == 303 and accepted.headers["location"].startswith("/incidents/TH-")


def test_the_api_refuses_a_cookie_request_without_the_csrf_header(client: TestClient, people: People) -> None:
    log_in(client, people().username)
    body = {"channel": "999", "opening_category": "crime_theft"}
    assert client.post("/api/v1/incidents", json=body).status_code == 403
    token = csrf_in(client.get("/calls/new").text)
    assert client.post("/api/v1/incidents", json=body, headers={"X-CSRF-Token": token}).status_code == 201


def test_pages_send_a_stranger_to_the_log_in_page(client: TestClient) -> None:
    response = client.get("/queue", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login?next=/queue"


def test_an_idle_session_is_sent_back_to_log_in(
    client: TestClient, people: People, clock: FakeClock, container: Container
) -> None:
    log_in(client, people().username)
    assert client.get("/queue", follow_redirects=False).status_code == 200
    clock.advance(minutes=container.settings.session_idle_minutes + 1)
    assert client.get("/queue", follow_redirects=False).status_code == 303


def test_a_log_in_link_never_sends_a_user_off_site(client: TestClient) -> None:
    page = client.get("/login", params={"next": "//evil.example/x"})
    assert 'name="next" value="/"' in page.text


def test_the_call_form_keeps_input_and_names_the_field_on_error(client: TestClient, people: People) -> None:
    log_in(client, people().username)
    token = csrf_in(client.get("/calls/new").text)
    response = client.post(
        "/calls",
        data={
            "csrf_token": token,
            "channel": "999",
            "opening_category": "crime_theft",
            "received_at": "2026-11-26T21:30:00+00:00",
            "postcode": "NOPE",
            "account": "my bike's gone",
            "idempotency_key": "k-1",
        },
        follow_redirects=False,
    )
    assert response.status_code == 422
    assert 'id="postcode-error"' in response.text and "not a valid UK postcode" in response.text
    assert "my bike&#39;s gone" in response.text or "my bike's gone" in response.text
