"""One line per request on the server's output, with a setting to turn it off."""

from __future__ import annotations

import logging
import re

import pytest
from fastapi.testclient import TestClient

from tests.adapters.web.test_pages import log_in
from tests.conftest import FakeClock, People, test_settings
from thriives.adapters.web.app import create_app
from thriives.bootstrap import REQUEST_LOGGER, build
from thriives.domain.accounts import Role

LINE = re.compile(r"^(GET|POST) (\S+) (\d{3}) (\d+\.\d)ms (\S+)$")


def lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == REQUEST_LOGGER]


def test_each_request_is_one_line_with_method_path_status_time_and_user(
    client: TestClient, people: People, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=REQUEST_LOGGER)
    assert client.get("/login").status_code == 200
    (anonymous,) = lines(caplog)
    assert LINE.match(anonymous) and anonymous.startswith("GET /login 200 ") and anonymous.endswith(" -")
    actor = people(Role.DISPATCHER)
    log_in(client, actor.username)
    caplog.clear()
    client.get("/queue?caller_phone=07700900123&name=Jon+Smyth")
    client.get("/incidents/TH-000000-0000")
    found = [LINE.match(line) for line in lines(caplog)]
    assert [(m[1], m[2], m[3], m[5]) for m in found if m] == [
        ("GET", "/queue", "200", actor.username),
        ("GET", "/incidents/TH-000000-0000", "404", actor.username),
    ]
    assert not any("07700900123" in line or "Smyth" in line for line in lines(caplog))


def test_an_api_call_with_a_bearer_token_names_its_user(
    client: TestClient,
    bearer,
    caplog: pytest.LogCaptureFixture,  # type: ignore[no-untyped-def]
) -> None:
    caplog.set_level(logging.INFO, logger=REQUEST_LOGGER)
    client.get("/api/v1/incidents", headers=bearer(Role.DISPATCHER))
    (line,) = lines(caplog)
    match = LINE.match(line)
    assert match and match[2] == "/api/v1/incidents" and match[5] != "-"


def test_the_request_log_can_be_turned_off(
    database_url: str, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=REQUEST_LOGGER)
    container = build(test_settings(database_url, request_log=False), clock=clock)
    try:
        with TestClient(create_app(container)) as client:
            assert client.get("/login").status_code == 200
    finally:
        container.close()
    assert lines(caplog) == []
