"""The assessment API in-process on both stores: preview, save, history, DASH, bad input."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from thriives.bootstrap import Container
from thriives.domain.accounts import Role

CALL = {
    "channel": "999",
    "opening_category": "domestic_incident",
    "qualifiers": ["domestic"],
    "caller_phone": "07700900321",
    "account": "He has a knife and the children are upstairs.",
}


def body(container: Container, **changes: Any) -> dict[str, Any]:
    policy = container.assessment_policy
    ratings = {
        f.code: {"level": "low", "rationale": "said nothing more"} for f in policy.models["thriives"].factors
    }
    advice = {
        a.code: {"given": True}
        for a in policy.advice
        if "domestic_incident" in a.categories or "domestic" in a.qualifiers
    }
    return {"model": "thriives", "ratings": ratings, "advice": advice} | changes


def opened(client: TestClient, headers: dict[str, str]) -> str:
    return str(client.post("/api/v1/incidents", json=CALL, headers=headers).json()["reference"])


def test_a_preview_explains_the_grade_and_saves_nothing(
    client: TestClient, bearer, container: Container
) -> None:
    headers = bearer(Role.CALL_HANDLER)
    reference = opened(client, headers)
    response = client.post(
        f"/api/v1/incidents/{reference}/assessments/preview",
        json=body(container, answers={"da_weapon": "used"}),
        headers=headers,
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["proposed_grade"] == "emergency"
    assert "national.violence" in result["deciding_rules"]
    assert {"factor": "threat", "level": "high", "question": "da_weapon", "answer": "used"} in result[
        "raised"
    ]
    history = client.get(f"/api/v1/incidents/{reference}/assessments", headers=headers).json()
    assert history == {"assessments": [], "dash": []}


def test_saving_grades_the_incident_and_keeps_the_record(
    client: TestClient, bearer, container: Container
) -> None:
    headers = bearer(Role.CALL_HANDLER)
    reference = opened(client, headers)
    saved = client.post(f"/api/v1/incidents/{reference}/assessments", json=body(container), headers=headers)
    assert saved.status_code == 201, saved.text
    assert saved.json()["version"] == 1
    incident = client.get(f"/api/v1/incidents/{reference}", headers=headers).json()
    assert (incident["status"], incident["grade"]) == ("graded", "emergency")
    record = client.get(f"/api/v1/incidents/{reference}/assessments", headers=headers).json()["assessments"][
        0
    ]
    assert record["policy_version"] == container.assessment_policy.version
    assert record["reasons"][0]["rule"] == "da.immediate_by_default"


def test_bad_assessments_name_the_field_and_save_nothing(
    client: TestClient, bearer, container: Container
) -> None:
    headers = bearer(Role.CALL_HANDLER)
    reference = opened(client, headers)
    good = body(container)
    cases = [
        (good | {"answers": {"no_such_question": "yes"}}, "answers.no_such_question"),
        (good | {"answers": {"da_suspect_present": "maybe"}}, "answers.da_suspect_present"),
        (
            good | {"ratings": good["ratings"] | {"threat": {"level": "extreme", "rationale": "x"}}},
            "ratings.threat.level",
        ),
        (
            good | {"ratings": good["ratings"] | {"harm": {"level": "high", "rationale": "  "}}},
            "ratings.harm.rationale",
        ),
        (good | {"ratings": {k: v for k, v in good["ratings"].items() if k != "risk"}}, "ratings.risk"),
        (good | {"grade": "priority"}, "override_reason"),
        (good | {"grade": "platinum"}, "grade"),
        (good | {"model": "vibes"}, "model"),
        (good | {"indicators": ["bad_vibes"]}, "indicators"),
        (good | {"call_states": ["dropped"]}, "call_states.0"),
        (
            good | {"ratings": good["ratings"] | {"threat": {"level": "low", "rationale": "x" * 2001}}},
            "ratings.threat.rationale",
        ),
    ]
    for case, field in cases:
        response = client.post(f"/api/v1/incidents/{reference}/assessments", json=case, headers=headers)
        assert response.status_code == 422, (field, response.text)
        assert response.json()["errors"][0]["field"] == field, response.json()
    assert (
        client.get(f"/api/v1/incidents/{reference}/assessments", headers=headers).json()["assessments"] == []
    )
    assert client.get(f"/api/v1/incidents/{reference}", headers=headers).json()["grade"] is None


def test_dash_over_the_api(client: TestClient, bearer, container: Container) -> None:
    headers = bearer(Role.CALL_HANDLER)
    reference = opened(client, headers)
    ids = [q.id for q in container.assessment_policy.dash_questions]
    answers = {qid: "yes" if i < 9 else "no" for i, qid in enumerate(ids)}
    judged = client.post(
        f"/api/v1/incidents/{reference}/dash",
        headers=headers,
        json={
            "answers": answers,
            "override_level": "high",
            "override_reason": "non-fatal strangulation last week; victim fears for her life",
        },
    )
    assert judged.status_code == 201, judged.text
    assert judged.json() | {"reasons": []} == {
        "yes_count": 9,
        "score_level": "standard",
        "level": "high",
        "basis": "professional_judgement",
        "marac_referral": True,
        "reasons": [],
    }


def test_aide_memoires_are_kept_by_supervisors(client: TestClient, bearer) -> None:
    supervisor, handler = bearer(Role.SUPERVISOR), bearer(Role.CALL_HANDLER)
    put = client.put(
        "/api/v1/aide-memoires/domestic_incident", json={"text": "Agree a key word."}, headers=supervisor
    )
    assert put.json() == {"category": "domestic_incident", "version": 1}
    assert (
        client.put(
            "/api/v1/aide-memoires/domestic_incident", json={"text": "mine"}, headers=handler
        ).status_code
        == 403
    )
    got = client.get("/api/v1/aide-memoires/domestic_incident", headers=handler).json()
    assert (got["text"], got["version"]) == ("Agree a key word.", 1)
    assert got["author"].startswith("supervisor")


def test_the_assessment_policy_is_published(client: TestClient, bearer, container: Container) -> None:
    policy = client.get("/api/v1/assessment-policy", headers=bearer(Role.ANALYST)).json()
    assert policy["version"] == container.assessment_policy.version
    assert [g["code"] for g in policy["grades"]] == ["emergency", "priority", "scheduled", "resolution"]
    assert len(policy["dash"]["questions"]) == 27
