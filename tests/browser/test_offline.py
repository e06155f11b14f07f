"""The pages need no internet: every request a browser makes goes to the server itself."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import BrowserContext, Page, Request, expect

from tests.browser.conftest import LiveServer
from tests.browser.helpers import open_incident

pytestmark = pytest.mark.browser


def test_every_page_works_with_no_request_to_any_other_host(
    live_server: LiveServer, context: BrowserContext, page: Page
) -> None:
    requests: list[str] = []
    failed: list[str] = []
    problems: list[str] = []
    context.on("request", lambda request: requests.append(request.url))

    def on_failed(request: Request) -> None:
        # Leaving a page cancels what it still had in flight (the queue's event stream, a
        # panel still loading): that is not a fault. Anything else failing is.
        if request.failure != "net::ERR_ABORTED":
            failed.append(f"{request.url}: {request.failure}")

    context.on("requestfailed", on_failed)
    context.on(
        "response",
        lambda response: response.status >= 400 and failed.append(f"{response.url}: {response.status}"),
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))

    live_server.log_in(page, live_server.handler)
    expect(page.get_by_role("heading", name="New call")).to_be_visible()
    reference = open_incident(page, live_server.url)
    page.goto(f"{live_server.url}/queue")
    expect(page.locator("#live-state")).to_have_text("live")
    expect(page.locator("#queue-rows")).to_contain_text(reference)
    assert page.evaluate("typeof window.htmx") == "object", "vendored htmx did not load"
    page.goto(f"{live_server.url}/incidents/{reference}")
    expect(page.locator("#timeline li")).to_have_count(1)

    hosts = {urlsplit(url).hostname for url in requests}
    assert hosts == {"127.0.0.1"}, sorted(url for url in requests if "127.0.0.1" not in url)
    assert any(url.endswith(".css") for url in requests)
    assert any("/static/vendor/htmx-" in url for url in requests)
    assert failed == []
    assert problems == []
