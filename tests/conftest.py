"""Shared fixtures: every storage and service test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import itertools
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from tests.stores import APP_ROLE, OWNER_ROLE, as_role, create_roles, in_ci, throwaway_postgres
from thriives.adapters.db.engine import make_engine
from thriives.adapters.db.migrate import upgrade
from thriives.adapters.db.roles import grant_application_role
from thriives.adapters.web.app import create_app
from thriives.bootstrap import Container, build
from thriives.domain.accounts import Actor, Role
from thriives.settings import Settings

PASSWORD = "correct-horse-battery"
# The audit key the tests seal with: a file of its own, never the working copy's var/.
AUDIT_KEY_FILE = Path(tempfile.mkdtemp(prefix="thriives-audit-key-")) / "audit.key"
_numbers = itertools.count(1)


class FakeClock:
    """A clock the test moves by hand; services read time only through it."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 26, 21, 30, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture(scope="session")
def postgres_base() -> Iterator[str]:
    try:
        with throwaway_postgres() as base:
            # As in production: the owner role migrates and grants the application role
            # only what it needs; the tests' stores are then used as the application role.
            create_roles(base)
            admin = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(text(f"CREATE DATABASE thriives_template OWNER {OWNER_ROLE}"))
            template = make_engine(f"{as_role(base, OWNER_ROLE)}/thriives_template")
            upgrade(template)
            grant_application_role(template, APP_ROLE)
            template.dispose()
            admin.dispose()
            yield base
    except FileNotFoundError as error:
        if in_ci():
            pytest.fail(f"PostgreSQL is required in CI: {error}")
        pytest.skip(f"PostgreSQL not available: {error}")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A freshly migrated, empty database on each store."""
    if request.param == "sqlite":
        path = tmp_path / "thriives.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    base = request.getfixturevalue("postgres_base")
    name = f"t{next(_numbers)}"
    admin = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name} TEMPLATE thriives_template OWNER {OWNER_ROLE}"))
    try:
        yield f"{as_role(base, APP_ROLE)}/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


@pytest.fixture
def owner_url(database_url: str) -> str:
    """The same database as its owner role (to migrate, or to tamper as an insider would)."""
    if database_url.startswith("sqlite"):
        return database_url
    return database_url.replace(f"://{APP_ROLE}@", f"://{OWNER_ROLE}@", 1)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_settings(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "argon2_time_cost": 1,
        "argon2_memory_kib": 64,
        "db_pool_size": 4,
        "event_poll_seconds": 0.05,
        # Deadlines fire when a test calls ``container.deadlines.fire_due`` (or runs a worker
        # itself), never from a thread racing the test's fake clock.
        "worker_in_process": False,
        "audit_key_file": AUDIT_KEY_FILE,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


test_settings.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


@pytest.fixture
def container(database_url: str, clock: FakeClock) -> Iterator[Container]:
    built = build(test_settings(database_url), clock=clock)
    yield built
    built.close()


@dataclass
class People:
    """Users made on demand: ``people(Role.DISPATCHER)`` returns an Actor with that role."""

    container: Container

    def __call__(self, role: Role = Role.CALL_HANDLER, username: str | None = None) -> Actor:
        name = username or f"{role.value.replace('_', '')}{next(_numbers)}"
        user_id = self.container.accounts.add_user(name, name.title(), role, PASSWORD, self.container.clock())
        return Actor(user_id, name, role, name.title())


@pytest.fixture
def people(container: Container) -> People:
    return People(container)


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(container)) as test_client:
        yield test_client


@pytest.fixture
def bearer(container: Container, people: People) -> Callable[[Role], dict[str, str]]:
    """Authorization headers for a new user of the given role."""

    def make(role: Role = Role.CALL_HANDLER) -> dict[str, str]:
        actor = people(role)
        token = container.accounts.issue_token(actor.username, "test", container.clock())
        return {"Authorization": f"Bearer {token}"}

    return make
