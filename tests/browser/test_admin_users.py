"""The users page through the browser: an administrator disables an account and resets a
password, and the user chooses a new one at the next log-in."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer
from tests.conftest import PASSWORD, test_settings
from thriives.bootstrap import build
from thriives.domain.accounts import Role

pytestmark = pytest.mark.browser
ADMIN = "ada.admin"


def add_admin(database_url: str) -> None:
    container = build(test_settings(database_url))
    try:
        container.accounts.add_user(ADMIN, "Ada Admin", Role.ADMIN, PASSWORD, container.clock())
    finally:
        container.close()


def test_an_administrator_disables_a_handler_by_keyboard_and_they_cannot_log_in(
    live_server: LiveServer, page: Page, database_url: str
) -> None:
    add_admin(database_url)
    live_server.log_in(page, ADMIN)
    page.get_by_role("link", name="Users").click()
    expect(page.get_by_role("heading", name="Users")).to_be_visible()
    page.get_by_role("link", name=live_server.handler).click()
    expect(page.locator("#state")).to_have_text("enabled")

    reason = page.locator("#disable-reason")
    reason.focus()
    page.keyboard.press("Enter")  # no reason given: the browser asks for one, nothing is sent
    expect(page.locator("#state")).to_have_text("enabled")
    page.keyboard.type("left the force")
    page.keyboard.press("Enter")
    expect(page.locator("#done")).to_have_text("Account disabled; their sessions ended.")
    expect(page.locator("#state")).to_have_text("disabled")

    page.get_by_role("button", name="Log out").click()
    live_server.log_in(page, live_server.handler)
    expect(page.locator("#login-error")).to_contain_text("not right")


def test_a_reset_password_is_shown_once_and_the_user_chooses_a_new_one(
    live_server: LiveServer, page: Page, database_url: str
) -> None:
    add_admin(database_url)
    live_server.log_in(page, ADMIN)
    page.goto(f"{live_server.url}/admin/users/{live_server.handler}")
    page.locator("#password-reset-reason").fill("forgot it")
    page.get_by_role("button", name="Reset the password").click()
    expect(page.locator("#done")).to_have_text("Password reset; their sessions ended.")
    temporary = page.locator("#temporary").inner_text()
    expect(page.locator("#state")).to_have_text("enabled; must choose a new password")

    page.get_by_role("button", name="Log out").click()
    live_server.log_in(page, live_server.handler, temporary)
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    page.locator("#password").fill(temporary)
    page.locator("#new_password").fill("password123")
    page.locator("#new_password_again").fill("password123")
    page.get_by_role("button", name="Change password and log in").click()
    expect(page.locator("#new_password-error")).to_contain_text("common or breached")

    page.locator("#password").fill(temporary)
    page.locator("#new_password").fill("a quiet harbour at dusk")
    page.locator("#new_password_again").fill("a quiet harbour at dusk")
    page.get_by_role("button", name="Change password and log in").click()
    expect(page).to_have_url(f"{live_server.url}/calls/new")
