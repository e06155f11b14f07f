"""Call-time intelligence on the assessment screen: the handler types what the caller gives and
sees who it may be, why, their markers and history, without pressing a button; attaching
one raises the assessment's factors at once; the incident page keeps the record."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Frame, Page, expect
from pytest_playwright.pytest_playwright import CreateContextCallback

from tests.adapters.web.test_intel_api import seed
from tests.browser.conftest import LiveServer
from tests.browser.helpers import assessing
from tests.conftest import PASSWORD, test_settings
from thriives.bootstrap import build
from thriives.domain.accounts import Role

pytestmark = pytest.mark.browser
SCREENS = Path("/tmp/thriives-screens")  # outside the repository
SERGEANT = "sergeant"


@pytest.fixture
def population(live_server: LiveServer, database_url: str) -> dict[str, int]:
    """The fictional people, put into the running server's database; and a supervisor."""
    container = build(test_settings(database_url))
    try:
        now = container.clock()
        container.accounts.add_user(SERGEANT, "Sam Sergeant", Role.SUPERVISOR, PASSWORD, now)
        return seed(container, now)
    finally:
        container.close()


def take_call(page: Page, live_server: LiveServer) -> str:
    page.goto(f"{live_server.url}/calls/new")
    page.get_by_label("Caller's account, in their words").fill("My ex is outside and he has a knife")
    page.get_by_label("Opening category").select_option(label="Domestic incident")
    page.get_by_role("checkbox", name="Domestic abuse").check()
    page.get_by_label("Postcode").fill("TH1 2AB")
    page.get_by_role("button", name="Open incident").click()
    return assessing(page)


def test_a_handler_finds_a_misspelt_name_attaches_them_and_the_assessment_takes_their_markers(
    live_server: LiveServer, page: Page, population: dict[str, int], request: pytest.FixtureRequest
) -> None:
    live_server.log_in(page, live_server.handler)
    reference = take_call(page, live_server)
    expect(page.locator("#proposed-grade")).to_have_text("Emergency")
    expect(page.locator("#attached-none")).to_be_visible()
    navigations: list[str] = []

    def on_navigated(frame: Frame) -> None:
        if frame == page.main_frame:
            navigations.append(frame.url)

    page.on("framenavigated", on_navigated)

    # Typed as the caller says it; the matches come without a button being pressed.
    name = page.get_by_role("search").get_by_label("Name")
    name.click()
    page.keyboard.type("Jon Smyth", delay=40)
    card = page.locator(f"#match-{population['john']}")
    expect(card.get_by_role("heading", name="John Smith")).to_be_visible()
    expect(card).to_contain_text("born 07/03/1984")
    expect(card.locator(".why")).to_contain_text("name: surname phonetic, forename phonetic")
    expect(card.locator(".markers")).to_contain_text("Weapons")
    expect(card.locator(".markers")).to_contain_text("known to carry a knife")
    expect(card.locator(".markers")).to_contain_text("Domestic abuse perpetrator")
    expect(card).to_contain_text("0 incidents in the last 12 months")
    expect(card.locator(".likely")).to_have_count(0)  # a name alone does not say who it is

    # Keyboard: Tab goes field by field; a bad postcode is named by its field, in words, and
    # nothing typed is lost; Enter searches at once.
    page.keyboard.press("Tab")
    expect(page.locator("#intel-date_of_birth")).to_be_focused()
    page.keyboard.type("7/3/1984")
    for field in ("phone", "address", "postcode"):
        page.keyboard.press("Tab")
        expect(page.locator(f"#intel-{field}")).to_be_focused()
    page.keyboard.type("NOT A CODE")
    postcode_error = page.locator("#intel-err-postcode")
    expect(postcode_error).to_have_text("is not a UK postcode (e.g. TH1 2AB)")
    expect(page.locator("#intel-postcode")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#intel-postcode")).to_have_accessible_description(
        "is not a UK postcode (e.g. TH1 2AB)"
    )
    expect(page.locator("#intel-postcode")).to_be_focused()
    expect(name).to_have_value("Jon Smyth")
    expect(page.locator("#intel-date_of_birth")).to_have_value("7/3/1984")
    page.keyboard.press("Control+A")
    page.keyboard.type("TH1 2AB")
    page.keyboard.press("Enter")
    expect(postcode_error).to_have_text("")
    expect(page.locator("#intel-postcode")).not_to_have_attribute("aria-invalid", "true")
    expect(card.locator(".band")).to_have_text("strong match")
    expect(card.locator(".likely")).to_have_text("likely the person")
    expect(card.locator(".why")).to_contain_text("date of birth: same date of birth")
    expect(card.locator(".why")).to_contain_text("address: same postcode")
    expect(page.locator("#intel-count")).to_contain_text("best first")

    # One click attaches him as the suspect; the list and the proposal update in place.
    card.get_by_role("button", name="suspect", exact=True).click()
    expect(card.locator(".attach-status")).to_have_text("Attached as suspect.")
    expect(page.locator("#attached-list")).to_contain_text("John Smith, born 07/03/1984: suspect")
    raised = page.locator("#raised")
    expect(raised).to_contain_text("Intelligence → High")
    expect(raised).to_contain_text("Weapons")
    expect(page.locator("#proposed-grade")).to_have_text("Emergency")
    assert navigations == [], navigations
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1366, f"page is {width} px wide"
    SCREENS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENS / f"intel-{request.node.callspec.params['database_url']}.png")

    # The incident page keeps what was searched, by whom, and who was attached.
    page.goto(f"{live_server.url}/incidents/{reference}")
    searched = page.locator("#intel-searches")
    expect(searched).to_contain_text("name “jon smyth”")
    expect(searched).to_contain_text("TH1 2AB")  # the postcode, searched as an address
    expect(searched.locator("tbody tr").first).to_contain_text(live_server.handler)
    links = page.locator("#intel-links")
    expect(links).to_contain_text("John Smith, born 07/03/1984")
    expect(links).to_contain_text("suspect")
    expect(links).to_contain_text(f"by {live_server.handler}")
    page.screenshot(path=SCREENS / f"intel-record-{request.node.callspec.params['database_url']}.png")


