"""The stores under test, each fresh and throwaway, each with its production durability.

SQLite: a file in a temporary folder on disk, opened by ``make_engine`` (WAL,
``synchronous=FULL``). PostgreSQL: a private cluster started here with the server's
DEFAULT settings: ``fsync``, ``synchronous_commit`` and ``full_page_writes`` stay on (the
test suite's ``throwaway_postgres`` turns them off for speed, which would flatter us).
The settings actually in force are read back and reported with the figures.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, text

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


def _pg_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    initdb = Path(found[-1]) if found else (Path(p) if (p := shutil.which("initdb")) else None)
    if initdb is None:
        raise FileNotFoundError(
            "PostgreSQL server binaries (initdb) not found; apt-get install -y postgresql"
        )
    return initdb.parent


def _as_postgres(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@contextmanager
def postgres_store() -> Iterator[Store]:
    """A fresh cluster and database with default durability; stopped and removed at exit."""
    bin_dir = _pg_bin()
    folder = Path(tempfile.mkdtemp(prefix="thriives-bench-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    data, port = folder / "db", free_port()
    # --no-sync only skips initdb's own final fsync of the template files; the running
    # server's durability is set by the options below, which are left at their defaults.
    subprocess.run(
        _as_postgres(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(data),
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ]
        ),
        check=True,
        capture_output=True,
    )
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c max_connections=200"
    try:
        subprocess.run(
            _as_postgres(
                [
                    str(bin_dir / "pg_ctl"),
                    "-D",
                    str(data),
                    "-o",
                    options,
                    "-l",
                    str(folder / "log"),
                    "-w",
                    "start",
                ]
            ),
            check=True,
            capture_output=True,
        )
        base = f"postgresql+psycopg://postgres@127.0.0.1:{port}"
        admin = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text("CREATE DATABASE thriives_bench"))
        admin.dispose()
        yield Store("postgresql", f"{base}/thriives_bench")
    finally:
        subprocess.run(
            _as_postgres([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"]),
            capture_output=True,
        )
        shutil.rmtree(folder, ignore_errors=True)


STORES = {"sqlite": sqlite_store, "postgresql": postgres_store}
