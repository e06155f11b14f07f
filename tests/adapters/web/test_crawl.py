"""Crawl the whole site as every role, with an incident in every lifecycle state, on both stores.

Nothing a user can reach may answer with a server error or leave an error in the log:

1. one store per module run (SQLite, then PostgreSQL), with a small force and one incident
   per state in ``STATES``, each built by driving the services as a user would;
2. for each role, log in and follow every ``href`` and ``hx-get`` on every page reached from
   the home page, the navigation and each state's incident page, within the site (bounded);
3. then every GET route in the app's route table, pages and API alike, with its path
   parameters filled from the states' references and ids (every reference, not only those
   linked from a page);
4. any answer of 500 or more, and any log record at ERROR or above, fails the crawl, and
   all of them are listed at once.

A new state is one builder function and one line in ``STATES``.
"""

from __future__ import annotations

import html
import logging
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, insert, text

from tests.adapters.web.test_pages import log_in
from tests.conftest import PASSWORD, FakeClock, test_settings
from tests.services.test_dispatch import EMERGENCY, assess, open_incident, seed_force
from thriives.adapters.db.tables import units
from thriives.adapters.web.app import create_app
from thriives.bootstrap import Container, build
from thriives.domain.accounts import Actor, Role
from thriives.domain.dispatch import UnitStatus
from thriives.domain.incidents import Status
from thriives.services.supervision import QUEUE_KINDS

MAX_PAGES = 1500  # per role: far above what the site has, low enough to stop a runaway crawl
LINK = re.compile(r"""(?:href|hx-get)\s*=\s*["']([^"']+)["']""")
# Never followed: streams never end, the PDF is printed by Chromium (tested on its own), and
# following log-out would end the crawl's session.
SKIPPED = (re.compile(r"/stream$"), re.compile(r"\.pdf$"), re.compile(r"^/logout$"), re.compile(r"^/static/"))
QUERY_VALUES = {"start": "2026-11-01", "end": "2026-11-30"}
EXTRA_UNITS = ("AS31", "AS32", "AS33", "AS34")  # room for states that need more units


@dataclass
class World:
    """One store with its force, its users and the incidents built in it."""

    container: Container
    clock: FakeClock
    users: dict[Role, Actor]
    free_units: list[str]
    states: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def handler(self) -> Actor:
        return self.users[Role.CALL_HANDLER]

    @property
    def dispatcher(self) -> Actor:
        return self.users[Role.DISPATCHER]

    @property
    def supervisor(self) -> Actor:
        return self.users[Role.SUPERVISOR]

    def unit(self) -> str:
        """A unit not yet used by another state."""
        return self.free_units.pop(0)


Builder = Callable[[World], dict[str, Any]]


def new(world: World) -> dict[str, Any]:
    return open_incident(world.container, world.handler, world.clock)


def assessed(world: World) -> dict[str, Any]:
    incident = new(world)
    assess(world.container, world.handler, incident, world.clock, EMERGENCY)
    return incident


def dispatched(world: World) -> dict[str, Any]:
    incident = assessed(world)
    world.container.dispatch.assign(
        world.dispatcher, incident["reference"], world.unit(), "the crawl's choice", world.clock()
    )
    return incident


def at_scene(world: World) -> dict[str, Any]:
    incident = dispatched(world)
    with world.container.uow() as uow:
        call_sign = uow.dispatch.unit_holding(incident["id"])["call_sign"]  # type: ignore[index]
    world.container.dispatch.move(world.dispatcher, call_sign, UnitStatus.AT_SCENE, world.clock())
    return incident


def reassessment_open(world: World) -> dict[str, Any]:
    incident = assessed(world)
    world.container.dispatch.cut_off(world.handler, incident["reference"], world.clock())
    return incident


def review_open(world: World) -> dict[str, Any]:
    """A domestic-abuse call is queued for a supervisor's review as it is opened."""
    incident = open_incident(
        world.container,
        world.handler,
        world.clock,
        opening_category="domestic_incident",
        qualifiers=("domestic",),
        account="He's back and banging on the door.",
    )
    assess(world.container, world.handler, incident, world.clock)
    return incident


def closed(world: World) -> dict[str, Any]:
    incident = open_incident(world.container, world.handler, world.clock, opening_category="crime_theft")
    assess(world.container, world.handler, incident, world.clock)
    world.container.incidents.close(
        world.handler, incident["reference"], "crime_theft", "advice_given", "advice given", world.clock()
    )
    return incident


def reopened(world: World) -> dict[str, Any]:
    incident = closed(world)
    world.container.incidents.change_status(
        world.supervisor, incident["reference"], Status.OPEN, "the caller rang back", world.clock()
    )
    return incident


