"""Supervision pages in-process, on both stores: the live view, the review queue, deciding a
downgrade, the review form, feedback and its acknowledgement, the sample, compliance."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.adapters.web.test_dispatch_pages import open_call, post, seed_force
from tests.adapters.web.test_pages import log_in
from tests.conftest import FakeClock, People, test_settings
from thriives.bootstrap import Container, build
from thriives.domain.accounts import Actor, Role
from thriives.domain.assessment import AdviceRecord, CallFacts, Rating, Submission, advice_due


@pytest.fixture
def container(database_url: str, clock: FakeClock) -> Iterator[Container]:
    built = build(test_settings(database_url, worker_in_process=False), clock=clock)
    seed_force(built)
    yield built
    built.close()


def assess(
    container: Container, actor: Actor, reference: str, risk: str = "low", chosen: str | None = None
) -> None:
    """Assess with every factor low but risk; ``chosen`` below the proposal is a downgrade."""
    with container.uow() as uow:
        incident = uow.incidents.require(reference)
    policy = container.assessment_policy
    facts = CallFacts(incident["opening_category"], frozenset(incident["qualifiers"]), incident["channel"])
    ratings = {
        f.code: Rating("low", f"{f.name}: nothing more said") for f in policy.models["thriives"].factors
    }
    ratings["risk"] = Rating(risk, "he said he would come back")
    submission = Submission(
        model="thriives",
        ratings=ratings,
        advice={code: AdviceRecord(True) for code in advice_due(facts, policy)},
        grade=chosen,
        override_reason="she is at her sister's; he is in custody" if chosen else None,
    )
    container.assessments.assess(actor, reference, submission, container.clock())


def downgraded(container: Container, handler: Actor) -> str:
    """A domestic-abuse call proposed an emergency and given scheduled: a downgrade to decide
    and the call to review."""
    reference = open_call(container, handler, "domestic_incident", ("domestic",))
    assess(container, handler, reference, chosen="scheduled")
    return reference


def items_of(container: Container, supervisor: Actor, reference: str) -> dict[str, int]:
    queue = container.supervision.queue(supervisor)
    return {i["kind"]: i["id"] for items in queue.values() for i in items if i["reference"] == reference}


def review_form(container: Container, **changes: str) -> dict[str, str]:
    """Every item of the review form answered "yes", each factor with its rationale."""
    fields = {"feedback": "Good call: the risk was clear and the history searched."}
    for item in container.supervision.policy.form.items:
        base = f"answers.{item.code}"
        if item.kind == "per_factor":
            for factor in container.assessment_policy.models["thriives"].factors:
                fields[f"{base}.{factor.code}"] = "yes"
                fields[f"{base}.{factor.code}.rationale"] = f"{factor.name} fits what she said"
        else:
            fields[base] = "yes"
    return fields | changes


def error_of(html: str, element_id: str) -> str:
    match = re.search(
        rf'<span class="error" id="{re.escape(element_id)}-error" role="alert">([^<]*)</span>', html
    )
    assert match, f"no error for {element_id}"
    return match[1]


@pytest.fixture
def handler(people: People) -> Actor:
    return people(Role.CALL_HANDLER)


@pytest.fixture
def supervisor(people: People) -> Actor:
    return people(Role.SUPERVISOR)


# ---- who may see what ---------------------------------------------------------------------


def test_each_page_is_for_the_roles_allowed_and_the_navigation_says_so(
    client: TestClient, people: People, handler: Actor, supervisor: Actor
) -> None:
    pages = ("/supervision", "/supervision/queue", "/supervision/feedback", "/compliance", "/feedback")
    allowed = {
        supervisor: set(pages),
        people(Role.ANALYST): {"/compliance"},
        handler: {"/feedback"},
        people(Role.DISPATCHER): {"/feedback"},
    }
    for actor, may in allowed.items():
        log_in(client, actor.username)
        for page in pages:
            status = client.get(page).status_code
            assert status == (200 if page in may else 403), (actor.role, page, status)
        nav = client.get("/board").text.split("</nav>", 1)[0]
        assert ('href="/supervision/queue"' in nav) == (actor.role is Role.SUPERVISOR)
        assert ('href="/compliance"' in nav) == (actor.role in (Role.SUPERVISOR, Role.ANALYST))
        assert ('href="/feedback"' in nav) == (actor.role is not Role.ANALYST)


# ---- the live view and the queue -----------------------------------------------------------


def test_the_live_view_shows_high_risk_incidents_downgrades_and_breached_clocks(
    client: TestClient, container: Container, handler: Actor, supervisor: Actor, clock: FakeClock
) -> None:
    risky = open_call(container, handler, "crime_theft")
    assess(container, handler, risky, risk="high")
    calm = open_call(container, handler, "crime_theft")
    assess(container, handler, calm)
    reference = downgraded(container, handler)
    clock.advance(hours=2)  # every clock is past its target now
    log_in(client, supervisor.username)
    page = client.get("/supervision").text
    assert 'sse-connect="/api/v1/board/stream?after=' in page
    panels = client.get("/supervision/panels").text
    for html in (page, panels):
        high = html.split('id="sv-high-risk"', 1)[1].split("</table>", 1)[0]
        assert f'data-reference="{risky}"' in high and f'data-reference="{calm}"' not in high
        downgrades = html.split('id="sv-downgrades"', 1)[1].split("</table>", 1)[0]
        assert f'data-reference="{reference}"' in downgrades and "Decide" in downgrades
        breached = html.split('id="sv-breached"', 1)[1].split("</table>", 1)[0]
        assert f'data-reference="{risky}"' in breached
        assert re.search(r'id="count-downgrade">1<', html)
        assert re.search(r'id="count-domestic_abuse">1<', html)


def test_the_queue_groups_items_by_kind_oldest_first(
    client: TestClient, container: Container, handler: Actor, supervisor: Actor, clock: FakeClock
) -> None:
    first = downgraded(container, handler)
    clock.advance(minutes=5)
    second = downgraded(container, handler)
    log_in(client, supervisor.username)
    page = client.get("/supervision/queue").text
    section = page.split('id="queue-domestic_abuse"', 1)[1].split("</section>", 1)[0]
    assert section.index(first) < section.index(second)
    assert re.search(r'id="queue-count-downgrade">2<', page)
    assert re.search(r'id="queue-count-sample">0<', page)
    assert f"queued by {handler.username}" in section


# ---- deciding a downgrade ------------------------------------------------------------------


def test_rejecting_a_downgrade_needs_a_reason_and_regrades_the_incident(
    client: TestClient, container: Container, handler: Actor, supervisor: Actor
) -> None:
    reference = downgraded(container, handler)
    item = items_of(container, supervisor, reference)["downgrade"]
    log_in(client, supervisor.username)
    page = f"/supervision/items/{item}"
    shown = client.get(page).text
    assert "proposed" in shown and "she is at her sister" in shown and 'id="reject-form"' in shown

    refused = post(client, f"{page}/reject", page, reason="  ")
    assert refused.status_code == 422
    assert error_of(refused.text, "reject-reason") == "a reason is required"
    assert 'id="reject-reason" name="reason"' in refused.text

    done = post(client, f"{page}/reject", page, reason="a DA call with him still nearby is an emergency")
    assert done.status_code == 303 and done.headers["location"] == page
    after = client.get(page).text
    assert "Rejected</strong> by " + supervisor.username in after
    with container.uow() as uow:
        assert uow.incidents.require(reference)["grade"] == "emergency"


def test_a_supervisor_may_not_decide_on_their_own_downgrade(
    client: TestClient, container: Container, supervisor: Actor
) -> None:
    reference = downgraded(container, supervisor)
    item = items_of(container, supervisor, reference)["downgrade"]
    log_in(client, supervisor.username)
    page = f"/supervision/items/{item}"
    assert 'id="own-downgrade"' in client.get(page).text
    refused = post(client, f"{page}/approve", page, reason="fine by me")
    assert refused.status_code == 403
    assert "cannot decide on their own downgrade" in refused.text
    with container.uow() as uow:
        assert uow.incidents.require(reference)["grade"] == "scheduled"


# ---- the review form -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"feedback": ""}, "feedback"),
        ({"answers.thriives_applied.risk.rationale": " "}, "answers-thriives_applied-risk-rationale"),
        ({"answers.category_correct": "no"}, "answers-category_correct-correction"),
        ({"answers.history_searched": ""}, "answers-history_searched"),
    ],
)
def test_a_refused_review_names_the_field_and_keeps_what_was_typed(
    client: TestClient,
    container: Container,
    handler: Actor,
    supervisor: Actor,
    change: dict[str, str],
    field: str,
) -> None:
    reference = downgraded(container, handler)
    item = items_of(container, supervisor, reference)["domestic_abuse"]
    log_in(client, supervisor.username)
    page = f"/supervision/items/{item}"
    fields = review_form(container, **{"answers.right_questions.note": "asked about the children"}) | change
    refused = post(client, f"/supervision/incidents/{reference}/review", page, item_id=str(item), **fields)
    assert refused.status_code == 422
    assert error_of(refused.text, f"review-{field}")
    assert 'value="asked about the children"' in refused.text
    assert container.supervision.feedback(handler) == []
    heading = refused.text.split('id="review-heading">', 1)[1].split("</h2>", 1)[0]
    assert heading.startswith("Review <") and "(form version " in heading  # not "Review (review-form-1)"


def test_a_review_of_an_incident_not_in_the_queue_is_refused(
    client: TestClient, container: Container, handler: Actor, supervisor: Actor
) -> None:
    queued = downgraded(container, handler)
    item = items_of(container, supervisor, queued)["domestic_abuse"]
    other = open_call(container, handler, "crime_theft")
    assess(container, handler, other)
    log_in(client, supervisor.username)
    page = f"/supervision/items/{item}"
    refused = post(
        client, f"/supervision/incidents/{other}/review", page, item_id=str(item), **review_form(container)
    )
    assert refused.status_code == 422 and f"{other} is not in the review queue" in refused.text


def test_a_completed_review_shows_its_score_and_the_handler_acknowledges_it(
    client: TestClient, container: Container, handler: Actor, supervisor: Actor
) -> None:
    reference = downgraded(container, handler)
    item = items_of(container, supervisor, reference)["domestic_abuse"]
    log_in(client, supervisor.username)
    page = f"/supervision/items/{item}"
    form = client.get(page).text
    assert 'id="review-form"' in form and "data-submit-on-ctrl-enter" in form
    assert 'name="answers.category_correct.correction"' in form
    fields = review_form(
        container, **{"answers.grade_appropriate": "no", "answers.grade_appropriate.correction": "emergency"}
    )
    saved = post(client, f"/supervision/incidents/{reference}/review", page, item_id=str(item), **fields)
    assert saved.status_code == 303
    shown = client.get(page).text
    score = re.search(r'<strong class="score">(\d+)</strong>', shown)
    assert score and 0 < int(score[1]) < 100  # the grade was wrong: not full marks
    assert 'id="review-form"' not in shown  # reviewed: out of the queue
    assert reference in client.get("/supervision/feedback").text

    log_in(client, handler.username)
    assert client.get("/feedback/count").text.strip().endswith(">1</span>")
    mine = client.get("/feedback").text
    assert f'data-reference="{reference}"' in mine and score[1] in mine and "review-form-1" in mine
    review_id = container.supervision.feedback(handler)[0]["id"]
    done = post(client, f"/feedback/{review_id}/acknowledge", "/feedback", note="understood")
    assert done.status_code == 303
    after = client.get("/feedback").text
    assert f'id="acknowledged-{review_id}"' in after and "understood" in after
    assert client.get("/feedback/count").text.strip() == ""
    again = post(client, f"/feedback/{review_id}/acknowledge", "/feedback", note="twice")
    assert again.status_code == 409 and "already acknowledged" in again.text

    log_in(client, supervisor.username)
    assert reference not in client.get("/supervision/feedback").text


# ---- the sample ----------------------------------------------------------------------------


def test_the_sample_form_names_a_bad_month_and_lists_the_picks(
    client: TestClient, container: Container, handler: Actor, supervisor: Actor, clock: FakeClock
) -> None:
    reference = open_call(container, handler, "crime_theft")
    clock.advance(days=5)  # into December: November is over, and so may be sampled
    log_in(client, supervisor.username)
    assert re.search(r'id="period"[^>]* value="2026-11"', client.get("/supervision/queue").text)  # last month
    refused = post(client, "/supervision/sample", "/supervision/queue", period="November", seed="s1")
    assert refused.status_code == 422
    assert error_of(refused.text, "sample-period") == "must be a month, YYYY-MM"
    assert 'value="November"' in refused.text and 'value="s1"' in refused.text
    drawn = post(client, "/supervision/sample", "/supervision/queue", period="2026-11", seed="s1")
    assert drawn.status_code == 200
    assert "picked from 1 calls" in drawn.text and reference in drawn.text
    assert re.search(r'id="queue-count-sample">1<', drawn.text)
    sample = drawn.text.split('id="queue-sample"', 1)[1].split("</section>", 1)[0]
    assert "drawn at random: the minimum per handler" in sample  # in words, not handler_min
    assert "handler min" not in sample and "handler_min" not in sample


# ---- compliance ----------------------------------------------------------------------------


def test_the_compliance_page_shows_the_last_seven_days_with_charts_and_exports(
    client: TestClient, container: Container, handler: Actor, people: People
) -> None:
    assess(container, handler, open_call(container, handler, "crime_theft"))
    log_in(client, people(Role.ANALYST).username)
    page = client.get("/compliance").text
    assert 'id="start" name="start" value="2026-11-20"' in page
    assert 'id="end" name="end" value="2026-11-26"' in page
    assert f'data-group="{handler.username}"' in page
    assert page.count("<svg") == 6
    assert "/api/v1/compliance.csv?start=2026-11-20" in page and "/api/v1/compliance/report.pdf?" in page
    by_shift = client.get("/compliance?start=2026-11-20&end=2026-11-26&by=shift").text
    assert 'aria-current="page" class="current">By shift' in by_shift
    assert 'data-group="late"' in by_shift  # 21:30 is the late shift


def test_a_period_ending_before_it_starts_is_refused_next_to_its_end(
    client: TestClient, people: People
) -> None:
    log_in(client, people(Role.SUPERVISOR).username)
    refused = client.get("/compliance?start=2026-11-20&end=2026-11-01&by=handler")
    assert refused.status_code == 422
    assert "before it starts" in error_of(refused.text, "period-end")
    assert 'value="2026-11-01"' in refused.text and 'id="figures"' not in refused.text
    bad = client.get("/compliance?start=yesterday&end=2026-11-01")
    assert bad.status_code == 422 and error_of(bad.text, "period-start") == "must be a date, YYYY-MM-DD"
    assert "must be one of" in client.get("/compliance?by=moon").text
