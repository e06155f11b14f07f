"""The live board: a dispatcher watches the queue fill and its clocks run, sends a unit,
follows it to the scene, and finishes a reassessment task, without ever reloading the board.

The server starts with an empty force: each test first inserts a district, a station and
its units through a container on the same database, as the demo force is inserted.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import BrowserContext, Frame, Locator, Page, Request, expect

from tests.adapters.web.test_dispatch_pages import grade, open_call, seed_force
from tests.browser.conftest import LiveServer
from tests.conftest import test_settings
from thriives.bootstrap import Container, build
from thriives.domain.accounts import Actor, Role

pytestmark = pytest.mark.browser

LIVE_WAIT_MS = 10_000
LEFT = re.compile(r"^(\d+):(\d\d) left$")


@contextmanager
def services(database_url: str) -> Iterator[Container]:
    """Another session on the same store: what a call handler elsewhere does."""
    container = build(test_settings(database_url, worker_in_process=False))
    try:
        yield container
    finally:
        container.close()


def actor(container: Container, username: str) -> Actor:
    with container.uow() as uow:
        user = uow.users.by_username(username)
    assert user is not None
    return Actor(user["id"], username, Role(user["role"]), user["display_name"])


def graded_call(database_url: str, username: str, category: str, qualifiers: tuple[str, ...] = ()) -> str:
    with services(database_url) as container:
        who = actor(container, username)
        reference = open_call(container, who, category, qualifiers)
        grade(container, who, reference)
    return reference


def seconds_left(clock: Locator) -> int:
    match = LEFT.match(clock.inner_text().strip())
    assert match is not None, clock.inner_text()
    return int(match[1]) * 60 + int(match[2])


def on_the_board(page: Page, live_server: LiveServer) -> list[str]:
    """Open the board, wait for its stream, and return the page's navigations from then on
    (a live update must cause none)."""
    page.goto(f"{live_server.url}/board")
    expect(page.locator("#live-state")).to_have_text("live")
    page.evaluate("window.__marker = 1")
    seen: list[str] = []

    def on_navigated(frame: Frame) -> None:
        if frame == page.main_frame:
            seen.append(frame.url)

    page.on("framenavigated", on_navigated)
    return seen


def test_a_new_call_appears_with_its_clock_and_moves_to_held_when_a_unit_arrives(
    live_server: LiveServer, context: BrowserContext, database_url: str
) -> None:
    with services(database_url) as container:
        seed_force(container)
    board = context.new_page()
    live_server.log_in(board, live_server.dispatcher)
    navigations = on_the_board(board, live_server)
    expect(board.locator("#board-queue")).to_contain_text("Nothing waiting for a unit.")

    reference = graded_call(database_url, live_server.handler, "domestic_incident", ("domestic",))
    row = board.locator(f'#board-queue tr[data-reference="{reference}"]')
    expect(row).to_be_visible(timeout=LIVE_WAIT_MS)
    expect(row.locator(".grade")).to_have_text("Emergency")
    clock = row.locator(".clock")
    expect(clock).to_have_class(re.compile(r"\bc-running\b"))
    expect(clock).to_have_text(LEFT)
    first = seconds_left(clock)
    assert 14 * 60 <= first <= 15 * 60, first  # the 15-minute urban target
    expect(clock).not_to_have_text(clock.inner_text())  # it counts down in the browser
    assert seconds_left(clock) < first

    # The dispatcher sends the first recommended unit (the DA-trained one), from the keyboard.
    panel = context.new_page()
    panel.goto(f"{live_server.url}/board/incidents/{reference}")
    expect(panel.get_by_label("1. TH-A2")).to_be_checked()
    expect(panel.locator("#recommended")).to_contain_text("has Domestic-abuse trained")
    panel.get_by_label("1. TH-A2").focus()
    panel.keyboard.press("2")  # another choice makes the reason required
    expect(panel.get_by_label("2. TH-A1")).to_be_checked()
    expect(panel.locator("#assign-reason")).to_have_attribute("required", "")
    panel.keyboard.press("1")
    expect(panel.locator("#assign-reason")).not_to_have_attribute("required", "")
    panel.get_by_role("button", name=re.compile("^Assign")).click()
    expect(panel.locator("#held-unit")).to_contain_text("TH-A2 assigned")

    held = board.locator(f'#board-held tr[data-reference="{reference}"]')
    expect(held).to_be_visible(timeout=LIVE_WAIT_MS)
    expect(row).to_have_count(0)
    expect(held.locator(".clock")).to_have_text(LEFT)  # still running: nobody there yet

    panel.get_by_role("button", name=re.compile("^En route")).click()
    expect(panel.locator("#held-unit")).to_contain_text("TH-A2 en route")
    expect(held).to_contain_text("en route", timeout=LIVE_WAIT_MS)
    panel.get_by_role("button", name=re.compile("^At scene")).click()
    expect(panel.locator("#held-unit")).to_contain_text("TH-A2 at scene")

    expect(held.locator(".clock")).to_have_text("stopped: target met", timeout=LIVE_WAIT_MS)
    expect(held.locator(".clock")).not_to_have_attribute("data-due-at", re.compile("."))
    expect(board.locator('#board-units tr[data-call-sign="TH-A2"]')).to_contain_text("at scene")
    assert board.evaluate("window.__marker") == 1, "the board was reloaded"
    assert navigations == [], f"the board navigated: {navigations}"


def test_a_cut_off_call_raises_a_reassessment_task_the_dispatcher_completes(
    live_server: LiveServer, context: BrowserContext, database_url: str
) -> None:
    with services(database_url) as container:
        seed_force(container)
    board = context.new_page()
    live_server.log_in(board, live_server.dispatcher)
    reference = graded_call(database_url, live_server.handler, "domestic_incident", ("domestic",))
    navigations = on_the_board(board, live_server)
    tasks = board.locator("#board-tasks")
    expect(tasks).to_contain_text("No reassessment due.")

    panel = context.new_page()
    panel.goto(f"{live_server.url}/board/incidents/{reference}")
    panel.get_by_role("button", name=re.compile("^Call cut off")).click()
    expect(panel.locator("#open-task")).to_contain_text("mandatory: domestic abuse")

    task_row = tasks.locator(f'tr[data-reference="{reference}"]')
    expect(task_row).to_be_visible(timeout=LIVE_WAIT_MS)
    expect(task_row).to_contain_text("call cut off")
    expect(task_row).to_contain_text("mandatory")
    expect(board.locator(f'#board-queue tr[data-reference="{reference}"] a.task')).to_be_visible()

    # Mandatory: the victim is called back and THRIIVES re-run before the form is filled.
    panel.locator("#open-task a").click()
    expect(panel.locator("#mandatory")).to_contain_text("Every part is mandatory")
    expect(panel.locator("#triggers")).to_contain_text("call cut off")
    expect(panel.get_by_role("link", name=re.compile("^Re-run the THRIIVES"))).to_have_attribute(
        "href", f"/incidents/{reference}/assess"
    )
    with services(database_url) as container:
        version = grade(container, actor(container, live_server.dispatcher), reference)
    panel.reload()
    expect(panel.get_by_label(re.compile("^Assessment version"))).to_have_value(str(version))

    panel.get_by_role("button", name="Complete the reassessment").click()  # no outcome yet
    expect(panel.get_by_label("Victim contact: outcome")).to_have_attribute("required", "")
    panel.get_by_label("Victim contact: outcome").select_option(label="Spoke to the victim")
    panel.get_by_label("Contact note").fill("He has left; she is with her sister.")
    panel.get_by_label("Safety advice given").check()
    panel.get_by_label("Contact note").press("Control+Enter")
    expect(panel).to_have_url(f"{live_server.url}/board")

    expect(task_row).to_have_count(0, timeout=LIVE_WAIT_MS)
    expect(tasks).to_contain_text("No reassessment due.")
    assert board.evaluate("window.__marker") == 1, "the board was reloaded"
    assert navigations == []


def test_the_board_and_dispatch_panel_need_no_internet(
    live_server: LiveServer, context: BrowserContext, page: Page, database_url: str
) -> None:
    with services(database_url) as container:
        seed_force(container)
    reference = graded_call(database_url, live_server.handler, "crime_theft")
    requests: list[str] = []
    failed: list[str] = []
    problems: list[str] = []
    context.on("request", lambda request: requests.append(request.url))

    def on_failed(request: Request) -> None:
        if request.failure != "net::ERR_ABORTED":  # a page left cancels its stream: no fault
            failed.append(f"{request.url}: {request.failure}")

    context.on("requestfailed", on_failed)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))

    live_server.log_in(page, live_server.dispatcher)
    page.goto(f"{live_server.url}/board")
    expect(page.locator("#live-state")).to_have_text("live")
    expect(page.locator(f'#board-queue tr[data-reference="{reference}"]')).to_be_visible()
    assert page.evaluate("typeof window.htmx") == "object", "vendored htmx did not load"
    page.goto(f"{live_server.url}/board/incidents/{reference}")
    expect(page.locator("#recommended")).to_contain_text("TH-A1")

    hosts = {urlsplit(url).hostname for url in requests}
    assert hosts == {"127.0.0.1"}, sorted(url for url in requests if "127.0.0.1" not in url)
    assert any(url.endswith("/static/board.js") for url in requests)
    assert any("/api/v1/board/stream" in url for url in requests)
    assert failed == []
    assert problems == []


def test_two_units_on_one_incident_show_on_the_board_and_one_arriving_moves_it_to_at_scene(
    live_server: LiveServer, context: BrowserContext, database_url: str
) -> None:
    with services(database_url) as container:
        seed_force(container)
    board = context.new_page()
    live_server.log_in(board, live_server.dispatcher)
    reference = graded_call(database_url, live_server.handler, "domestic_incident", ("domestic",))
    navigations = on_the_board(board, live_server)

    panel = context.new_page()
    panel.goto(f"{live_server.url}/board/incidents/{reference}")
    # Recommendations name each unit's type and skills in words, and where it is measured from.
    first = panel.locator('#recommended tr[data-call-sign="TH-A2"]')
    expect(first).to_contain_text("Domestic-abuse car")
    expect(first).to_contain_text("from its station: no recent position")
    panel.get_by_role("button", name=re.compile("^Assign")).click()
    expect(panel.locator("#held-unit")).to_contain_text("TH-A2 assigned")

    # A backup request marks the incident on the board.
    panel.get_by_label("Further units wanted").fill("1")
    panel.get_by_label("Why").fill("he has come back with friends")
    panel.get_by_role("button", name="Request backup").click()
    expect(panel.locator("#backup-open")).to_contain_text("1 more unit wanted")
    held = board.locator(f'#board-held tr[data-reference="{reference}"]')
    expect(held.locator(".tag.backup")).to_contain_text("needs backup: 1 more", timeout=LIVE_WAIT_MS)

    # A second unit, sent from the same panel: the request is satisfied.
    panel.get_by_label(re.compile(r"^1\. TH-A1")).check()
    panel.locator("#assign-reason").fill("backup: the nearest free unit")
    panel.get_by_role("button", name=re.compile("^Send another unit")).click()
    expect(panel.locator("#held-unit")).to_contain_text("TH-A1 assigned")
    expect(panel.locator("#held-unit")).to_contain_text("TH-A2 assigned")
    expect(held.locator('.held-unit[data-call-sign="TH-A1"]')).to_contain_text(
        "assigned", timeout=LIVE_WAIT_MS
    )
    expect(held.locator('.held-unit[data-call-sign="TH-A2"]')).to_contain_text("assigned")
    expect(held.locator(".tag.backup")).to_have_count(0)

    # TH-A2 goes en route; TH-A1 arrives: the incident is at scene, TH-A2 still en route.
    panel.locator("#held-unit-TH-A2").get_by_role("button", name=re.compile("^En route")).click()
    expect(held.locator('.held-unit[data-call-sign="TH-A2"]')).to_contain_text(
        "en route", timeout=LIVE_WAIT_MS
    )
    panel.locator("#held-unit-TH-A1").get_by_role("button", name=re.compile("^At scene")).click()
    expect(panel.locator("#panel-status")).to_have_text("at scene")
    expect(held.locator('.held-unit[data-call-sign="TH-A1"]')).to_contain_text(
        "at scene", timeout=LIVE_WAIT_MS
    )
    expect(held.locator('.held-unit[data-call-sign="TH-A2"]')).to_contain_text("en route")
    expect(held.locator(".clock")).to_have_text("stopped: target met")
    expect(board.locator('#board-units tr[data-call-sign="TH-A1"]')).to_contain_text(reference)
    expect(board.locator('#board-units tr[data-call-sign="TH-A2"]')).to_contain_text(reference)

    # The incident page's units panel lists both, each with its status. (Read directly: the
    # incident page around it is mended by another part of this work.)
    panel.goto(f"{live_server.url}/incidents/{reference}/units/panel")
    units_on = panel.locator("#incident-units-list")
    expect(units_on.locator('li[data-call-sign="TH-A1"]')).to_contain_text("at scene")
    expect(units_on.locator('li[data-call-sign="TH-A2"]')).to_contain_text("en route")
    assert board.evaluate("window.__marker") == 1, "the board was reloaded"
    assert navigations == []
