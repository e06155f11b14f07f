"""The incident page: closing an incident (what it asks, its confirmation), on its timeline.

No generic status control: grading is done in the assessment; sending a unit, its arrival
and taking it away move a unit too and are done on the live board (``test_board.py``). The
incident page offers only a link to its dispatch panel.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer
from tests.browser.helpers import open_incident

pytestmark = pytest.mark.browser


def test_closing_asks_for_everything_confirms_and_shows_on_the_timeline(
    live_server: LiveServer, page: Page
) -> None:
    live_server.log_in(page, live_server.dispatcher)
    reference = open_incident(page, live_server.url, category="Crime: vehicle crime")
    heading = page.get_by_role("heading", level=1)
    timeline = page.locator("#timeline li")
    expect(timeline).to_have_count(1)
    expect(timeline.nth(0)).to_contain_text(re.compile(r"opened\s+by dispatcher"))
    expect(page.get_by_label("New status")).to_have_count(0)  # no status without its substance
    dispatch = page.get_by_role("link", name=re.compile("^Dispatch"))
    expect(dispatch).to_have_attribute("href", f"/board/incidents/{reference}")

    # Nothing is chosen for the handler: the browser will not send the form without choices.
    expect(page.get_by_label("Closing category")).to_have_value("")
    expect(page.get_by_label("Closure reason")).to_have_value("")
    page.get_by_role("button", name="Close incident").click()
    expect(heading).to_contain_text(reference)  # still on the incident page
    page.get_by_label("Closing category").select_option(label="Crime: criminal damage")
    page.get_by_label("Closure reason").select_option(label="Crime recorded")
    page.get_by_label("Note").fill("Wing mirror only")
    page.get_by_role("button", name="Close incident").click()

    # A confirmation with the summary; Back keeps what was typed; Enter confirms.
    expect(heading).to_have_text(f"Close {reference}?")
    expect(page.locator("main")).to_contain_text("Wing mirror only")
    page.get_by_role("button", name="Back").click()
    expect(page.get_by_label("Note")).to_have_value("Wing mirror only")
    expect(heading.locator(".status")).to_have_text("open")
    page.get_by_role("button", name="Close incident").click()
    expect(page.get_by_role("button", name="Confirm close")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page).to_have_url(f"{live_server.url}/incidents/{reference}")
    expect(heading.locator(".status")).to_have_text("closed")
    expect(timeline).to_have_count(2)
    expect(timeline.nth(1)).to_contain_text(re.compile(r"closed\s+by dispatcher"))
    expect(timeline.nth(1)).to_contain_text("status: open → closed")
    closed_as = page.locator("dt", has_text="Closed as").locator("xpath=following-sibling::dd[1]")
    expect(closed_as).to_have_text("Crime: criminal damage: Crime recorded. Wing mirror only")
    # A dispatcher may not reopen, and a closed incident has nothing left to close or dispatch.
    expect(page.get_by_role("button", name="Close incident")).to_have_count(0)
    expect(page.get_by_role("button", name="Reopen")).to_have_count(0)
    expect(dispatch).to_have_count(0)
