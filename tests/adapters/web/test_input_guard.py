"""NUL and the other control characters are refused with a 422 naming the field, nothing written.

The API's operations are read from its own OpenAPI document, so a new operation or field is
covered without touching this test: a NUL goes into each string in turn (body fields however
deep, query and path parameters), and the answer must name that string and leave every table
as it was. The pages get the same for their form posts, the log-in form included.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import MetaData, func, select

from tests.adapters.web.test_pages import log_in
from tests.conftest import People
from thriives.bootstrap import Container
from thriives.domain.accounts import Role

NUL = "a\x00b"
Bearer = Callable[[Role], dict[str, str]]


def _counts(container: Container) -> dict[str, int]:
    tables = MetaData()
    tables.reflect(container.engine)
    with container.engine.connect() as connection:
        return {
            name: int(connection.execute(select(func.count()).select_from(table)).scalar_one())
            for name, table in tables.tables.items()
        }


def _strings(doc: dict[str, Any], schema: dict[str, Any], path: list[str]) -> Iterator[list[str]]:
    """The path of every string a schema holds (``["people", "0", "name"]``)."""
    while "$ref" in schema:
        target: Any = doc
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        schema = target
    if schema.get("type") == "string":
        yield path
    for key in ("anyOf", "oneOf", "allOf"):
        for option in schema.get(key, []):
            yield from _strings(doc, option, path)
    for name, inner in schema.get("properties", {}).items():
        yield from _strings(doc, inner, [*path, name])
    if "items" in schema:
        yield from _strings(doc, schema["items"], [*path, "0"])


def _nested(path: list[str], value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    return [_nested(rest, value)] if head == "0" else {head: _nested(rest, value)}


def _cases(doc: dict[str, Any]) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    """(method, url, the field expected to be named, request keywords) for every string input."""
    for template, operations in doc["paths"].items():
        for method, operation in operations.items():
            params = operation.get("parameters", [])
            filled = {p["name"]: "x" for p in params if p["in"] == "path"}
            for param in params:
                if param["in"] not in {"path", "query"} or not list(_strings(doc, param["schema"], [])):
                    continue
                if param["in"] == "path":
                    url = template.format(**(filled | {param["name"]: "a%00b"}))
                    yield method, url, param["name"], {}
                else:
                    yield method, template.format(**filled), param["name"], {"params": {param["name"]: NUL}}
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            for path in _strings(doc, body["schema"], []) if body else []:
                yield method, template.format(**filled), ".".join(path), {"json": _nested(path, NUL)}


def test_a_nul_in_any_string_of_any_api_operation_is_refused_naming_it(
    client: TestClient, container: Container, bearer: Bearer
) -> None:
    headers = bearer(Role.SUPERVISOR)
    doc = client.get("/api/v1/openapi.json").json()
    before = _counts(container)
    cases = list(_cases(doc))
    assert len(cases) > 50 and any(field == "received_at" for _, _, field, _ in cases)
    wrong = []
    for method, url, field, keywords in cases:
        answer = client.request(method.upper(), url, headers=headers, **keywords)
        named = answer.json().get("errors", [{}])[0].get("field") if answer.status_code == 422 else None
        if named != field:
            wrong.append(f"{method.upper()} {url} {field}: {answer.status_code} {answer.text[:120]}")
    assert not wrong, "\n".join(wrong)
    assert _counts(container) == before


@pytest.mark.parametrize("character", ["\x00", "\x01", "\x1b", "\x7f"])
def test_every_control_character_is_refused_but_a_line_break_in_a_body_is_kept(
    client: TestClient, bearer: Bearer, character: str
) -> None:
    headers = bearer(Role.CALL_HANDLER)
    refused = client.post("/api/v1/incidents", json={"account": f"shouting{character}"}, headers=headers)
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "account"
    assert "control character" in refused.json()["detail"]
    allowed = client.post("/api/v1/incidents", json={"account": "line one\r\nline two\tend"}, headers=headers)
    assert allowed.status_code == 422 and allowed.json()["errors"][0]["field"] != "account"


def test_a_nul_in_the_log_in_form_is_refused_naming_the_field(
    client: TestClient, container: Container, people: People
) -> None:
    actor = people()
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    before = _counts(container)
    answer = client.post(
        "/login", data={"username": actor.username + "\x00", "password": "x", "csrf_token": token.group(1)}
    )
    assert answer.status_code == 422 and "username" in answer.text
    assert "thriives_session" not in answer.headers.get("set-cookie", "")
    as_multipart = client.post(
        "/login",
        files={"username": (None, actor.username + "\x00"), "password": (None, "x")},
    )
    assert as_multipart.status_code == 422 and "username" in as_multipart.text
    assert _counts(container) == before


def _page_posts(routes: list[Any]) -> Iterator[str]:
    """The page routes that take a POST (routers included in the app are walked into)."""
    for route in routes:
        inner = getattr(getattr(route, "original_router", None), "routes", None)
        if inner is not None:
            yield from _page_posts(inner)
        elif "POST" in getattr(route, "methods", set()) and not route.path.startswith("/api/"):
            yield route.path


def test_a_nul_in_any_page_form_or_query_is_refused_naming_the_field(
    client: TestClient, container: Container, people: People
) -> None:
    log_in(client, people(Role.SUPERVISOR).username)
    posts = sorted(
        {path.replace("{", "").replace("}", "") for path in _page_posts(client.app.routes)}  # type: ignore[attr-defined]
    )
    assert "/calls" in posts and "/login" in posts
    before = _counts(container)
    for path in posts:
        answer = client.post(path, data={"caller_name": NUL}, follow_redirects=False)
        assert answer.status_code == 422 and "caller_name" in answer.text, path
    searched = client.get("/incidents/search", params={"q": NUL})
    assert searched.status_code == 422 and "q:" in searched.text
    opened = client.get("/incidents/TH%00X")
    assert opened.status_code == 422 and "reference" in opened.text
    assert _counts(container) == before


def test_a_body_nested_too_deeply_is_a_malformed_request_not_a_server_error(
    client: TestClient, bearer: Bearer
) -> None:
    headers = bearer(Role.CALL_HANDLER) | {"content-type": "application/json"}
    for depth in (5_000, 100_000):
        answer = client.post("/api/v1/incidents", content=b"[" * depth + b"]" * depth, headers=headers)
        assert answer.status_code == 400 and answer.json()["errors"][0]["field"] == "body"
