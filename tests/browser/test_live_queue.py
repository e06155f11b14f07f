"""The dispatcher's live queue: what call handlers do elsewhere shows up without a reload."""

from __future__ import annotations

import json
import urllib.request

import pytest
from playwright.sync_api import Frame, Page, Route, expect
from pytest_playwright.pytest_playwright import CreateContextCallback

from tests.browser.conftest import LiveServer
from tests.browser.helpers import open_incident
from tests.conftest import test_settings
from thriives.bootstrap import build

pytestmark = pytest.mark.browser

LIVE_WAIT_MS = 10_000


def _watch_navigations(page: Page) -> list[str]:
    """Main-frame navigations from now on; a live update must cause none."""
    seen: list[str] = []

    def on_navigated(frame: Frame) -> None:
        if frame == page.main_frame:
            seen.append(frame.url)

    page.on("framenavigated", on_navigated)
    return seen


def test_an_incident_opened_by_a_call_handler_appears_in_the_dispatchers_queue_without_a_reload(
    live_server: LiveServer, new_context: CreateContextCallback
) -> None:
    dispatcher = new_context().new_page()
    live_server.log_in(dispatcher, live_server.dispatcher)
    expect(dispatcher).to_have_url(f"{live_server.url}/queue")
    expect(dispatcher.locator("#live-state")).to_have_text("live")  # the event stream is open
    rows = dispatcher.locator("#queue-rows")
    expect(rows).to_contain_text("No open incidents.")
    dispatcher.evaluate("window.__marker = 1")
    navigations = _watch_navigations(dispatcher)

    handler = new_context().new_page()  # another user, another browser session
    live_server.log_in(handler, live_server.handler)
    first = open_incident(handler, live_server.url, category="Suspicious circumstances", postcode="TH4 7QX")

    row = rows.locator(f'tr[data-reference="{first}"]')
    expect(row).to_be_visible(timeout=LIVE_WAIT_MS)
    expect(row).to_contain_text("Suspicious circumstances")
    expect(row).to_contain_text("TH4 7QX")
    expect(row.locator(".status")).to_have_text("open")
    expect(rows).not_to_contain_text("No open incidents.")

    second = open_incident(handler, live_server.url, category="Crime: burglary", postcode="TH1 2AB")
    expect(rows.locator("tr")).to_have_count(2, timeout=LIVE_WAIT_MS)
    # Oldest first.
    expect(rows.locator("tr").nth(0)).to_have_attribute("data-reference", first)
    expect(rows.locator("tr").nth(1)).to_have_attribute("data-reference", second)

    # A closure elsewhere shows up too (grading is in the assessment; see test_assessment.py).
    handler.goto(f"{live_server.url}/incidents/{first}")
    handler.get_by_label("Closing category").select_option(label="Suspicious circumstances (as opened)")
    handler.get_by_label("Closure reason").select_option(label="Advice given, no deployment")
    handler.get_by_label("Note").fill("Neighbour's own car")
    handler.get_by_role("button", name="Close incident").click()
    handler.get_by_role("button", name="Confirm close").click()
    expect(handler.locator("#timeline li")).to_have_count(2)
    expect(row).to_have_count(0, timeout=LIVE_WAIT_MS)
    expect(rows.locator("tr")).to_have_count(1)

    assert dispatcher.evaluate("window.__marker") == 1, "the queue page was reloaded"
    assert navigations == [], f"the queue page navigated: {navigations}"
    expect(dispatcher).to_have_url(f"{live_server.url}/queue")
    expect(dispatcher.locator("#live-state")).to_have_text("live")


def _open_through_the_api(live_server: LiveServer, database_url: str) -> str:
    container = build(test_settings(database_url))
    try:
        token = container.accounts.issue_token(live_server.handler, "test", container.clock())
    finally:
        container.close()
    body = json.dumps(
        {"channel": "101", "opening_category": "civil_dispute", "account": "Row over a fence"}
    ).encode()
    request = urllib.request.Request(
        f"{live_server.url}/api/v1/incidents",
        data=body,
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return str(json.loads(response.read())["reference"])


def test_an_incident_opened_while_the_queue_page_is_still_connecting_is_not_lost(
    live_server: LiveServer, page: Page, database_url: str
) -> None:
    """The gap between rendering the queue and its event stream opening loses nothing."""
    opened: list[str] = []

    def open_first(route: Route) -> None:
        if not opened:  # the page is rendered, its stream not yet connected
            opened.append(_open_through_the_api(live_server, database_url))
        route.continue_()

    page.route("**/api/v1/events/stream*", open_first)
    live_server.log_in(page, live_server.dispatcher)
    expect(page.locator("#live-state")).to_have_text("live")
    assert opened, "the event stream was never requested"
    expect(page.locator(f'#queue-rows tr[data-reference="{opened[0]}"]')).to_be_visible(timeout=LIVE_WAIT_MS)
