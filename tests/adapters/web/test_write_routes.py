"""Every write route of the application against the permission table, on both stores.

The routes come from ``app.routes``, so a new write route is covered the day it is added:
it must be listed in ``route_permissions.WRITE_ROUTES``, and every role without the
permission it needs is refused (403) with nothing written, whatever the body.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.conftest import PASSWORD, People
from thriives.adapters.db.tables import audit_log, events
from thriives.adapters.web.route_permissions import ANY_USER, PUBLIC, WRITE_ROUTES, needs_for
from thriives.bootstrap import Container
from thriives.domain.accounts import Permission, Role, can

SAFE = {"GET", "HEAD", "OPTIONS"}
# Path parameters: a role the table refuses is refused before anything is looked up.
VALUES = {
    "reference": "TH-20261126-0001",
    "category": "domestic_incident",
    "call_sign": "AS11",
    "username": "someone.else",
}


def write_routes(app: Any) -> Iterator[tuple[str, str]]:
    """Every (method, path) of the application that is not a read, through included routers."""
    for route in app.routes:
        contexts = route.effective_route_contexts() if hasattr(route, "effective_route_contexts") else []
        found = [(route.path, route)] if isinstance(route, APIRoute) else []
        found += [(c.path, c.original_route) for c in contexts if isinstance(c.original_route, APIRoute)]
        for path, original in found:
            for method in sorted(set(original.methods) - SAFE):
                yield method, path


def test_every_write_route_is_in_the_permission_table_and_nothing_else_is(client: TestClient) -> None:
    routes = set(write_routes(client.app))
    assert len(routes) > 60  # the walk found the included routers' routes
    assert sorted(routes - set(WRITE_ROUTES)) == [], "write routes missing from WRITE_ROUTES"
    assert sorted(set(WRITE_ROUTES) - routes) == [], "WRITE_ROUTES lists routes that do not exist"
    for method, path in routes:  # and each concrete path finds its own entry
        concrete = re.sub(r"\{[a-z_]+\}", lambda m: VALUES.get(m.group(0)[1:-1], "1"), path)
        assert needs_for(method, concrete) == WRITE_ROUTES[(method, path)], path


def written(container: Container) -> tuple[int, int]:
    with container.uow() as uow:
        count = [
            uow.connection.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (audit_log, events)
        ]
    return count[0], count[1]


def callers(container: Container, people: People) -> dict[Role, tuple[dict[str, str], dict[str, str]]]:
    """For each role: API headers (a bearer token) and page headers (session cookie + CSRF)."""
    found = {}
    for role in Role:
        actor = people(role)
        token = container.accounts.issue_token(actor.username, "routes", container.clock())
        session = container.accounts.log_in(actor.username, PASSWORD, container.clock())
        page = {"Cookie": f"thriives_session={session.token}", "X-CSRF-Token": session.csrf_token}
        found[role] = ({"Authorization": f"Bearer {token}"}, page)
    return found


@pytest.mark.parametrize("body", ["empty", "form"])
def test_no_role_uses_a_write_route_without_the_permission_and_nothing_is_written(
    client: TestClient, container: Container, people: People, body: str
) -> None:
    headers = callers(container, people)
    before = written(container)
    unchecked = []
    for (method, path), needs in sorted(WRITE_ROUTES.items()):
        if isinstance(needs, str):
            assert needs in (PUBLIC, ANY_USER)
            continue
        concrete = re.sub(r"\{[a-z_]+\}", lambda m: VALUES.get(m.group(0)[1:-1], "1"), path)
        for role in Role:
            if all(can(role, permission) for permission in needs):
                continue
            api, page = headers[role]
            sent = api if path.startswith("/api/") else page
            data = {"csrf_token": page["X-CSRF-Token"], "reason": "x" * 10} if body == "form" else None
            response = client.request(method, concrete, headers=sent, data=data, follow_redirects=False)
            if response.status_code != 403:
                unchecked.append(f"{method} {path} as {role.value}: {response.status_code}")
    assert unchecked == []
    assert written(container) == before


def test_public_protection_may_change_no_incident_only_search_open_markers_and_add_to_the_log() -> None:
    usable = {
        (method, path)
        for (method, path), needs in WRITE_ROUTES.items()
        if not isinstance(needs, str) and all(can(Role.PUBLIC_PROTECTION, p) for p in needs)
    }
    needed = {WRITE_ROUTES[route] for route in usable}
    assert needed == {
        (Permission.SEARCH_INTEL,),
        (Permission.VIEW_RESTRICTED_INTEL,),
        (Permission.WRITE_LOG,),
    }
