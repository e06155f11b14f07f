"""The two 3 a.m. paths: a domestic-abuse caller whose partner is at the door is graded and
has a unit assigned within 30 seconds of the call being opened, keyboard only; and a man
not breathing is never proposed below emergency, whatever is (or is not yet) rated.

Headless Chromium ignores Alt+letter access keys, so Alt+G reaches the page's own keydown
handler (``static/initial_grade.js``), as it does in a desktop browser too.
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.adapters.web.test_dispatch_pages import seed_force
from tests.browser.conftest import LiveServer
from tests.browser.helpers import assessing
from tests.browser.test_board import services

pytestmark = pytest.mark.browser

REASON = "partner at the door now, kicking it in"


def _open_call_by_keyboard(page: Page, account: str, category: str, qualifier: str | None) -> None:
    """The call-taking screen, keyboard only: channel 999 is chosen, type the account,
    type-ahead the category, tick a qualifier, Ctrl+Enter."""
    keyboard = page.keyboard
    expect(page.get_by_role("radio", name="999")).to_be_focused()
    keyboard.press("Tab")
    keyboard.type(account)
    keyboard.press("Tab")
    keyboard.type(category)
    if qualifier:
        keyboard.press("Tab")
        keyboard.press("Space")
    keyboard.press("Control+Enter")


def test_a_da_caller_at_the_door_is_graded_and_a_unit_sent_within_30_seconds(
    live_server: LiveServer, context: BrowserContext, database_url: str
) -> None:
    with services(database_url) as container:
        seed_force(container)
    desk = context.new_page()
    live_server.log_in(desk, live_server.dispatcher)  # the dispatcher's screen is ready
    expect(desk).not_to_have_url(re.compile("/login"))
    call = context.browser.new_context(locale="en-GB", timezone_id="Europe/London").new_page()  # type: ignore[union-attr]
    live_server.log_in(call, live_server.handler)
    expect(call).to_have_url(f"{live_server.url}/calls/new")
    _open_call_by_keyboard(
        call, "He's come back, he's banging on the door, please hurry.", "Domestic", "domestic"
    )
    reference = assessing(call)
    # The screen is drawn and its own focus settled before the first key: a key pressed
    # while the page still loads (the URL changes first) can be lost to its autofocus.
    call.wait_for_load_state("load")
    expect(call.locator("#ig-reason")).to_be_visible()
    opened = time.monotonic()  # the call is open: the clock of this test starts

    keyboard = call.keyboard
    keyboard.press("Alt+g")
    expect(call.locator("#ig-reason")).to_be_focused()
    keyboard.type(REASON)
    keyboard.press("Enter")  # the first quick grade: Emergency
    expect(call.locator("#ig-record")).to_contain_text("Emergency")
    expect(call.locator("#ig-record")).to_contain_text(REASON)
    expect(call.locator("#ig-followed")).to_contain_text("Full assessment due by")

    desk.goto(f"{live_server.url}/board/incidents/{reference}")
    expect(desk.locator("#initial-grade")).to_contain_text(REASON)
    first = desk.locator("#recommended input[type=radio]").first
    expect(first).to_be_focused()
    expect(first).to_be_checked()
    call_sign = first.get_attribute("value")
    desk.keyboard.press("Tab")  # from the chosen unit to the next field; Enter sends it
    desk.keyboard.press("Enter")
    expect(desk.locator("#held-unit")).to_contain_text(f"{call_sign} assigned")
    elapsed = time.monotonic() - opened
    assert elapsed < 30, f"{elapsed:.1f} s from the call opened to a unit assigned"

    # The handler goes on to the full assessment; the record shows it is still to come.
    call.goto(f"{live_server.url}/incidents/{reference}/assess")
    expect(call.locator("#proposed-grade")).to_have_text("Emergency")
    expect(call.locator("#provisional")).to_be_visible()


def test_a_man_not_breathing_is_never_proposed_below_emergency(live_server: LiveServer, page: Page) -> None:
    live_server.log_in(page, live_server.handler)
    _open_call_by_keyboard(page, "My dad has collapsed, he's not breathing.", "Concern for safety", None)
    assessing(page)
    proposal = page.locator("#proposed-grade")
    # Nothing rated: unknown is not low, so never resolution without deployment.
    expect(page.locator("#provisional")).to_be_visible()
    expect(page.locator("#unrated-threat")).to_be_visible()
    expect(proposal).not_to_have_text("Resolution without deployment")

    page.locator("#q-cfs_not_breathing-yes").check()
    expect(proposal).to_have_text("Emergency")
    expect(page.locator("#reasons")).to_contain_text("a person is not breathing")

    # Every factor rated as low as it goes: still an emergency, and no longer provisional.
    for factor in page.locator("input[id^='level-'][id$='-none']").all():
        factor.check()
    for rationale in page.locator("textarea[id^='rationale_']").all():
        rationale.fill("nothing more known")
    expect(page.locator("#provisional")).to_have_count(0)
    expect(proposal).to_have_text("Emergency")
