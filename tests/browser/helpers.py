"""Steps shared by the browser tests: what a person does on the pages, in Playwright terms."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

INCIDENT_URL = re.compile(r"/incidents/([A-Z]{1,6}-\d{6}-\d{4,})$")
ASSESS_URL = re.compile(r"/incidents/([A-Z]{1,6}-\d{6}-\d{4,})/assess$")


def reference_of(page: Page) -> str:
    """The reference of the incident page the browser is on."""
    expect(page).to_have_url(INCIDENT_URL)
    match = INCIDENT_URL.search(page.url)
    assert match is not None, page.url
    return match[1]


def assessing(page: Page) -> str:
    """The reference of the incident whose assessment the browser is on: where a call goes
    as soon as it is opened."""
    expect(page).to_have_url(ASSESS_URL)
    match = ASSESS_URL.search(page.url)
    assert match is not None, page.url
    return match[1]


def open_incident(
    page: Page,
    base_url: str,
    category: str = "Suspicious circumstances",
    account: str = "Two men trying car doors on Mill Lane.",
    postcode: str = "TH4 7QX",
) -> str:
    """Take a call through the form (pointer, not keyboard) and return the new reference."""
    page.goto(f"{base_url}/calls/new")
    page.get_by_label("Caller's account, in their words").fill(account)
    page.get_by_label("Opening category").select_option(label=category)
    page.get_by_label("Postcode").fill(postcode)
    page.get_by_role("button", name="Open incident").click()
    reference = assessing(page)  # the call goes on into its assessment; skip it here
    page.goto(f"{base_url}/incidents/{reference}")
    return reference_of(page)
