"""Taking a call on the call-taking screen: keyboard first, errors next to their field."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer
from tests.browser.helpers import assessing, reference_of

pytestmark = pytest.mark.browser

ACCOUNT = "He's back and he's shouting at the kids.\n  Please come,  quickly."


def _focused(page: Page) -> str:
    """The focused control as ``id`` or ``name=value``, for following the Tab order."""
    return str(
        page.evaluate(
            "() => { const e = document.activeElement;"
            " return e.id || (e.name ? e.name + '=' + e.value : e.tagName.toLowerCase()); }"
        )
    )


def test_a_call_handler_opens_an_incident_with_the_keyboard_alone(
    live_server: LiveServer, page: Page
) -> None:
    live_server.log_in(page, live_server.handler)
    expect(page).to_have_url(f"{live_server.url}/calls/new")
    keyboard = page.keyboard

    # The screen opens on the channel, 999 chosen; arrow keys pick another.
    expect(page.get_by_role("radio", name="999")).to_be_focused()
    expect(page.get_by_role("radio", name="999")).to_be_checked()
    keyboard.press("Shift+Tab")  # the form is the first stop after the header
    expect(page.get_by_role("button", name="Log out")).to_be_focused()
    keyboard.press("Tab")
    expect(page.get_by_role("radio", name="999")).to_be_focused()
    keyboard.press("ArrowRight")
    expect(page.get_by_role("radio", name="101")).to_be_checked()

    keyboard.press("Tab")
    assert _focused(page) == "account"
    keyboard.type(ACCOUNT)

    keyboard.press("Tab")
    assert _focused(page) == "opening_category"
    keyboard.type("Domestic")  # type-ahead in a closed select
    expect(page.get_by_label("Opening category")).to_have_value("domestic_incident")

    keyboard.press("Tab")
    assert _focused(page) == "qualifiers=domestic"
    keyboard.press("Space")
    keyboard.press("Tab")
    assert _focused(page) == "qualifiers=child"
    keyboard.press("Space")
    passed = []
    for _ in range(20):
        keyboard.press("Tab")
        if _focused(page) == "asb_qualifier":
            break
        passed.append(_focused(page))
    assert _focused(page) == "asb_qualifier"
    assert all(name.startswith("qualifiers=") for name in passed), passed

    for field, text in [
        ("caller_name", "Ada Quill"),
        ("caller_phone", "+44 7700 900123"),
        ("location_text", "14 Larkspur Row, Ashbury"),
        ("postcode", "th4 7qx"),
    ]:
        keyboard.press("Tab")
        assert _focused(page) == field
        keyboard.type(text)
    keyboard.press("Tab")
    assert _focused(page) == "latitude"
    keyboard.press("Tab")
    assert _focused(page) == "longitude"
    keyboard.press("Tab")
    assert _focused(page) == "open-incident"

    # Ctrl+Enter saves from any field, the account's text area included.
    page.get_by_label("Caller's account, in their words").focus()
    keyboard.press("Control+Enter")

    # The call goes on into its assessment; the incident page shows what was recorded.
    page.goto(f"{live_server.url}/incidents/{assessing(page)}")
    reference = reference_of(page)
    expect(page.get_by_role("heading", level=1)).to_contain_text(reference)
    expect(page.get_by_role("heading", level=1)).to_contain_text("open")
    timeline = page.locator("#timeline li")
    expect(timeline).to_have_count(2)  # opened, and (domestic abuse) queued for supervisor review
    expect(timeline.first).to_contain_text(re.compile(r"opened\s+by handler"))
    expect(timeline.nth(1)).to_contain_text("queued for supervisor review")
    contact = page.locator("dl")
    expect(contact).to_contain_text("by 101")
    expect(contact).to_contain_text("Domestic incident")
    expect(contact).to_contain_text("Domestic abuse")
    expect(contact).to_contain_text("Child involved")
    expect(contact).to_contain_text("Ada Quill, 07700900123")
    expect(contact).to_contain_text("TH4 7QX")
    # The account is kept word for word, spaces and line breaks included.
    assert page.locator("blockquote.account").inner_text() == ACCOUNT


def test_a_bad_postcode_is_shown_next_to_the_field_and_opens_nothing(
    live_server: LiveServer, page: Page
) -> None:
    live_server.log_in(page, live_server.handler)
    page.get_by_role("radio", name="Online").check()
    page.get_by_label("Caller's account, in their words").fill("Someone keyed my car.")
    page.get_by_label("Opening category").select_option("crime_damage")
    page.get_by_role("checkbox", name="Repeat victim").check()
    page.get_by_label("Caller's name").fill("Bo Reed")
    postcode = page.get_by_label("Postcode")
    postcode.fill("QQ1 1QQ")
    page.get_by_role("button", name="Open incident").click()

    message = page.locator("#postcode-error")
    expect(message).to_contain_text("is not a valid UK postcode")
    expect(page.locator("#postcode + .error")).to_have_id("postcode-error")  # right by the field
    expect(postcode).to_have_attribute("aria-invalid", "true")
    expect(postcode).to_have_accessible_description(re.compile("not a valid UK postcode"))
    expect(postcode).to_be_focused()
    # What was typed is all still there.
    expect(postcode).to_have_value("QQ1 1QQ")
    expect(page.get_by_role("radio", name="Online")).to_be_checked()
    account = page.get_by_label("Caller's account, in their words")
    expect(account).to_have_value("Someone keyed my car.")
    expect(page.get_by_label("Opening category")).to_have_value("crime_damage")
    expect(page.get_by_role("checkbox", name="Repeat victim")).to_be_checked()
    expect(page.get_by_label("Caller's name")).to_have_value("Bo Reed")
    expect(page).to_have_url(f"{live_server.url}/calls")

    queue = page.context.new_page()
    queue.goto(f"{live_server.url}/queue")
    expect(queue.locator("#queue-rows")).to_contain_text("No open incidents.")

    # Corrected, the same form opens the incident.
    postcode.fill("TH4 7QX")
    page.get_by_role("button", name="Open incident").click()
    page.goto(f"{live_server.url}/incidents/{assessing(page)}")
    reference = reference_of(page)
    expect(page.locator("dl")).to_contain_text("TH4 7QX")
    queue.reload()
    expect(queue.locator("#queue-rows tr")).to_have_count(1)
    expect(queue.locator("#queue-rows")).to_contain_text(reference)
