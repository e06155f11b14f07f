"""The stores under test, each fresh and throwaway, each with its production durability.

SQLite: a file in a temporary folder on disk, opened by ``make_engine`` (WAL,
``synchronous=FULL``). PostgreSQL: a private cluster started here with the server's
DEFAULT settings: ``fsync``, ``synchronous_commit`` and ``full_page_writes`` stay on
(``throwaway_postgres(durable=True)``; the test suite's default turns them off for speed,
which would flatter us).
The settings actually in force are read back and reported with the figures.
"""

from __future__ import annotations

import shutil
import socket
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository, for tests.stores
from tests.stores import throwaway_postgres  # noqa: E402

PG_SETTINGS = (
    "fsync",
    "synchronous_commit",
    "full_page_writes",
    "wal_sync_method",
    "shared_buffers",
    "max_connections",
    "server_version",
)
SQLITE_PRAGMAS = ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")


@dataclass(frozen=True)
class Store:
    name: str
    url: str


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def read_durability(engine: Engine) -> dict[str, str]:
    """The durability settings a connection from ``engine`` really runs with."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            return {
                name: str(connection.exec_driver_sql(f"PRAGMA {name}").scalar()) for name in SQLITE_PRAGMAS
            }
        return {name: str(connection.exec_driver_sql(f"SHOW {name}").scalar()) for name in PG_SETTINGS}


@contextmanager
def sqlite_store() -> Iterator[Store]:
    folder = Path(tempfile.mkdtemp(prefix="thriives-bench-sqlite-"))
    try:
        yield Store("sqlite", f"sqlite:///{folder / 'thriives.db'}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def postgres_store() -> Iterator[Store]:
    """A fresh cluster and database with the server's default durability (fsync,
    synchronous commit and full-page writes on); stopped and removed at exit."""
    with throwaway_postgres(durable=True) as base:
        admin = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text("CREATE DATABASE thriives_bench"))
        admin.dispose()
        yield Store("postgresql", f"{base}/thriives_bench")


STORES = {"sqlite": sqlite_store, "postgresql": postgres_store}