def follow_up_due(world: World) -> dict[str, Any]:
    """Resolved without deployment: its call-back or referral is owed, as a follow-up."""
    incident = open_incident(world.container, world.handler, world.clock, opening_category="crime_theft")
    assess(world.container, world.handler, incident, world.clock)  # every factor low
    with world.container.uow() as uow:
        assert uow.follow_ups.of_incident(incident["id"]), "a resolved call owes a follow-up"
    return incident


def initially_graded(world: World) -> dict[str, Any]:
    """Graded in seconds from what the caller said; the full assessment is still to come."""
    incident = new(world)
    world.container.initial_grades.give(
        world.handler, incident["reference"], "emergency", [], "he is at the door now", world.clock()
    )
    return incident


def two_units(world: World) -> dict[str, Any]:
    """Two units on one incident, one at scene and one en route, and backup asked for."""
    incident = assessed(world)
    first, second = world.unit(), world.unit()
    for call_sign in (first, second):
        world.container.dispatch.assign(
            world.dispatcher, incident["reference"], call_sign, "the crawl's choice", world.clock()
        )
    world.container.dispatch.move(world.dispatcher, first, UnitStatus.AT_SCENE, world.clock())
    world.container.dispatch.move(world.dispatcher, second, UnitStatus.EN_ROUTE, world.clock())
    world.container.dispatch.units.request_backup(
        world.dispatcher, incident["reference"], 1, [], "a crowd is gathering", world.clock()
    )
    return incident


def linked(world: World) -> dict[str, Any]:
    """A second call about a live incident, recorded as related (both stay open) and one
    recorded as its duplicate (closed onto it)."""
    first = assessed(world)
    for relation in ("related", "duplicate"):
        second = new(world)
        world.container.links.link(
            world.handler, second["reference"], first["reference"], relation, None, world.clock()
        )
    return first


STATES: list[tuple[str, Builder]] = [
    ("new", new),
    ("assessed", assessed),
    ("dispatched", dispatched),
    ("at scene", at_scene),
    ("reassessment open", reassessment_open),
    ("review open", review_open),
    ("closed", closed),
    ("reopened", reopened),
    ("initially graded", initially_graded),
    ("dispatched with two units", two_units),
    ("linked", linked),
    ("follow-up due", follow_up_due),
]


def _database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database on the store of this module run (as ``database_url``)."""
    if request.param == "sqlite":
        path = tmp_path / "crawl.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    base = request.getfixturevalue("postgres_base")
    admin = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("CREATE DATABASE crawl TEMPLATE thriives_template"))
    try:
        yield f"{base}/crawl"
    finally:
        with admin.connect() as connection:
            connection.execute(text("DROP DATABASE IF EXISTS crawl WITH (FORCE)"))
        admin.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    databases = _database(request, tmp_path_factory.mktemp("crawl"))
    clock = FakeClock()
    container = build(test_settings(next(databases), worker_in_process=False), clock=clock)
    try:
        seed_force(container)
        with container.uow(write=True) as uow:
            uow.connection.execute(
                insert(units),
                [
                    {
                        "call_sign": call_sign,
                        "unit_type": "response",
                        "station_code": "AS1",
                        "skills": [],
                        "status": "available",
                        "latitude": 52.301,
                        "longitude": -1.501,
                        "version": 1,
                    }
                    for call_sign in EXTRA_UNITS
                ],
            )
            uow.commit()
        users = {}
        for role in Role:
            name = f"crawl{role.value.replace('_', '')}"
            user_id = container.accounts.add_user(name, name.title(), role, PASSWORD, clock())
            users[role] = Actor(user_id, name, role, name.title())
        built = World(container, clock, users, ["AS11", "AS12", "AS21", "MO11", *EXTRA_UNITS])
        for name, builder in STATES:
            built.states[name] = builder(built)
            clock.advance(minutes=1)
        yield built
    finally:
        container.close()
        next(databases, None)


def _get_routes(app: Any) -> Iterator[tuple[str, APIRoute]]:
    """Every GET route with its full path, through included routers as FastAPI keeps them."""
    for route in app.routes:
        if isinstance(route, APIRoute):
            if "GET" in route.methods:
                yield route.path, route
        elif hasattr(route, "effective_route_contexts"):
            for context in route.effective_route_contexts():
                original = context.original_route
                if isinstance(original, APIRoute) and "GET" in original.methods:
                    yield context.path, original


def _path_values(world: World) -> dict[str, list[str]]:
    """What each path parameter is filled with: every state's reference and ids."""
    ids = [incident["id"] for incident in world.states.values()]
    with world.container.uow() as uow:
        tasks = [str(t["id"]) for i in ids for t in uow.dispatch.tasks_of(i)]
        items = [str(row["id"]) for row in uow.supervision.open_items(list(QUEUE_KINDS))]
        reviews = [str(r["id"]) for i in ids for r in uow.supervision.reviews_of_incident(i)]
        draws = [str(d["id"]) for d in uow.supervision.draws()]
        follow_ups = [str(f["id"]) for i in ids for f in uow.follow_ups.of_incident(i)]
    return {
        "reference": [i["reference"] for i in world.states.values()],
        "category": sorted({i["opening_category"] for i in world.states.values()}),
        "task_id": tasks,
        "item_id": items,
        "review_id": reviews or ["1"],
        "draw_id": draws or ["1"],
        "follow_up_id": follow_ups,
        "username": [actor.username for actor in world.users.values()],
    }


