"""Supervision in the browser: a supervisor rejects a call handler's downgrade and the
dispatcher's board regrades the incident without a reload; a supervisor reviews a
domestic-abuse call and the call handler acknowledges the feedback; the compliance charts
need no internet.

The server starts with an empty force: each test inserts the units, a supervisor and its
calls through a container on the same database, as the demo force is inserted.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Request, expect
from pytest_playwright.pytest_playwright import CreateContextCallback

from tests.adapters.web.test_dispatch_pages import open_call, seed_force
from tests.adapters.web.test_supervision_pages import assess, downgraded
from tests.browser.conftest import LiveServer
from tests.browser.test_board import LIVE_WAIT_MS, actor, on_the_board, services
from tests.conftest import PASSWORD
from thriives.bootstrap import Container
from thriives.domain.accounts import Role

pytestmark = pytest.mark.browser

SUPERVISOR = "supervisor"


def add_supervisor(container: Container) -> None:
    container.accounts.add_user(SUPERVISOR, "Sam Supervisor", Role.SUPERVISOR, PASSWORD, container.clock())


def test_a_supervisor_rejects_a_downgrade_and_the_dispatchers_board_regrades_without_a_reload(
    live_server: LiveServer, new_context: CreateContextCallback, database_url: str
) -> None:
    with services(database_url) as container:
        seed_force(container)
        add_supervisor(container)
        reference = downgraded(container, actor(container, live_server.handler))
    board = new_context().new_page()
    live_server.log_in(board, live_server.dispatcher)
    navigations = on_the_board(board, live_server)
    grade = board.locator(f'#board-queue tr[data-reference="{reference}"] .grade')
    expect(grade).to_have_text("Scheduled")

    supervisor = new_context()  # another user, another browser session
    live = supervisor.new_page()
    live_server.log_in(live, SUPERVISOR)
    live.get_by_role("link", name="Supervision", exact=True).click()
    expect(live.locator("#live-state")).to_have_text("live")
    waiting = live.locator(f'#sv-downgrades tr[data-reference="{reference}"]')
    expect(waiting).to_be_visible()

    desk = supervisor.new_page()
    desk.goto(f"{live_server.url}/supervision")
    desk.get_by_role("navigation", name="Main").get_by_role("link", name="Review queue").click()
    desk.locator(f'#queue-downgrade tr[data-reference="{reference}"] a').click()
    expect(desk.locator("#downgrade")).to_contain_text("proposed Emergency")
    expect(desk.locator("#downgrade")).to_contain_text(live_server.handler)
    desk.get_by_label("Reason to reject").fill("Suspect may return: a DA call stays an emergency.")
    desk.get_by_role("button", name="Reject and regrade to Emergency").click()
    expect(desk.locator("#decision")).to_contain_text(f"Rejected by {SUPERVISOR}")
    expect(desk.locator("#incident-grade")).to_have_text("Emergency")

    expect(grade).to_have_text("Emergency", timeout=LIVE_WAIT_MS)
    expect(waiting).to_have_count(0, timeout=LIVE_WAIT_MS)  # the live view has it decided too
    assert board.evaluate("window.__marker") == 1, "the board was reloaded"
    assert navigations == [], f"the board navigated: {navigations}"


def test_a_supervisor_reviews_a_domestic_abuse_call_and_the_handler_acknowledges_it(
    live_server: LiveServer, new_context: CreateContextCallback, database_url: str
) -> None:
    with services(database_url) as container:
        add_supervisor(container)
        handler = actor(container, live_server.handler)
        reference = open_call(container, handler, "domestic_incident", ("domestic",))
        assess(container, handler, reference)
        factors = [f.name for f in container.assessment_policy.models["thriives"].factors]
        items = [i.label for i in container.supervision.policy.form.items if i.kind == "choice"]

    desk = new_context().new_page()
    live_server.log_in(desk, SUPERVISOR)
    desk.goto(f"{live_server.url}/supervision/queue")
    desk.locator(f'#queue-domestic_abuse tr[data-reference="{reference}"] a').click()
    expect(desk.locator("#account")).to_contain_text("He has come back")
    for name in factors:
        desk.get_by_label(f"{name}: applied", exact=True).select_option("yes")
        desk.get_by_label(f"{name}: rationale", exact=True).fill(f"{name} rated as the caller described")
    correction = desk.locator("#answers-category_correct-correction-row")
    expect(correction).to_be_hidden()  # asked for only when the category is wrong
    desk.get_by_label(items[0], exact=True).select_option("no")
    expect(correction).to_be_visible()
    for label in items:
        desk.get_by_label(label, exact=True).select_option("yes")
    expect(correction).to_be_hidden()
    feedback = desk.get_by_label("Feedback for the call handler")
    feedback.fill("Well handled: every factor explained and the history searched.")
    feedback.press("Control+Enter")
    expect(desk.locator(".review .score")).to_have_text("100")

    mine = new_context().new_page()
    live_server.log_in(mine, live_server.handler)
    link = mine.get_by_role("link", name=re.compile("^My feedback"))
    expect(link.locator("#feedback-count")).to_have_text("1")
    link.click()
    review = mine.locator(f'article[data-reference="{reference}"]')
    expect(review.locator(".score")).to_have_text("100")
    expect(review).to_contain_text("Well handled")
    review.get_by_label("Your note (optional)").fill("Thank you.")
    review.get_by_role("button", name="Acknowledge").click()
    expect(review).to_contain_text("Acknowledged")
    expect(review).to_contain_text("Thank you.")
    expect(mine.locator("#feedback-count")).to_have_count(0)


def test_the_compliance_charts_need_no_internet(
    live_server: LiveServer, new_context: CreateContextCallback, database_url: str
) -> None:
    with services(database_url) as container:
        add_supervisor(container)
        handler = actor(container, live_server.handler)
        assess(container, handler, open_call(container, handler, "crime_theft"))
    context = new_context()
    requests: list[str] = []
    failed: list[str] = []
    problems: list[str] = []
    context.on("request", lambda request: requests.append(request.url))

    def on_failed(request: Request) -> None:
        if request.failure != "net::ERR_ABORTED":  # a page left cancels what it had in flight
            failed.append(f"{request.url}: {request.failure}")

    context.on("requestfailed", on_failed)
    page: Page = context.new_page()
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))

    live_server.log_in(page, SUPERVISOR)
    page.get_by_role("link", name="Compliance").click()
    expect(page.locator(f'#figures tr[data-group="{live_server.handler}"]')).to_be_visible()
    expect(page.locator("#charts svg")).to_have_count(6)
    page.get_by_role("link", name="By shift").click()
    expect(page.locator("#charts svg")).to_have_count(6)
    hosts = {urlsplit(url).hostname for url in requests}
    assert hosts == {"127.0.0.1"}, sorted(url for url in requests if "127.0.0.1" not in url)
    assert failed == []
    assert problems == []

    # A period that ends before it starts is refused (a 422 page) next to its end.
    page.get_by_label("To", exact=True).fill("2000-01-01")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#period-end-error")).to_contain_text("before it starts")
    expect(page.get_by_label("To", exact=True)).to_have_value("2000-01-01")
