"""Screenshots at a control-room desk's 1366x768, and the layout checks a person would make."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer
from tests.browser.helpers import assessing, open_incident

pytestmark = pytest.mark.browser

SCREENS = Path("/tmp/thriives-screens")  # outside the repository


def _fits_width(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1366, f"page is {width} px wide: it scrolls sideways at 1366x768"


def test_the_call_taking_screen_and_the_queue_fit_a_1366_by_768_screen(
    live_server: LiveServer, page: Page, request: pytest.FixtureRequest
) -> None:
    store = request.node.callspec.params["database_url"]
    SCREENS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 1366, "height": 768})

    live_server.log_in(page, live_server.handler)
    expect(page.get_by_role("heading", name="New call")).to_be_visible()
    _fits_width(page)
    # Every field and the button are on the first screen: no scrolling while on a call.
    button = page.get_by_role("button", name="Open incident").bounding_box()
    last = page.get_by_label("ASB type (anti-social behaviour only)").bounding_box()
    assert button is not None and last is not None
    assert button["y"] + button["height"] <= 768 and last["y"] + last["height"] <= 768
    page.screenshot(path=SCREENS / f"call-taking-{store}.png")

    open_incident(
        page, live_server.url, category="Domestic incident", account="Shouting next door", postcode="TH4 7QX"
    )
    page.goto(f"{live_server.url}/calls/new")
    page.get_by_label("Caller's account, in their words").fill("Car alarm going for an hour")
    page.get_by_label("Opening category").select_option("asb_vehicle_nuisance")
    page.get_by_label("ASB type (anti-social behaviour only)").select_option("nuisance")
    for qualifier in ["Alcohol related", "Repeat victim", "Vulnerable adult"]:
        page.get_by_role("checkbox", name=qualifier).check()
    page.get_by_label("Location").fill("Car park behind the Wheatsheaf, Long Street, Ashbury")
    page.get_by_role("button", name="Open incident").click()
    page.goto(f"{live_server.url}/incidents/{assessing(page)}")
    expect(page.locator("#timeline li")).to_have_count(1)
    _fits_width(page)
    page.screenshot(path=SCREENS / f"incident-{store}.png")

    page.goto(f"{live_server.url}/queue")
    expect(page.locator("#live-state")).to_have_text("live")
    expect(page.locator("#queue-rows tr")).to_have_count(2)
    _fits_width(page)
    # A reference or an age split over two lines misreads: each stays on one line.
    for cell in page.locator("#queue-rows td:nth-child(-n+4)").all():
        lines = cell.evaluate(
            "td => { const r = document.createRange(); r.selectNodeContents(td);"
            " return new Set([...r.getClientRects()].map(x => x.top)).size; }"
        )
        assert lines == 1, f"{cell.inner_text()!r} wraps over {lines} lines"
    page.screenshot(path=SCREENS / f"queue-{store}.png")
