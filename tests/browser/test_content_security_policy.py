"""The main pages run under the strict Content-Security-Policy with no violation and no
console error: an inline script or style missed in a template would break a page silently.

Each page is opened, and used a little (a call taken, its assessment answered, the board and
the supervision screen left to refresh), while the browser reports every CSP violation
(the ``securitypolicyviolation`` event, listened for by a script the browser injects before
the page's own) and every console error.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.conftest import LiveServer
from tests.browser.helpers import assessing
from tests.conftest import PASSWORD, test_settings
from thriives.bootstrap import build
from thriives.domain.accounts import Role

pytestmark = pytest.mark.browser
LISTEN = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const where = `${event.sourceFile}:${event.lineNumber}`;
  window.__violations.push(`${event.violatedDirective} ${event.blockedURI} ${where}`);
});
"""


@pytest.fixture
def watched(context: BrowserContext, page: Page) -> Iterator[list[str]]:
    """Console errors and uncaught page errors, gathered while the test runs."""
    problems: list[str] = []
    context.add_init_script(LISTEN)
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    yield problems


def _violations(page: Page) -> list[str]:
    found = page.evaluate("window.__violations")
    assert isinstance(found, list), "the violation listener did not run"
    return [str(item) for item in found]


def _visit(page: Page, url: str, problems: list[str]) -> None:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    assert _violations(page) == [], url
    assert problems == [], url


def test_the_main_pages_run_with_no_csp_violation_or_console_error(
    live_server: LiveServer, database_url: str, page: Page, watched: list[str]
) -> None:
    base = live_server.url
    _visit(page, f"{base}/login", watched)
    _visit(page, f"{base}/api/v1/docs", watched)
    expect(page.locator(".opblock").first).to_be_visible()
    assert _violations(page) == []
    live_server.log_in(page, live_server.handler)
    _visit(page, f"{base}/calls/new", watched)
    page.get_by_label("Caller's account, in their words").fill("He is shouting at her next door.")
    page.get_by_label("Opening category").select_option(label="Domestic incident")
    page.get_by_role("button", name="Open incident").click()
    reference = assessing(page)
    page.wait_for_load_state("networkidle")
    assert _violations(page) == [] and watched == []
    _visit(page, f"{base}/queue", watched)
    _visit(page, f"{base}/incidents/{reference}", watched)
    _visit(page, f"{base}/incidents/{reference}/assess", watched)
    page.goto(f"{base}/login")
    live_server.log_in(page, live_server.dispatcher)
    _visit(page, f"{base}/board", watched)
    _visit(page, f"{base}/board/incidents/{reference}", watched)
    container = build(test_settings(database_url))
    try:
        container.accounts.add_user("sup", "Sam Supervisor", Role.SUPERVISOR, PASSWORD, container.clock())
    finally:
        container.close()
    page.goto(f"{base}/login")
    live_server.log_in(page, "sup")
    for path in ("/supervision", "/supervision/queue", "/compliance"):
        _visit(page, f"{base}{path}", watched)

    # The watch itself works: an inline script added now is refused and reported.
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.ran = 1';"
        " document.body.appendChild(s); }"
    )
    expect(page.locator("body")).to_be_visible()
    page.wait_for_function("window.__violations.length > 0")
    assert page.evaluate("window.ran === undefined") and "script-src" in _violations(page)[0]