def _fill(path: str, values: dict[str, list[str]]) -> list[str]:
    names = re.findall(r"{(\w+)(?::\w+)?}", path)
    paths = [path]
    for name in names:
        assert name in values, f"the crawl has no value for the path parameter {name!r} of {path}: add one"
        pattern = re.compile(r"{" + name + r"(?::\w+)?}")
        paths = [pattern.sub(value, p) for p in paths for value in values[name]]
    return paths


def _query(route: APIRoute) -> str:
    required = [p.alias for p in route.dependant.query_params if p.field_info.is_required()]
    for name in required:
        assert name in QUERY_VALUES, f"the crawl has no value for the query parameter {name!r}: add one"
    return "&".join(f"{name}={QUERY_VALUES[name]}" for name in required)


def _links(body: str) -> Iterator[str]:
    for raw in LINK.findall(body):
        link = html.unescape(raw).split("#", 1)[0]
        parts = urlsplit(link)
        if parts.scheme or parts.netloc or not link.startswith("/"):
            continue  # off the site, or a fragment on the same page
        yield link


def _skipped(path: str) -> bool:
    return any(pattern.search(urlsplit(path).path) for pattern in SKIPPED)


class Crawl:
    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.seen: set[str] = set()
        self.failures: list[str] = []

    def get(self, path: str, follow: bool) -> None:
        if path in self.seen or _skipped(path):
            return
        self.seen.add(path)
        assert len(self.seen) <= MAX_PAGES, "the crawl found more pages than it is bounded to"
        response = self.client.get(path)
        if response.status_code >= 500:
            self.failures.append(f"{response.status_code} GET {path}: {response.text[:300]}")
            return
        if follow and response.headers.get("content-type", "").startswith("text/html"):
            for link in _links(response.text):
                self.get(link, follow=True)


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
def test_no_page_or_api_read_answers_a_server_error(
    world: World, role: Role, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    app = create_app(world.container)
    with TestClient(app, raise_server_exceptions=False) as client:
        assert log_in(client, world.users[role].username).status_code == 303
        crawl = Crawl(client)
        for start in ["/", *(f"/incidents/{i['reference']}" for i in world.states.values())]:
            crawl.get(start, follow=True)
        crawled = len(crawl.seen)
        values = _path_values(world)
        for path, route in _get_routes(app):
            query = _query(route)
            for filled in _fill(path, values):
                crawl.get(f"{filled}?{query}" if query else filled, follow=False)
    errors = [
        f"{r.levelname} {r.name}: {r.getMessage()}" for r in caplog.records if r.levelno >= logging.ERROR
    ]
    assert crawl.failures == [] and errors == [], "\n".join(crawl.failures + errors)
    assert crawled > 20, f"the crawl reached only {sorted(crawl.seen)}"  # it did follow links
    assert any("/api/v1/" in path for path in crawl.seen)


def test_every_state_was_built(world: World) -> None:
    """The states are what their names say, so the crawl covers them all."""
    with world.container.uow() as uow:
        status = {name: uow.incidents.require(i["reference"])["status"] for name, i in world.states.items()}
        tasks = uow.dispatch.open_task(world.states["reassessment open"]["id"])
        reviews = uow.supervision.open_kinds(world.states["review open"]["id"])
    expected = {
        "new": "open",
        "assessed": "graded",
        "dispatched": "dispatched",
        "at scene": "at_scene",
        "reassessment open": "graded",
        "review open": "graded",
        "closed": "closed",
        "reopened": "open",
    }
    assert {name: status[name] for name in expected} == expected
    assert tasks is not None and "domestic_abuse" in reviews
