"""Assessing a call: from the caller's first words to a graded incident, keyboard first.

The call-taking screen hands straight on to the assessment: the category, the questions,
THRIIVES, the proposed grade with its reasons (updated live as answers are chosen), confirm
or override, and the safeguarding advice; then DASH for domestic abuse.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Frame, Page, Request, expect
from pytest_playwright.pytest_playwright import CreateContextCallback

from tests.browser.conftest import LiveServer
from tests.browser.helpers import assessing, reference_of
from tests.conftest import PASSWORD, test_settings
from thriives.bootstrap import build
from thriives.domain.accounts import Role
from thriives.domain.assessment_policy import AssessmentPolicy

pytestmark = pytest.mark.browser

SCREENS = Path("/tmp/thriives-screens")  # outside the repository
ACCOUNT = "My ex-boyfriend is back, he's got a knife and the kids are upstairs"
INSPECTOR = "inspector"
# The THRIIVES levels the handler gives: how many steps right of "None", and why.
RATINGS = {
    "threat": (3, "He has a knife and has come back to the house"),
    "harm": (3, "A knife used on the night; children in the house"),
    "risk": (3, "He is there now and she cannot leave with the children"),
    "investigation": (2, "Knife and scene to secure; neighbours may have heard"),
    "intelligence": (2, "Ex-partner; check markers and previous calls"),
    "vulnerability": (2, "Two children upstairs"),
    "engagement": (1, "Caller is talking and wants police"),
    "specific_need": (0, "None identified"),
}


def _focused(page: Page) -> str:
    """The focused control as its id, ``name=value`` or tag, for following the Tab order."""
    return str(
        page.evaluate(
            "() => { const e = document.activeElement;"
            " return e.id || (e.name ? e.name + '=' + e.value : e.tagName.toLowerCase()); }"
        )
    )


def _tab_to(page: Page, target: str, allowed: re.Pattern[str], limit: int = 40) -> list[str]:
    """Press Tab until ``target`` has the focus; every stop on the way must match ``allowed``."""
    passed: list[str] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        if _focused(page) == target:
            break
        passed.append(_focused(page))
    assert _focused(page) == target, passed
    assert all(allowed.fullmatch(stop) for stop in passed), passed
    return passed


def _policy(database_url: str) -> AssessmentPolicy:
    container = build(test_settings(database_url))
    try:
        return container.assessment_policy
    finally:
        container.close()


def _add_inspector(database_url: str) -> None:
    container = build(test_settings(database_url))
    try:
        container.accounts.add_user(INSPECTOR, "Ida Inspector", Role.SUPERVISOR, PASSWORD, container.clock())
    finally:
        container.close()


def _take_call(
    page: Page, live_server: LiveServer, account: str, category: str, qualifiers: tuple[str, ...] = ()
) -> str:
    """A 999 call through the call-taking screen; returns the reference from the assessment."""
    page.goto(f"{live_server.url}/calls/new")
    expect(page.get_by_role("radio", name="999")).to_be_checked()
    page.get_by_label("Caller's account, in their words").fill(account)
    page.get_by_label("Opening category").select_option(label=category)
    for qualifier in qualifiers:
        page.get_by_role("checkbox", name=qualifier).check()
    page.get_by_label("Caller's phone").fill("07700 900456")
    page.get_by_label("Postcode").fill("TH4 7QX")
    page.get_by_role("button", name="Open incident").click()
    return assessing(page)


def _fill_in(page: Page, policy: AssessmentPolicy, answers: dict[str, str]) -> None:
    """Everything an assessment needs, by pointer: answers, every factor, every advice prompt."""
    for question, answer in answers.items():
        page.locator(f"#q-{question}-{answer}").check()
    for factor in policy.models[policy.default_model].factors:
        page.locator(f"#level-{factor.code}-medium").check()
        page.locator(f"#rationale_{factor.code}").fill(f"{factor.name}: considered on the call")
    for advice in page.locator(".advice input[value=given]").all():
        advice.check()


def _fits_width(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1366, f"page is {width} px wide: it scrolls sideways at 1366x768"


def _in_view(page: Page, selector: str) -> None:
    # Retried by Playwright: the proposal may be mid-swap (htmx replaces it as answers change).
    expect(page.locator(selector)).to_be_in_viewport(ratio=1)


def test_a_domestic_abuse_call_from_first_words_to_a_graded_incident(
    live_server: LiveServer,
    page: Page,
    new_context: CreateContextCallback,
    database_url: str,
    request: pytest.FixtureRequest,
) -> None:
    policy = _policy(database_url)
    factors = [f.code for f in policy.models[policy.default_model].factors]
    assert list(RATINGS) == factors
    _add_inspector(database_url)
    live_server.log_in(page, live_server.handler)

    reference = _take_call(page, live_server, ACCOUNT, "Domestic incident", ("Domestic abuse",))
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Assess {reference}")
    expect(page.locator(".category")).to_contain_text("Domestic incident")
    expect(page.locator(".category")).to_contain_text("Domestic abuse")
    expect(page.locator("blockquote.account")).to_have_text(ACCOUNT)
    _fits_width(page)

    # From here on nothing is submitted until the handler saves: the proposal is previewed.
    posts: list[str] = []
    navigations: list[str] = []

    def on_request(sent: Request) -> None:
        if sent.method == "POST":
            posts.append(sent.url)

    def on_navigated(frame: Frame) -> None:
        if frame == page.main_frame:
            navigations.append(frame.url)

    page.on("request", on_request)
    page.on("framenavigated", on_navigated)
    proposed = page.locator("#proposed-grade")
    reasons = page.locator("#reasons")
    expect(proposed).to_have_text("Emergency")  # domestic abuse: an emergency by default
    expect(reasons).to_contain_text("domestic abuse")
    expect(reasons).not_to_contain_text("violence")

    # Questions, by keyboard: the cursor starts on the first; Tab moves a question on, and
    # arrow keys or Space choose within it.
    keyboard = page.keyboard
    expect(page.locator("#q-da_suspect_present-yes")).to_be_focused()
    keyboard.press("Space")  # the suspect is there
    expect(reasons).to_contain_text("risk high")  # live, without saving
    keyboard.press("Tab")
    assert _focused(page) == "q-da_injury-serious"
    keyboard.press("Tab")
    assert _focused(page) == "q-da_weapon-used"
    keyboard.press("Space")  # a weapon has been used
    expect(reasons).to_contain_text("use, or immediate threat of use, of violence")
    keyboard.press("Tab")
    assert _focused(page) == "q-da_firearm-yes"
    keyboard.press("Tab")
    assert _focused(page) == "q-da_children_vulnerable-children"
    keyboard.press("ArrowRight")  # arrows move within the answers...
    expect(page.locator("#q-da_children_vulnerable-vulnerable_adults")).to_be_checked()
    keyboard.press("ArrowLeft")
    expect(page.locator("#q-da_children_vulnerable-children")).to_be_checked()  # ...children
    expect(page.locator("#raised")).to_contain_text("Factors raised by answers")
    expect(proposed).to_have_text("Emergency")
    expect(reasons).to_contain_text("domestic abuse")
    expect(reasons).to_contain_text("violence")
    assert all(url.endswith("/assess/preview") for url in posts), posts
    assert navigations == [], navigations

    # The rest of the questions and the national facts, one stop each, then THRIIVES.
    first_answers = r"q-da_\w+-(yes|serious|used|children|yes_marac)"
    _tab_to(page, "level-threat-none", re.compile(rf"{first_answers}|ind-\w+|use-model-\w+"))
    for index, code in enumerate(factors):
        assert _focused(page) == f"level-{code}-none"
        steps, why = RATINGS[code]
        if steps:
            for _ in range(steps):
                keyboard.press("ArrowRight")
        else:
            keyboard.press("Space")
        keyboard.press("Tab")
        assert _focused(page) == f"rationale_{code}"
        keyboard.type(why)
        if code == "vulnerability":
            # While the handler is down in THRIIVES the proposal stays in view.
            _in_view(page, "#proposed-grade")
            _in_view(page, f"#rationale_{code}")
        if index < len(factors) - 1:
            keyboard.press("Tab")
    for code, (steps, _) in RATINGS.items():
        level = policy.levels[steps]
        expect(page.locator(f"#level-{code}-{level}")).to_be_checked()

    # Step 4: the proposal, then confirm (the grade list left on "accept") or override.
    _tab_to(page, "grade", re.compile("raised-summary|others-summary"))
    expect(page.get_by_label("Grade to give")).to_have_value("")
    keyboard.press("Tab")
    assert _focused(page) == "override_reason"
    keyboard.press("Tab")
    assert _focused(page) == "da_not_immediate_reason"

    # Step 5: each advice prompt given, or not given with a note.
    advice = [a.code for a in policy.advice if "domestic_incident" in a.categories]
    assert len(advice) == page.locator(".advice").count()
    for code in advice:
        keyboard.press("Tab")
        assert _focused(page) == f"advice-{code}-given"
        if code == "da_key_word":
            keyboard.press("ArrowRight")
            expect(page.locator(f"#advice-{code}-not_given")).to_be_checked()
            keyboard.press("Tab")
            keyboard.type("Caller could not talk freely: he was in the room")
        else:
            keyboard.press("Space")
            expect(page.locator(f"#advice-{code}-given")).to_be_checked()
            keyboard.press("Tab")
        assert _focused(page) == f"advice-note-{code}"
    keyboard.press("Tab")
    assert _focused(page) == "save-assessment"

    expect(proposed).to_have_text("Emergency")
    expect(page.locator("#form-error")).to_have_count(0)
    assert all(url.endswith("/assess/preview") for url in posts), posts
    assert len(posts) >= 4  # on load and as the answers came
    assert navigations == [], navigations
    store = request.node.callspec.params["database_url"]
    SCREENS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENS / f"assess-{store}.png")

    keyboard.press("Control+Enter")
    assert reference_of(page) == reference
    heading = page.get_by_role("heading", level=1)
    expect(heading.locator(".status")).to_have_text("graded")
    expect(page.locator("#incident-grade")).to_have_text("Emergency")
    version = page.locator("#assessment-1")
    expect(version).to_contain_text("Version 1")
    expect(version.locator("summary")).to_contain_text("Emergency")
    expect(version.locator("summary")).to_contain_text("by handler")
    expect(version).to_contain_text(f"policy {policy.version}")
    expect(version.locator(".reasons")).to_contain_text("domestic abuse")
    expect(version.locator(".reasons")).to_contain_text("violence")
    expect(version.locator(".advice-record")).to_contain_text(
        "6 given, not given: “Agree a key word or phrase"
    )
    expect(version.locator(".advice-record")).to_contain_text(
        "”: Caller could not talk freely: he was in the room"
    )
    expect(version.locator(".advice-record")).not_to_contain_text("da_key_word")  # words, not codes
    expect(page.locator("#timeline")).to_contain_text("assessed")
    _fits_width(page)

    # An inspector opens the incident and reads why it was graded so.
    inspector = new_context().new_page()
    live_server.log_in(inspector, INSPECTOR)
    expect(inspector).to_have_url(f"{live_server.url}/queue")
    inspector.goto(f"{live_server.url}/incidents/{reference}")
    record = inspector.locator("#assessment-1")
    expect(record).to_be_visible()
    expect(record.locator("summary")).to_contain_text("Version 1: Emergency")
    expect(record.locator("summary")).not_to_contain_text("downgraded")
    expect(record).to_contain_text(f"THRIIVES, policy {policy.version}. Proposed Emergency.")
    expect(record.locator(".reasons li")).to_contain_text(
        [
            "domestic abuse: an immediate response unless risk indicators say otherwise",
            "risk high",
            "threat high",
            "use, or immediate threat of use, of violence",
        ]
    )
    answers = record.locator(".answers-list")
    expect(answers).to_contain_text(re.compile(r"still there with you, or close by\?\s*yes"))
    expect(answers).to_contain_text(re.compile(r"weapon been used.*\s*used"))
    expect(answers).to_contain_text(re.compile(r"children or vulnerable adults.*\s*children"))
    threat = record.locator("tr", has=inspector.get_by_role("rowheader", name="Threat"))
    expect(threat).to_contain_text("High")
    expect(threat).to_contain_text("He has a knife and has come back to the house")
    vulnerability = record.locator("tr", has=inspector.get_by_role("rowheader", name="Vulnerability"))
    expect(vulnerability).to_contain_text(
        re.compile(r"High\s*\(rated Medium; raised by da children vulnerable: children\)")
    )
    expect(inspector.locator("#incident-grade")).to_have_text("Emergency")


def test_a_less_urgent_grade_needs_a_reason_next_to_the_field(
    live_server: LiveServer, page: Page, database_url: str
) -> None:
    policy = _policy(database_url)
    live_server.log_in(page, live_server.handler)
    reference = _take_call(
        page, live_server, "He's been shouting, he has gone now", "Domestic incident", ("Domestic abuse",)
    )
    answers = {"da_suspect_present": "no", "da_weapon": "no", "da_children_vulnerable": "no"}
    _fill_in(page, policy, answers)
    page.locator("#rationale_harm").fill("")  # two things left undone, for now
    page.locator("#advice-da_first_aid-given").evaluate("radio => { radio.checked = false; }")
    expect(page.locator("#proposed-grade")).to_have_text("Emergency")
    grade = page.get_by_label("Grade to give")
    grade.select_option(label="Priority")
    # The proposal says at once that this is a downgrade and needs a reason.
    expect(page.locator("#chosen-grade")).to_contain_text("You chose Priority: less urgent than proposed")
    expect(page.locator("#proposed-grade")).to_have_text("Emergency")
    page.get_by_role("button", name="Save assessment and grade").click()

    # Refused with everything missing named at once, each message by its field, the cursor
    # on the first (in the order of the screen).
    summary = page.locator("#form-error")
    expect(summary).to_contain_text("Not saved: 3 things need attention")
    expect(summary).to_contain_text("Harm rationale: a rationale is required")
    expect(summary).to_contain_text("Reason for a less urgent grade: a reason is required")
    expect(summary).to_contain_text("“Give first-aid advice for any injury…”: record whether")
    harm = page.locator("#rationale_harm")
    expect(page.locator("#rationale_harm + .error")).to_have_text("a rationale is required")
    expect(harm).to_have_accessible_description("a rationale is required")
    expect(harm).to_be_focused()
    expect(page.locator("#advice-da_first_aid .error")).to_have_text("record whether this advice was given")
    expect(page.locator("#err-override_reason")).to_have_text("a reason is required")
    harm.fill("Shouting only; nobody hurt")
    page.locator("#advice-da_first_aid-given").check()
    expect(grade).to_have_value("priority")
    page.get_by_role("button", name="Save assessment and grade").click()

    # Refused: the message is next to the reason, the cursor in it, everything else kept.
    expect(summary).to_contain_text("Not saved: 1 thing needs attention")
    expect(page).to_have_url(f"{live_server.url}/incidents/{reference}/assess")
    expect(summary).to_contain_text("Reason for a less urgent grade: a reason is required")
    reason = page.locator("#override_reason")
    expect(page.locator("#override_reason + .error")).to_have_id("err-override_reason")
    expect(page.locator("#err-override_reason")).to_have_text("a reason is required")
    expect(reason).to_have_attribute("aria-invalid", "true")
    expect(reason).to_have_accessible_description("a reason is required")
    expect(reason).to_be_focused()
    expect(grade).to_have_value("priority")
    for question, answer in answers.items():
        expect(page.locator(f"#q-{question}-{answer}")).to_be_checked()
    for factor in policy.models[policy.default_model].factors:
        expect(page.locator(f"#level-{factor.code}-medium")).to_be_checked()
        if factor.code != "harm":
            expect(page.locator(f"#rationale_{factor.code}")).to_have_value(
                f"{factor.name}: considered on the call"
            )
    expect(harm).to_have_value("Shouting only; nobody hurt")
    for advice in page.locator(".advice input[value=given]").all():
        expect(advice).to_be_checked()
    expect(page.locator("#proposed-grade")).to_have_text("Emergency")

    # Nothing was saved.
    elsewhere = page.context.new_page()
    elsewhere.goto(f"{live_server.url}/incidents/{reference}")
    expect(elsewhere.locator("#no-assessment")).to_be_visible()
    expect(elsewhere.locator("#incident-grade")).to_have_count(0)
    expect(elsewhere.get_by_role("heading", level=1).locator(".status")).to_have_text("open")
    elsewhere.close()

    reason.fill("Suspect has left in a taxi; caller is safe at her sister's")
    page.keyboard.press("Control+Enter")
    assert reference_of(page) == reference
    expect(page.locator("#incident-grade")).to_have_text("Priority")
    version = page.locator("#assessment-1")
    expect(version.locator("summary")).to_contain_text("downgraded from Emergency")
    expect(version).to_contain_text("“Suspect has left in a taxi; caller is safe at her sister's”")


def _fill_close(page: Page) -> None:
    page.get_by_label("Closing category").select_option("domestic_incident")
    page.get_by_label("Closure reason").select_option(label="Referred to partner agency")
    page.get_by_label("Note").fill("Referred to MARAC")
    page.get_by_role("button", name="Close incident").click()


def test_dash_high_refers_to_marac_and_lets_the_incident_close(
    live_server: LiveServer, page: Page, database_url: str
) -> None:
    policy = _policy(database_url)
    questions = [q.id for q in policy.dash_questions]
    assert len(questions) == 27
    live_server.log_in(page, live_server.handler)
    reference = _take_call(
        page, live_server, "She says he hit her again last night", "Domestic incident", ("Domestic abuse",)
    )

    # The handler is told why it cannot close: it waits for its domestic-abuse review.
    page.goto(f"{live_server.url}/incidents/{reference}")
    expect(page.locator("#closing-blockers")).to_contain_text("waiting for a domestic-abuse review")
    expect(page.get_by_role("button", name="Close incident")).to_have_count(0)
    # Without DASH (or a reason why none could be done) not even a supervisor can close it.
    container = build(test_settings(database_url))
    try:
        container.accounts.add_user(
            "sarge", "Sam Sergeant", Role.SUPERVISOR, live_server.password, container.clock()
        )
    finally:
        container.close()
    live_server.log_in(page, "sarge")
    page.goto(f"{live_server.url}/incidents/{reference}")
    _fill_close(page)
    expect(page.get_by_role("alert")).to_contain_text("needs a DASH record")
    expect(page.get_by_role("heading", level=1).locator(".status")).to_have_text("open")

    live_server.log_in(page, live_server.handler)
    page.goto(f"{live_server.url}/incidents/{reference}/assess")
    page.get_by_role("link", name="DASH risk identification").click()
    expect(page).to_have_url(f"{live_server.url}/incidents/{reference}/dash")
    expect(page.locator(f"#dash-{questions[0]}-yes")).to_be_focused()
    answers = ["yes"] * 14 + ["no"] * 10 + ["not_known"] * 3
    for question, answer in zip(questions[:-1], answers, strict=False):
        page.locator(f"#dash-{question}-{answer}").check()
    page.get_by_role("button", name="Save DASH").click()

    # One not asked: named next to it, the cursor on it, the rest kept.
    last = page.locator(f"#dash-{questions[-1]}")
    expect(page.locator("#form-error")).to_contain_text("1 question not recorded: 27")
    expect(last.locator(".error")).to_have_text("not recorded: yes, no or not known")
    expect(page.locator(f"#dash-{questions[-1]}-yes")).to_be_focused()
    for question, answer in zip(questions[:-1], answers, strict=False):
        expect(page.locator(f"#dash-{question}-{answer}")).to_be_checked()
    page.keyboard.press("ArrowRight")  # yes → no, by keyboard
    page.keyboard.press("ArrowRight")  # no → not known
    expect(page.locator(f"#dash-{questions[-1]}-not_known")).to_be_checked()
    page.keyboard.press("Control+Enter")

    assert reference_of(page) == reference
    dash = page.locator("#dash-latest")
    expect(dash).to_contain_text("DASH: high (14 yes)")
    expect(dash).to_contain_text("refer to MARAC")
    live_server.log_in(page, "sarge")
    page.goto(f"{live_server.url}/incidents/{reference}")
    expect(page.get_by_label("If no DASH was completed, why not")).to_have_value("")
    _fill_close(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Close {reference}?")
    page.get_by_role("button", name="Confirm close").click()
    expect(page.get_by_role("heading", level=1).locator(".status")).to_have_text("closed")
    expect(page.locator("#timeline li").last).to_contain_text("closed")


def test_a_categorisation_cue_is_shown_and_changes_nothing(
    live_server: LiveServer, page: Page, database_url: str
) -> None:
    policy = _policy(database_url)
    live_server.log_in(page, live_server.handler)
    account = "Can you check on my mum? My ex-husband was round earlier and now she won't answer"
    reference = _take_call(page, live_server, account, "Concern for safety or welfare")

    cues = page.locator("#cues")
    expect(cues).to_contain_text("“husband”: Partner or ex-partner mentioned: possible domestic abuse")
    expect(cues).to_contain_text("qualifier Domestic abuse")
    expect(cues).to_contain_text("Domestic abuse: immediate safety and risk")
    expect(cues).to_contain_text("Nothing is changed for you")
    # The category, its questions and its grading stay those chosen.
    expect(page.locator(".category")).to_contain_text("Concern for safety or welfare")
    expect(page.locator(".category .tag")).to_have_count(0)
    expect(page.locator("#set-concern_for_safety")).to_be_visible()
    expect(page.locator("#set-domestic_abuse")).to_have_count(0)
    expect(page.locator("#da_not_immediate_reason")).to_have_count(0)
    expect(page.locator("#reasons")).not_to_contain_text("domestic abuse")

    _fill_in(page, policy, {"cfs_immediate_danger": "unknown"})
    page.get_by_role("button", name="Save assessment and grade").click()
    assert reference_of(page) == reference
    category = page.locator("dt", has_text="Category").locator("xpath=following-sibling::dd[1]")
    expect(category).to_have_text("Concern for safety or welfare")
    qualifiers = page.locator("dt", has_text="Qualifiers").locator("xpath=following-sibling::dd[1]")
    expect(qualifiers).to_have_text("none")
    version = page.locator("#assessment-1")
    expect(version).to_contain_text("Cues shown: “husband” (Partner or ex-partner mentioned")
    expect(version.locator(".reasons")).not_to_contain_text("domestic abuse")
