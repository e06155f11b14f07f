"""Throwaway stores for tests: a private PostgreSQL cluster and migrated SQLite templates.

PostgreSQL: ``initdb`` into a temporary folder, started on a free loopback port, stopped
and removed at the end of the session. When ``CI`` is set, a missing PostgreSQL fails the
run; elsewhere the PostgreSQL half of the suite is skipped with the reason.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_postgres(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@contextmanager
def throwaway_postgres(durable: bool = False) -> Iterator[str]:
    """Yield the base URL (no database name) of a private PostgreSQL server.

    For tests it runs with fsync, synchronous commit and full-page writes off (fast, and
    nothing to keep); ``durable=True`` leaves the server's defaults on, for benchmarks whose
    figures must be honest.
    """
    bin_dir = _pg_bin()
    if bin_dir is None:
        raise FileNotFoundError("PostgreSQL server binaries (initdb) not found; apt-get install postgresql")
    data = Path(tempfile.mkdtemp(prefix="thriives-pg-"))
    if os.geteuid() == 0:
        shutil.chown(data, "postgres", "postgres")
    port = _free_port()
    try:
        # --no-sync skips only initdb's own final fsync of the template files.
        initdb = [
            str(bin_dir / "initdb"),
            "-D",
            str(data / "db"),
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        ]
        subprocess.run(_as_postgres(initdb), check=True, capture_output=True)
        options = f"-c listen_addresses=127.0.0.1 -p {port} -k {data} -c max_connections=300"
        if not durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        start = [
            str(bin_dir / "pg_ctl"),
            "-D",
            str(data / "db"),
            "-o",
            options,
            "-l",
            str(data / "log"),
            "-w",
            "start",
        ]
        subprocess.run(_as_postgres(start), check=True, capture_output=True)
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}"
    finally:
        stop = [
            str(bin_dir / "pg_ctl"),
            "-D",
            str(data / "db"),
            "-m",
            "fast" if durable else "immediate",
            "stop",
        ]
        subprocess.run(_as_postgres(stop), capture_output=True)
        shutil.rmtree(data, ignore_errors=True)


OWNER_ROLE = "thriives_owner"  # migrates: owns the tables, triggers and functions
APP_ROLE = "thriives_app"  # the application: only the grants ``thriives migrate`` gives it


def as_role(base: str, role: str) -> str:
    """The base URL (``postgresql+psycopg://postgres@host:port``) with another user."""
    scheme, rest = base.split("://", 1)
    return f"{scheme}://{role}@{rest.split('@', 1)[1]}"


def create_roles(base: str) -> None:
    """Create the owner and application roles on a throwaway server (trust log-in)."""
    from sqlalchemy import create_engine, text

    admin = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            for role in (OWNER_ROLE, APP_ROLE):
                connection.execute(text(f"CREATE ROLE {role} LOGIN"))
    finally:
        admin.dispose()


def wait_for_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listening on port {port} after {timeout} s")


free_port = _free_port
