"""Steps shared by the browser tests: what a person does on the pages, in Playwright terms."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

INCIDENT_URL = re.compile(r"/incidents/([A-Z]{1,6}-\d{6}-\d{4,})$")


def reference_of(page: Page) -> str:
    """The reference of the incident page the browser is on."""
    expect(page).to_have_url(INCIDENT_URL)
    match = INCIDENT_URL.search(page.url)
    assert match is not None, page.url
    return match[1]


def open_incident(page: Page, base_url: str, category: str = "Suspicious circumstances",
                  account: str = "Two men trying car doors on Mill Lane.",
                  postcode: str = "TH4 7QX") -> str:
    """Take a call through the form (pointer, not keyboard) and return the new reference."""
    page.goto(f"{base_url}/calls/new")
    page.get_by_label("Caller's account, in their words").fill(account)
    page.get_by_label("Opening category").select_option(label=category)
    page.get_by_label("Postcode").fill(postcode)
    page.get_by_role("button", name="Open incident").click()
    return reference_of(page)
