"""The supervision API in-process, on both stores: a downgrade decided, a review and its
feedback acknowledged, the sample drawn and reproduced, the compliance figures as JSON, CSV,
HTML and PDF, permissions, and bad input that changes nothing."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import PASSWORD, FakeClock
from tests.stores import in_ci
from thriives.adapters.web import compliance_report
from thriives.bootstrap import Container
from thriives.domain.accounts import Role

Headers = dict[str, str]
DOMESTIC = {
    "channel": "999",
    "opening_category": "domestic_incident",
    "qualifiers": ["domestic"],
    "account": "He is shouting at me again.",
}
VEHICLE = {"channel": "101", "opening_category": "crime_vehicle", "account": "My car was broken into."}
DOWNGRADE = {"grade": "scheduled", "override_reason": "victim safe at a friend's, suspect in custody"}
DAY = {"start": "2026-11-26", "end": "2026-11-26"}  # the fake clock's local day
CHROMIUM = Path("/usr/bin/chromium")


@dataclass(frozen=True)
class User:
    username: str
    headers: Headers


@pytest.fixture
def user(container: Container) -> Any:
    """A new user of a role, with their bearer headers, optionally in a team."""
    count = iter(range(1, 100))

    def make(role: Role = Role.CALL_HANDLER, team: str | None = None) -> User:
        name = f"{role.value.replace('_', '')}{next(count)}"
        now = container.clock()
        container.accounts.add_user(name, name.title(), role, PASSWORD, now, team=team)
        return User(name, {"Authorization": f"Bearer {container.accounts.issue_token(name, 'test', now)}"})

    return make


def opened(client: TestClient, who: User, call: dict[str, Any]) -> str:
    response = client.post("/api/v1/incidents", json=call, headers=who.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["reference"])


def assess(
    client: TestClient, container: Container, who: User, reference: str, call: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    """A valid THRIIVES assessment: every factor low, all due advice given."""
    policy = container.assessment_policy
    ratings = {
        f.code: {"level": "low", "rationale": "as the caller said"} for f in policy.models["thriives"].factors
    }
    advice = {
        a.code: {"given": True}
        for a in policy.advice
        if call["opening_category"] in a.categories or set(call.get("qualifiers", [])) & set(a.qualifiers)
    }
    body = {"model": "thriives", "ratings": ratings, "advice": advice} | extra
    response = client.post(f"/api/v1/incidents/{reference}/assessments", json=body, headers=who.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def answers(container: Container, **changes: Any) -> dict[str, Any]:
    """A complete review: every item of the form answered well."""
    factors = {
        f.code: {"rating": "yes", "rationale": "fits what the caller said"}
        for f in container.assessment_policy.models["thriives"].factors
    }
    full: dict[str, Any] = {
        "thriives_applied": {"factors": factors},
        "category_correct": {"value": "yes"},
        "right_questions": {"value": "partly", "note": "missed the weapons question"},
        "history_searched": {"value": "yes"},
        "grade_appropriate": {"value": "yes"},
        "safeguarding_advice": {"value": "yes"},
        "reassessment_done": {"value": "not_applicable"},
    }
    return full | changes


def refused(response: Any, status: int, field: str | None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = dict(response.json())
    assert problem["errors"][0]["field"] == field, problem
    return problem


def queue_of(client: TestClient, who: User) -> dict[str, list[dict[str, Any]]]:
    response = client.get("/api/v1/reviews/queue", headers=who.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def record(client: TestClient, who: User, reference: str) -> tuple[Any, ...]:
    """Everything a refused review must leave as it was."""
    return (
        client.get(f"/api/v1/incidents/{reference}", headers=who.headers).json(),
        queue_of(client, who),
        client.get("/api/v1/reviews/unacknowledged", headers=who.headers).json(),
    )


def reviewed(client: TestClient, container: Container, supervisor: User, reference: str) -> dict[str, Any]:
    body = {"answers": answers(container), "feedback": "Good call; ask about weapons every time."}
    response = client.post(f"/api/v1/incidents/{reference}/reviews", json=body, headers=supervisor.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


# ---- downgrades ----------------------------------------------------------------------------


def test_a_rejected_downgrade_regrades_the_incident_to_the_proposed_grade(
    client: TestClient, container: Container, user: Any
) -> None:
    handler, supervisor = user(), user(Role.SUPERVISOR)
    reference = opened(client, handler, DOMESTIC)
    assessed = assess(client, container, handler, reference, DOMESTIC, **DOWNGRADE)
    assert assessed["downgrade"] and assessed["proposed_grade"] == "emergency"

    waiting = queue_of(client, supervisor)
    assert [i["reference"] for i in waiting["downgrade"]] == [reference]
    assert [i["reference"] for i in waiting["domestic_abuse"]] == [reference]
    item = waiting["downgrade"][0]
    assert item["detail"]["proposed"] == "emergency" and item["detail"]["chosen"] == "scheduled"

    view = client.get(f"/api/v1/reviews/items/{item['id']}", headers=supervisor.headers)
    assert view.status_code == 200, view.text
    seen = view.json()
    assert seen["handler"] == handler.username and seen["incident"]["reference"] == reference
    assert [a["version"] for a in seen["assessments"]] == [1]
    assert seen["item"]["created_at"].startswith("2026-11-26T21:30")

    decided = client.post(
        f"/api/v1/reviews/items/{item['id']}/decision",
        json={"approve": False, "reason": "a DA call with him nearby needs an emergency response"},
        headers=supervisor.headers,
    )
    assert decided.status_code == 200, decided.text
    assert decided.json() == {
        "item": item["id"],
        "status": "rejected",
        "grade": "emergency",
        "reference": reference,
    }

    incident = client.get(f"/api/v1/incidents/{reference}", headers=handler.headers).json()
    assert incident["grade"] == "emergency"
    kinds = [e["kind"] for e in incident["timeline"]]
    assert "review.downgrade_rejected" in kinds and kinds[-1] == "incident.regraded"
    assert incident["timeline"][-1]["data"]["before"]["grade"] == "scheduled"
    assert queue_of(client, supervisor)["downgrade"] == []

    again = client.post(
        f"/api/v1/reviews/items/{item['id']}/decision",
        json={"approve": True, "reason": "second thoughts"},
        headers=user(Role.SUPERVISOR).headers,
    )
    refused(again, 409, "item_id")


def test_a_supervisor_cannot_decide_their_own_downgrade_and_a_decision_needs_a_reason(
    client: TestClient, container: Container, user: Any
) -> None:
    supervisor, other = user(Role.SUPERVISOR), user(Role.SUPERVISOR)
    reference = opened(client, supervisor, DOMESTIC)
    assess(client, container, supervisor, reference, DOMESTIC, **DOWNGRADE)
    item = queue_of(client, supervisor)["downgrade"][0]["id"]
    before = record(client, supervisor, reference)

    own = client.post(
        f"/api/v1/reviews/items/{item}/decision",
        json={"approve": True, "reason": "I know this one"},
        headers=supervisor.headers,
    )
    refused(own, 403, "item_id")
    blank = client.post(
        f"/api/v1/reviews/items/{item}/decision",
        json={"approve": True, "reason": "  "},
        headers=other.headers,
    )
    refused(blank, 422, "reason")
    assert record(client, supervisor, reference) == before

    approved = client.post(
        f"/api/v1/reviews/items/{item}/decision",
        json={"approve": True, "reason": "suspect in custody: scheduled is right"},
        headers=other.headers,
    )
    assert approved.status_code == 200, approved.text
    assert (approved.json()["status"], approved.json()["grade"]) == ("approved", "scheduled")


# ---- reviews and feedback ------------------------------------------------------------------


def test_a_review_of_an_incident_not_in_the_queue_is_refused_and_nothing_is_written(
    client: TestClient, container: Container, user: Any
) -> None:
    handler, supervisor = user(), user(Role.SUPERVISOR)
    reference = opened(client, handler, VEHICLE)
    assess(client, container, handler, reference, VEHICLE)
    before = record(client, supervisor, reference)
    body = {"answers": answers(container), "feedback": "Fine."}
    response = client.post(f"/api/v1/incidents/{reference}/reviews", json=body, headers=supervisor.headers)
    problem = refused(response, 422, "reference")
    assert "not in the review queue" in problem["detail"]
    assert record(client, supervisor, reference) == before
    assert client.get("/api/v1/feedback", headers=handler.headers).json() == []


def test_a_review_missing_a_form_item_is_refused_naming_it_and_nothing_is_written(
    client: TestClient, container: Container, user: Any
) -> None:
    handler, supervisor = user(), user(Role.SUPERVISOR)
    reference = opened(client, handler, DOMESTIC)
    assess(client, container, handler, reference, DOMESTIC)
    before = record(client, supervisor, reference)
    partial = answers(container)
    del partial["history_searched"]
    response = client.post(
        f"/api/v1/incidents/{reference}/reviews",
        json={"answers": partial, "feedback": "Good call."},
        headers=supervisor.headers,
    )
    refused(response, 422, "answers.history_searched")
    nul = client.post(
        f"/api/v1/incidents/{reference}/reviews",
        json={"answers": answers(container), "feedback": "Good\x00call."},
        headers=supervisor.headers,
    )
    refused(nul, 422, "feedback")
    assert record(client, supervisor, reference) == before
    assert [i["reference"] for i in queue_of(client, supervisor)["domestic_abuse"]] == [reference]


def test_feedback_is_seen_by_its_handler_and_acknowledged_once_only_by_them(
    client: TestClient, container: Container, clock: FakeClock, user: Any
) -> None:
    handler, other, supervisor = user(), user(), user(Role.SUPERVISOR)
    reference = opened(client, handler, DOMESTIC)
    assess(client, container, handler, reference, DOMESTIC)
    clock.advance(hours=2)
    done = reviewed(client, container, supervisor, reference)
    assert done["handler"] == handler.username and 0 < done["score"] < 100
    assert queue_of(client, supervisor)["domestic_abuse"] == []

    mine = client.get("/api/v1/feedback", headers=handler.headers).json()
    assert [(r["id"], r["reference"], r["acknowledged_at"]) for r in mine] == [(done["id"], reference, None)]
    assert mine[0]["answers"]["right_questions"]["note"] == "missed the weapons question"
    assert client.get("/api/v1/feedback", headers=other.headers).json() == []
    waiting = client.get("/api/v1/reviews/unacknowledged", headers=supervisor.headers).json()
    assert [r["id"] for r in waiting] == [done["id"]]

    path = f"/api/v1/feedback/{done['id']}/acknowledge"
    refused(client.post(path, json={"note": "not mine"}, headers=other.headers), 403, "review_id")
    clock.advance(minutes=5)
    acknowledged = client.post(path, json={"note": "will ask every time"}, headers=handler.headers)
    assert acknowledged.status_code == 200, acknowledged.text
    assert acknowledged.json()["acknowledgement"] == "will ask every time"
    assert acknowledged.json()["acknowledged_at"].startswith("2026-11-26T23:35")
    refused(client.post(path, headers=handler.headers), 409, "review_id")
    assert client.get("/api/v1/reviews/unacknowledged", headers=supervisor.headers).json() == []
    timeline = client.get(f"/api/v1/incidents/{reference}", headers=handler.headers).json()["timeline"]
    assert [e["kind"] for e in timeline][-2:] == ["review.completed", "review.acknowledged"]


def test_the_form_in_force_is_served_with_its_version_options_and_factors(
    client: TestClient, container: Container, user: Any
) -> None:
    response = client.get("/api/v1/reviews/form", headers=user().headers)
    assert response.status_code == 200, response.text
    form = response.json()
    assert form["version"] == container.supervision.policy.form.version
    assert [i["code"] for i in form["items"]][:2] == ["thriives_applied", "category_correct"]
    assert form["labels"]["not_applicable"] == "Not applicable"
    assert [f["code"] for f in form["factors"]["thriives"]] == [
        f.code for f in container.assessment_policy.models["thriives"].factors
    ]


# ---- the sample ----------------------------------------------------------------------------


def test_a_sample_draw_is_logged_and_reproduced_from_its_seed(
    client: TestClient, container: Container, clock: FakeClock, user: Any
) -> None:
    handlers, supervisor = [user(), user()], user(Role.SUPERVISOR)
    for who in handlers:
        for _ in range(4):
            opened(client, who, VEHICLE)
    queued = opened(client, handlers[0], DOMESTIC)
    assess(client, container, handlers[0], queued, DOMESTIC)  # queued for itself: not in the pool
    early = client.post(
        "/api/v1/reviews/samples",
        json={"period": "2026-11", "seed": "inspection-1"},
        headers=supervisor.headers,
    )
    refused(early, 422, "period")  # a month's sample is drawn once the month is over
    clock.advance(days=5)  # 1 December
    drawn = client.post(
        "/api/v1/reviews/samples",
        json={"period": "2026-11", "seed": "inspection-1"},
        headers=supervisor.headers,
    )
    assert drawn.status_code == 201, drawn.text
    draw = drawn.json()
    assert draw["candidates"] == 8 and queued not in [p["reference"] for p in draw["picks"]]
    for who in handlers:
        assert sum(p["handler"] == who.username for p in draw["picks"]) >= 3
    sampled = {i["reference"] for i in queue_of(client, supervisor)["sample"]}
    assert sampled == {p["reference"] for p in draw["picks"]}

    again = client.get(f"/api/v1/reviews/samples/{draw['id']}/reproduce", headers=supervisor.headers)
    assert again.status_code == 200, again.text
    assert again.json()["same"] is True and again.json()["picks"] == draw["picks"]

    twice = client.post(
        "/api/v1/reviews/samples", json={"period": "2026-11", "seed": "another"}, headers=supervisor.headers
    )
    refused(twice, 409, "period")
    future = client.post(
        "/api/v1/reviews/samples", json={"period": "2026-12", "seed": "x"}, headers=supervisor.headers
    )
    refused(future, 422, "period")
    refused(client.get("/api/v1/reviews/samples/999/reproduce", headers=supervisor.headers), 422, "draw_id")


# ---- the figures ---------------------------------------------------------------------------


def test_the_compliance_figures_as_json_and_csv_match_what_was_done(
    client: TestClient, container: Container, user: Any
) -> None:
    handler, supervisor = user(team="Red watch"), user(Role.SUPERVISOR)
    assessed = opened(client, handler, VEHICLE)
    assess(client, container, handler, assessed, VEHICLE)
    opened(client, handler, VEHICLE)

    response = client.get("/api/v1/compliance", params=DAY | {"by": "handler"}, headers=supervisor.headers)
    assert response.status_code == 200, response.text
    found = response.json()
    assert (found["by"], found["start"], found["end"]) == ("handler", "2026-11-26", "2026-11-26")
    row = found["rows"][0]
    assert (row["group"], row["incidents"], row["assessed"], row["searched"]) == (
        handler.username,
        2,
        0.5,
        0.0,
    )
    assert row["category_at_close"] is None and row["reviews"] == 0 and row["score"] is None
    assert found["total"] | {"group": handler.username} == row
    teams = client.get("/api/v1/compliance", params=DAY | {"by": "team"}, headers=supervisor.headers).json()
    assert [(r["group"], r["incidents"]) for r in teams["rows"]] == [("Red watch", 2)]
    shifts = client.get("/api/v1/compliance", params=DAY | {"by": "shift"}, headers=supervisor.headers).json()
    assert [r["group"] for r in shifts["rows"]] == ["late"]  # 21:30 local

    sheet = client.get("/api/v1/compliance.csv", params=DAY | {"by": "handler"}, headers=supervisor.headers)
    assert sheet.status_code == 200, sheet.text
    assert sheet.headers["content-type"].startswith("text/csv")
    assert "attachment" in sheet.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(sheet.text)))
    assert [r["handler"] for r in rows] == [handler.username, "(total)"]
    assert (rows[0]["incidents"], rows[0]["share_assessed"], rows[0]["share_searched"]) == ("2", "0.5", "0")
    assert rows[0]["mean_score"] == "" and rows[1]["incidents"] == "2"


def test_a_period_that_ends_before_it_starts_is_refused_naming_end(client: TestClient, user: Any) -> None:
    supervisor = user(Role.SUPERVISOR)
    backwards = {"start": "2026-11-26", "end": "2026-11-01"}
    for path in ("/compliance", "/compliance.csv", "/compliance/report", "/compliance/report.pdf"):
        problem = refused(
            client.get(f"/api/v1{path}", params=backwards, headers=supervisor.headers), 422, "end"
        )
        assert "before it starts" in problem["detail"]
    odd = client.get(
        "/api/v1/compliance", params={"start": "0", "end": "2026-11-01"}, headers=supervisor.headers
    )
    refused(odd, 422, "start")
    last = client.get(
        "/api/v1/compliance", params={"start": "9999-12-31", "end": "9999-12-31"}, headers=supervisor.headers
    )
    refused(last, 422, "end")


def test_the_printable_report_has_a_table_and_svg_charts_for_every_grouping(
    client: TestClient, container: Container, user: Any
) -> None:
    handler, supervisor = user(), user(Role.SUPERVISOR)
    reference = opened(client, handler, VEHICLE)
    assess(client, container, handler, reference, VEHICLE)
    response = client.get("/api/v1/compliance/report", params=DAY, headers=supervisor.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-security-policy"].startswith("default-src 'none'")
    page = response.text
    for by in ("handler", "team", "shift", "week"):
        assert f'id="by-{by}"' in page
    assert page.count("<svg") == 4 * 6 and "<script" not in page
    assert "History searched" in page and "@media print" in page
    assert f"<title>{handler.username}</title>" in page and "100%" in page


def test_the_report_prints_to_pdf(client: TestClient, user: Any) -> None:
    if not CHROMIUM.exists():
        if in_ci():
            pytest.fail(f"Chromium is required in CI: {CHROMIUM} not found")
        pytest.skip(f"{CHROMIUM} not found; apt-get install chromium")
    supervisor = user(Role.SUPERVISOR)
    response = client.get("/api/v1/compliance/report.pdf", params=DAY, headers=supervisor.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_the_pdf_is_refused_with_a_problem_naming_chromium_when_it_is_missing(
    client: TestClient, user: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(compliance_report, "CHROMIUM", tmp_path / "no-chromium")
    response = client.get("/api/v1/compliance/report.pdf", params=DAY, headers=user(Role.ANALYST).headers)
    problem = refused(response, 503, None)
    assert "Chromium" in problem["detail"] and "no-chromium" in problem["detail"]


# ---- permissions ---------------------------------------------------------------------------


def test_a_call_handler_cannot_decide_review_or_see_compliance_but_an_analyst_sees_compliance(
    client: TestClient, container: Container, user: Any
) -> None:
    handler, analyst = user(), user(Role.ANALYST)
    reference = opened(client, handler, DOMESTIC)
    assess(client, container, handler, reference, DOMESTIC, **DOWNGRADE)
    with container.uow() as uow:
        item = uow.supervision.open_items(["downgrade"])[0]["id"]
    decision = {"approve": True, "reason": "fine"}
    for who in (handler, analyst):
        assert (
            client.post(
                f"/api/v1/reviews/items/{item}/decision", json=decision, headers=who.headers
            ).status_code
            == 403
        )
        assert client.get("/api/v1/reviews/queue", headers=who.headers).status_code == 403
        assert client.get(f"/api/v1/reviews/items/{item}", headers=who.headers).status_code == 403
    assert client.get("/api/v1/compliance", params=DAY, headers=handler.headers).status_code == 403
    assert client.get("/api/v1/compliance/report", params=DAY, headers=handler.headers).status_code == 403
    assert client.get("/api/v1/compliance", params=DAY, headers=analyst.headers).status_code == 200
    assert client.get("/api/v1/compliance.csv", params=DAY, headers=analyst.headers).status_code == 200
    assert client.get("/api/v1/feedback", headers=analyst.headers).status_code == 403
    assert client.get("/api/v1/compliance", params=DAY).status_code == 401
