"""Logging in through the browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser


def test_a_wrong_password_shows_an_error_and_starts_no_session(
    live_server: LiveServer, page: Page, context: BrowserContext
) -> None:
    live_server.log_in(page, live_server.handler, "not-the-password")

    expect(page.locator("#login-error")).to_contain_text("not right")
    expect(page).to_have_url(f"{live_server.url}/login")
    expect(page.get_by_label("Username")).to_have_value(live_server.handler)
    expect(page.get_by_label("Password")).to_have_value("")
    assert "thriives_session" not in {cookie["name"] for cookie in context.cookies()}

    page.goto(f"{live_server.url}/calls/new")
    expect(page).to_have_url(f"{live_server.url}/login?next=/calls/new")


def test_the_right_password_lands_each_role_on_its_own_screen(
    live_server: LiveServer, page: Page, context: BrowserContext
) -> None:
    live_server.log_in(page, live_server.handler)
    expect(page).to_have_url(f"{live_server.url}/calls/new")
    expect(page.get_by_role("heading", name="New call")).to_be_visible()
    assert "thriives_session" in {cookie["name"] for cookie in context.cookies()}

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(f"{live_server.url}/login")
    live_server.log_in(page, live_server.dispatcher)
    expect(page).to_have_url(f"{live_server.url}/queue")
    expect(page.get_by_role("heading", name="Live queue")).to_be_visible()
