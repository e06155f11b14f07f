"""Nothing out of sight, in the browser: an ungraded 999 call sits on the dispatcher's board
above a call already graded "resolution without deployment", with its age and its grading
clock counting down, and it is on the supervisor's live view too."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from pytest_playwright.pytest_playwright import CreateContextCallback

from tests.adapters.web.test_dispatch_pages import grade, open_call, seed_force
from tests.browser.conftest import LiveServer
from tests.browser.test_board import LIVE_WAIT_MS, actor, on_the_board, services
from tests.browser.test_supervision import SUPERVISOR, add_supervisor

pytestmark = pytest.mark.browser

WITHIN = re.compile(r"^grade within (\d+):(\d\d)$")


def test_an_ungraded_999_call_shows_above_graded_low_risk_work_with_its_grading_clock(
    live_server: LiveServer, new_context: CreateContextCallback, database_url: str
) -> None:
    with services(database_url) as container:
        seed_force(container)
        add_supervisor(container)
        handler = actor(container, live_server.handler)
        resolved = open_call(container, handler, "crime_vehicle")
        grade(container, handler, resolved)  # every factor low: resolution without deployment
        ungraded = open_call(container, handler, "crime_vehicle")  # newer, and not graded

    board = new_context().new_page()
    live_server.log_in(board, live_server.dispatcher)
    on_the_board(board, live_server)
    rows = board.locator("#board-queue tbody tr")
    expect(rows.nth(0)).to_have_attribute("data-reference", ungraded)
    expect(rows.nth(1)).to_have_attribute("data-reference", resolved)
    first = rows.nth(0)
    expect(first.locator(".grade, .hint").first).to_have_text("not graded")
    expect(first).to_contain_text("999 call")
    expect(first).to_contain_text(re.compile(r"\b0 min\b"))  # its age
    clock = first.locator(".gclock")
    expect(clock).to_have_text(WITHIN)
    match = WITHIN.match(clock.inner_text())
    assert match is not None and 4 * 60 <= int(match[1]) * 60 + int(match[2]) <= 5 * 60  # 999: 5 minutes
    expect(clock).not_to_have_text(clock.inner_text(), timeout=LIVE_WAIT_MS)  # counting down
    expect(board.locator("#count-ungraded")).to_have_text("1")
    expect(board.locator(f'#board-follow-ups tr[data-reference="{resolved}"]')).to_be_visible()

    supervisor = new_context().new_page()
    live_server.log_in(supervisor, SUPERVISOR)
    supervisor.goto(f"{live_server.url}/supervision")
    row = supervisor.locator(f'#sv-ungraded tr[data-reference="{ungraded}"]')
    expect(row).to_be_visible()
    expect(row.locator(".gclock")).to_have_text(WITHIN)
    expect(supervisor.locator(f'#sv-ungraded tr[data-reference="{resolved}"]')).to_have_count(0)
