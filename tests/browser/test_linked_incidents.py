"""A second call about a live incident: offered as a duplicate with its reason, linked, shown
on both incidents' pages, and found again by searching for the caller's number."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer
from tests.browser.helpers import assessing

pytestmark = pytest.mark.browser


def take_call(page: Page, url: str, account: str, name: str) -> str:
    page.goto(f"{url}/calls/new")
    page.get_by_label("Caller's account, in their words").fill(account)
    page.get_by_label("Opening category").select_option(label="Concern for safety or welfare")
    page.get_by_label("Caller's name").fill(name)
    page.get_by_label("Caller's phone").fill("07700 900123")
    page.get_by_label("Postcode").fill("TH4 7QX")
    page.get_by_role("button", name="Open incident").click()
    return assessing(page)


def test_a_second_call_is_offered_as_a_duplicate_linked_and_found_by_phone(
    live_server: LiveServer, page: Page
) -> None:
    live_server.log_in(page, live_server.handler)
    first = take_call(page, live_server.url, "A man is banging on my door.", "Ada Quill")
    second = take_call(page, live_server.url, "He is still at the door next to mine.", "Bo Quill")

    # Right after the second call is opened, its assessment screen offers the first, saying why.
    offered = page.locator(f"#candidate-{first}")
    expect(offered).to_be_visible()
    expect(offered).to_contain_text("same caller number 07700 900123")
    offered.get_by_label("Reason for this decision (optional)").fill("same man, same door")
    offered.get_by_role("button", name="Same incident: close this call as its duplicate").click()

    # The work continues on the first incident, which shows the second caller.
    expect(page).to_have_url(f"{live_server.url}/incidents/{first}")
    recorded = page.locator(f"#linked-{second}")
    expect(recorded).to_contain_text("Duplicate call recorded on this incident")
    expect(recorded).to_contain_text("Bo Quill")
    expect(recorded).to_contain_text("He is still at the door next to mine.")

    page.goto(f"{live_server.url}/incidents/{second}")
    expect(page.locator("#duplicate-of")).to_contain_text(f"closed as a duplicate of {first}")
    expect(page.locator(".status").first).to_have_text("closed")

    # Found again by the caller's number, from the navigation, with the keyboard.
    page.get_by_role("link", name="Find an incident").click()
    expect(page.get_by_label("Caller's phone")).to_be_visible()
    page.get_by_label("Caller's phone").fill("07700900123")
    page.keyboard.press("Enter")
    expect(page.locator("#results-heading")).to_have_text("2 incidents found")
    expect(page.locator(f'#search-results tr[data-reference="{first}"]')).to_contain_text("Ada Quill")
    expect(page.locator(f'#search-results tr[data-reference="{second}"]')).to_contain_text("closed")


def test_the_log_takes_an_entry_with_ctrl_enter(live_server: LiveServer, page: Page) -> None:
    live_server.log_in(page, live_server.dispatcher)
    reference = take_call(page, live_server.url, "Shouting in the street.", "Cy Stone")
    page.goto(f"{live_server.url}/incidents/{reference}")
    page.get_by_label("Add to the log").fill("Caller rang back: they have gone.")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#log-entries")).to_contain_text("Caller rang back: they have gone.")
    expect(page.locator("#log-entries")).to_contain_text(live_server.dispatcher)
    expect(page.get_by_label("Add to the log")).to_have_value("")
