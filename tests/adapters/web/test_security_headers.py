"""Every answer carries the security headers; pages hold no inline script; CSRF is a 403;
every ``$ref`` in the OpenAPI resolves."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.adapters.web.test_pages import csrf_in, log_in
from tests.conftest import People
from thriives.domain.accounts import Role

TEMPLATES = Path(__file__).parents[3] / "src/thriives/adapters/web/templates"


def _assert_guarded(answer: Any, path: str) -> None:
    headers = answer.headers
    policy = headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy, path
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, path
    assert headers.get("x-content-type-options") == "nosniff", path
    assert headers.get("referrer-policy") == "no-referrer", path
    assert headers.get("cache-control") == "no-store", path


def test_pages_and_api_answers_carry_the_security_headers(client: TestClient, people: People) -> None:
    for path in ("/login", "/api/v1/docs", "/api/v1/openapi.json", "/healthz", "/api/v1/me", "/nowhere"):
        _assert_guarded(client.get(path), path)
    log_in(client, people(Role.SUPERVISOR).username)
    for path in ("/queue", "/calls/new", "/board", "/supervision", "/api/v1/incidents", "/api/v1/board"):
        answer = client.get(path)
        assert answer.status_code == 200, path
        _assert_guarded(answer, path)


def test_static_files_keep_their_caching_but_not_sniffing(client: TestClient) -> None:
    answer = client.get("/static/app.js")
    assert answer.status_code == 200 and answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers.get("cache-control") != "no-store"


def test_no_template_holds_an_inline_script_handler_or_style_attribute() -> None:
    inline = re.compile(r"<script(?![^>]*\bsrc=)|\son[a-z]+=|\bstyle=|hx-on|javascript:", re.IGNORECASE)
    offenders = [
        f"{template.name}: {match.group(0)}"
        for template in sorted(TEMPLATES.glob("*.html"))
        if template.name != "compliance_report.html"  # printed alone, with its own CSP
        for match in inline.finditer(template.read_text(encoding="utf-8"))
    ]
    assert not offenders, offenders


def test_a_form_post_with_a_wrong_csrf_token_is_a_403_in_plain_words(
    client: TestClient, people: People
) -> None:
    log_in(client, people().username)
    page = client.post("/calls", data={"channel": "999", "csrf_token": "forged"}, follow_redirects=False)
    assert page.status_code == 403 and "Page out of date" in page.text and "CSRF token" not in page.text
    api = client.post("/api/v1/incidents", json={"channel": "999"}, headers={"X-CSRF-Token": "forged"})
    assert api.status_code == 403 and api.json()["errors"][0]["field"] == "csrf_token"
    assert csrf_in(client.get("/calls/new").text)


def test_every_ref_in_the_openapi_resolves(client: TestClient) -> None:
    doc = client.get("/api/v1/openapi.json").json()
    refs: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                refs.append(node["$ref"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(doc)
    unresolved = []
    for ref in set(refs):
        target: Any = doc
        for part in ref.removeprefix("#/").split("/"):
            target = target.get(part) if isinstance(target, dict) else None
        if not ref.startswith("#/") or target is None:
            unresolved.append(ref)
    assert refs and not unresolved, unresolved
    problem = doc["paths"]["/api/v1/incidents"]["post"]["responses"]["422"]["content"][
        "application/problem+json"
    ]
    assert problem["schema"]["properties"]["errors"]["items"]["properties"]["field"]
