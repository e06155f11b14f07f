"""The API docs page loads its scripts and styles from this server, never from a CDN."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from thriives.adapters.web.app import SWAGGER_UI


def test_the_api_docs_page_references_only_assets_on_this_server(client: TestClient) -> None:
    page = client.get("/api/v1/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    references = re.findall(r'(?:src|href|data-openapi)="([^"]*)"', page.text)
    assert {"/api/v1/openapi.json", f"/static/vendor/swagger-ui-bundle-{SWAGGER_UI}.js"} <= set(references)
    assert f"/static/vendor/swagger-ui-{SWAGGER_UI}.css" in references
    assert all(ref.startswith(("/", "data:")) and not ref.startswith("//") for ref in references), references
    assert "cdn" not in page.text.lower() and "https://" not in page.text
    for asset in (ref for ref in references if ref.startswith("/static/")):
        served = client.get(asset)
        assert served.status_code == 200 and len(served.content) > (10_000 if "/vendor/" in asset else 100), (
            asset
        )
    assert client.get("/api/v1/openapi.json").status_code == 200


def test_the_docs_page_is_not_itself_an_operation_of_the_api(client: TestClient) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/docs" not in paths and "/docs" not in paths