def test_a_restricted_marker_is_not_shown_to_a_handler_and_a_supervisor_opens_it_with_a_reason(
    live_server: LiveServer, page: Page, new_context: CreateContextCallback, population: dict[str, int]
) -> None:
    live_server.log_in(page, live_server.handler)
    take_call(page, live_server)
    page.locator("#intel-name").fill("John Smith")
    card = page.locator(f"#match-{population['john']}")
    expect(card.locator(".markers")).to_contain_text("Weapons")
    expect(card).not_to_contain_text("OCG nominal")
    expect(card).not_to_contain_text("restricted")
    expect(card.get_by_text("Open (needs a reason)")).to_have_count(0)

    sergeant = new_context().new_page()
    live_server.log_in(sergeant, SERGEANT)
    take_call(sergeant, live_server)
    sergeant.locator("#intel-name").fill("John Smith")
    seen = sergeant.locator(f"#match-{population['john']}")
    restricted = seen.locator(".marker.restricted")
    expect(restricted).to_contain_text("OCG nominal")
    expect(restricted).to_contain_text("restricted")
    expect(restricted).not_to_contain_text("nominal of the Ashcombe group")
    restricted.get_by_text("Open (needs a reason)").click()
    reason = restricted.get_by_label("Why you need to open it")
    reason.fill("why")
    restricted.get_by_role("button", name="Open").click()
    expect(restricted.locator(".error")).to_contain_text("say why you need to open this")
    expect(reason).to_have_value("why")
    reason.fill("Officer safety: suspect may be armed")
    reason.press("Enter")
    expect(restricted.locator(".opened-marker")).to_contain_text("nominal of the Ashcombe group")
    expect(restricted.locator(".error")).to_have_text("")
