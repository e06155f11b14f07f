"""The incident page: grading and closing an incident, each step on its timeline.

Sending a unit, its arrival and taking it away move a unit too: they are done on the live
board (``test_board.py``), and the incident page offers only a link to its dispatch panel.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer
from tests.browser.helpers import open_incident

pytestmark = pytest.mark.browser


def test_status_changes_and_closing_are_shown_on_the_timeline(live_server: LiveServer, page: Page) -> None:
    live_server.log_in(page, live_server.dispatcher)
    reference = open_incident(page, live_server.url, category="Crime: vehicle crime")
    heading = page.get_by_role("heading", level=1)
    timeline = page.locator("#timeline li")
    expect(timeline).to_have_count(1)
    expect(timeline.nth(0)).to_contain_text(re.compile(r"opened\s+by dispatcher"))

    # Only grading is offered here; dispatching belongs to the board.
    expect(page.get_by_label("New status").locator("option")).to_have_count(1)
    page.get_by_label("New status").select_option("graded")
    page.get_by_role("button", name="Change status").click()
    expect(heading.locator(".status")).to_have_text("graded")
    expect(timeline).to_have_count(2)
    expect(timeline.nth(1)).to_contain_text(re.compile(r"grade\s+by dispatcher"))
    expect(timeline.nth(1)).to_contain_text("status: open → graded")
    expect(page.get_by_role("button", name="Change status")).to_have_count(0)
    dispatch = page.get_by_role("link", name=re.compile("^Dispatch"))
    expect(dispatch).to_have_attribute("href", f"/board/incidents/{reference}")

    page.get_by_label("Closing category").select_option(label="Crime: criminal damage")
    page.get_by_label("Closure reason").select_option(label="Crime recorded")
    page.get_by_label("Note").fill("Wing mirror only")
    page.get_by_role("button", name="Close incident").click()

    expect(page).to_have_url(f"{live_server.url}/incidents/{reference}")
    expect(heading.locator(".status")).to_have_text("closed")
    expect(timeline).to_have_count(3)
    expect(timeline.nth(2)).to_contain_text(re.compile(r"closed\s+by dispatcher"))
    expect(timeline.nth(2)).to_contain_text("status: graded → closed")
    closed_as = page.locator("dt", has_text="Closed as").locator("xpath=following-sibling::dd[1]")
    expect(closed_as).to_have_text("Crime: criminal damage: Crime recorded. Wing mirror only")
    # A dispatcher may not reopen, and a closed incident has nothing left to close or dispatch.
    expect(page.get_by_role("button", name="Close incident")).to_have_count(0)
    expect(page.get_by_role("button", name="Reopen")).to_have_count(0)
    expect(page.get_by_role("button", name="Change status")).to_have_count(0)
    expect(dispatch).to_have_count(0)
