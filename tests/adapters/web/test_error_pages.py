"""Errors on pages are pages, with the navigation and what to do; the API keeps problem+json."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Annotated

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from tests.adapters.web.test_pages import log_in
from tests.conftest import People
from thriives.adapters.web.app import create_app
from thriives.adapters.web.identity import Caller, page_caller
from thriives.bootstrap import REQUEST_LOGGER, Container
from thriives.domain.accounts import Role
from thriives.domain.errors import Conflict


@pytest.fixture
def app(container: Container) -> FastAPI:
    """The app with two routes that fail as a page can: a conflict and a crash."""
    built = create_app(container)

    @built.get("/broken/conflict")
    def conflict(_caller: Annotated[Caller, Depends(page_caller)]) -> None:
        raise Conflict("the incident changed while you were editing it; reload", "version")

    @built.get("/broken/crash")
    def crash(_caller: Annotated[Caller, Depends(page_caller)]) -> None:
        raise RuntimeError("a bug")

    @built.get("/api/v1/broken/crash")
    def api_crash() -> None:
        raise RuntimeError("a bug")

    return built


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def is_page(response) -> bool:  # type: ignore[no-untyped-def]
    return response.headers["content-type"].startswith("text/html") and "<nav" in response.text


def test_a_refused_page_says_which_role_cannot_and_whom_to_ask(client: TestClient, people: People) -> None:
    log_in(client, people(Role.CALL_HANDLER).username)
    refused = client.get("/supervision")
    assert refused.status_code == 403 and is_page(refused)
    assert "Your role (call handler) cannot do this." in refused.text
    assert "Ask a supervisor" in refused.text and "{" not in refused.text.split("<main", 1)[1]
    assert 'href="/queue" id="error-back"' in refused.text


def test_the_api_still_answers_a_refusal_with_problem_json(
    client: TestClient, bearer: Callable[[Role], dict[str, str]]
) -> None:
    refused = client.get("/api/v1/reviews/queue", headers=bearer(Role.CALL_HANDLER))
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["title"] == "Not allowed"


def test_an_unknown_reference_or_address_is_a_page_with_the_way_back(
    client: TestClient, people: People
) -> None:
    log_in(client, people(Role.DISPATCHER).username)
    missing = client.get("/incidents/TH-000000-0000")
    assert missing.status_code == 404 and is_page(missing)
    assert "There is no incident &#39;TH-000000-0000&#39;." in missing.text
    assert "Back to the live queue" in missing.text
    nowhere = client.get("/no/such/page")
    assert nowhere.status_code == 404 and is_page(nowhere)
    assert "Nothing was found at this address." in nowhere.text
    assert (
        client.get("/api/v1/incidents/TH-000000-0000").headers["content-type"] == "application/problem+json"
    )


def test_a_conflict_on_a_page_says_the_change_was_not_saved(client: TestClient, people: People) -> None:
    log_in(client, people(Role.DISPATCHER).username)
    conflict = client.get("/broken/conflict")
    assert conflict.status_code == 409 and is_page(conflict)
    assert "Someone else changed this" in conflict.text and "Reload the page" in conflict.text


def test_a_server_error_on_a_page_says_try_again_and_gives_the_time(
    client: TestClient, people: People, container: Container, caplog: pytest.LogCaptureFixture
) -> None:
    actor = people(Role.DISPATCHER)
    log_in(client, actor.username)
    caplog.set_level(logging.INFO, logger=REQUEST_LOGGER)
    crashed = client.get("/broken/crash")
    logged = [r.getMessage() for r in caplog.records if r.name == REQUEST_LOGGER]
    assert logged[-1].startswith("GET /broken/crash 500 ") and logged[-1].endswith(f" {actor.username}")
    assert crashed.status_code == 500 and is_page(crashed)
    assert "The change was not saved." in crashed.text and "tell the administrator" in crashed.text
    assert 'id="error-time"' in crashed.text and "a bug" not in crashed.text
    api = client.get("/api/v1/broken/crash")
    assert api.status_code == 500 and api.headers["content-type"] == "application/problem+json"
    for answer in (crashed, api):  # sent from outside the middleware, with the headers still
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
        assert answer.headers["cache-control"] == "no-store"


def test_a_page_asked_for_without_logging_in_still_goes_to_the_log_in_page(client: TestClient) -> None:
    response = client.get("/incidents/TH-000000-0000", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert client.get("/broken/crash", follow_redirects=False).status_code == 303
    nowhere = client.get("/no/such/page")
    assert nowhere.status_code == 404 and "<nav" not in nowhere.text and 'href="/login"' in nowhere.text
