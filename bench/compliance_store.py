"""A year of the demo force in a store, written by the demo's own seeder, cached under ``var/bench``.

The build is ``services.demo.seed_demo``: the demo users (twelve call handlers in four
watches), the force, ``incidents`` closed incidents over the 365 days before ``AS_OF`` (each
with its ``incident.opened`` and ``incident.closed`` events and one ``qa_facts`` row, written
by ``_HistoryWriter`` in batches of 2,000), a few people on the legacy intelligence records,
and the live calls. The container's clock is fixed at ``AS_OF``, so the same code gives the
same rows.

A build takes minutes, so it is kept, named by seed, size and a fingerprint of what the code
makes now (``cache_name``): this file, the migrations, and a probe: the same seeder run at
3,000 incidents into a scratch SQLite file, whose schema (every table's and index's DDL),
row counts per table and ``qa_facts`` rows (the incident id left out: the live calls' ids are
random) go into the digest. A change to the generators, the seeder, the facts kept or the
schema gives a new name and a rebuild; a change to the dashboard's query, service or pages
does not, as it does not change the rows.

- SQLite: ``var/bench/<name>.sqlite``, copied into the run's temporary folder each run, so
  the cached file is never written to.
- PostgreSQL: the cluster is new each run. The first run seeds it and keeps a ``pg_dump``
  (custom format) as ``var/bench/<name>.pgdump``; later runs ``pg_restore`` it into the new
  database. Either way the bench then runs ``VACUUM ANALYZE``, as autovacuum would have done
  on a store that took a year to fill.

The build runs in a spawned child process, so its memory and imports do not weigh on the
process that measures.
"""

from __future__ import annotations

import hashlib
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from bench_stores import Store
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # for tests.stores
from tests.stores import _pg_bin  # noqa: E402

from thriives.adapters.db.supervision_tables import qa_facts  # noqa: E402

CACHE = REPO / "var" / "bench"
AS_OF = datetime(2026, 11, 1, tzinfo=UTC)  # the demo force's "now": fixed, so a cache stays true
SOURCES = ("bench/compliance_store.py", "src/thriives/adapters/db/migrations/versions/*.py")
PROBE_INCIDENTS, PROBE_PEOPLE = 3_000, 50
COUNTED = ("users", "incidents", "events", "qa_facts", "audit_log")


@dataclass(frozen=True)
class Plan:
    incidents: int
    people: int
    seed: int = 2016


@dataclass(frozen=True)
class Prepared:
    """A store holding the demo year, and how it got there."""

    counts: dict[str, int]
    build_s: float  # seeding from scratch (this run, or when the cache was made)
    built_at: str
    build_peak_rss_mib: float
    reused: bool  # True: copied (SQLite) or restored (PostgreSQL) from the cache this run
    restore_s: float  # copying or restoring this run (0 when built this run)
    settle_s: float  # VACUUM ANALYZE (PostgreSQL; 0 for SQLite)
    cache: str


def cache_name(plan: Plan) -> str:
    """Seed, size and a fingerprint of the rows and schema this code makes (module docstring)."""
    from thriives.adapters.db.migrate import upgrade
    from thriives.bootstrap import build
    from thriives.services.demo import seed_demo
    from thriives.settings import Settings

    digest = hashlib.sha256()
    for pattern in SOURCES:
        for path in sorted(REPO.glob(pattern)):
            digest.update(str(path.relative_to(REPO)).encode() + b"\0" + path.read_bytes())
    with tempfile.TemporaryDirectory(prefix="thriives-compliance-probe-") as folder:
        settings = Settings(
            database_url=f"sqlite:///{folder}/probe.db", argon2_time_cost=1, argon2_memory_kib=64
        )
        container = build(settings, clock=lambda: AS_OF)
        try:
            upgrade(container.engine)
            seed_demo(container, plan.seed, AS_OF, PROBE_INCIDENTS, None, PROBE_PEOPLE)
            with container.engine.connect() as connection:
                schema = connection.exec_driver_sql(
                    "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY type, name"
                ).all()
                digest.update(repr(schema).encode())
                for (table,) in connection.exec_driver_sql(
                    "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
                ):
                    count = connection.exec_driver_sql(f'SELECT count(*) FROM "{table}"').scalar_one()
                    digest.update(f"{table} {count}\n".encode())
                facts = connection.execute(select(*(c for c in qa_facts.c if c.name != "incident_id"))).all()
                digest.update("\n".join(sorted(repr(tuple(row)) for row in facts)).encode())
        finally:
            container.close()
    return f"compliance-s{plan.seed}-i{plan.incidents}-p{plan.people}-{digest.hexdigest()[:12]}"


def count_rows(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            table: int(connection.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one())
            for table in COUNTED
        }


def settle(engine: Engine) -> float:
    """PostgreSQL: ``VACUUM ANALYZE`` (statistics and the visibility map, as autovacuum keeps
    them on a store that filled over a year). SQLite: nothing; the app runs no ANALYZE."""
    if engine.dialect.name != "postgresql":
        return 0.0
    started = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))
    return time.perf_counter() - started


def _log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}]   build: {message}", flush=True)


def build_demo(url: str, plan: Plan, name: str) -> dict[str, Any]:
    """In the child: migrate and seed the demo year; refuse if the code changed meanwhile."""
    if cache_name(plan) != name:
        raise RuntimeError(f"the sources changed since the bench started ({name} is stale): run it again")
    from thriives.adapters.db.migrate import upgrade
    from thriives.bootstrap import build
    from thriives.services.demo import seed_demo
    from thriives.settings import Settings

    container = build(Settings(database_url=url), clock=lambda: AS_OF)
    try:
        upgrade(container.engine)
        started = time.perf_counter()
        step = max(plan.incidents // 10, 1)
        shown = [0]

        def progress(done: int, total: int) -> None:
            if done - shown[0] >= step or done >= total:
                shown[0] = done
                rate = done / max(time.perf_counter() - started, 1e-9)
                _log(f"{done:,} / {total:,} ({rate:,.0f}/s)")

        seeded = seed_demo(container, plan.seed, AS_OF, plan.incidents, progress, plan.people)
        seconds = time.perf_counter() - started
        counts = count_rows(container.engine)
    finally:
        container.close()
    return {
        "build_s": round(seconds, 1),
        "build_peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "seeded": {"incidents": seeded.incidents, "events": seeded.events, "people": seeded.people},
        "counts": counts,
    }


def _build_in_child(url: str, plan: Plan, name: str) -> dict[str, Any]:
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(build_demo, url, plan, name).result()


def prepare(store: Store, plan: Plan, log: Any) -> Prepared:
    CACHE.mkdir(parents=True, exist_ok=True)
    name = cache_name(plan)
    if store.name == "sqlite":
        return _prepare_sqlite(store, plan, name, log)
    return _prepare_postgres(store, plan, name, log)


def _prepared(meta: dict[str, Any], reused: bool, restore_s: float, settle_s: float, cache: Path) -> Prepared:
    return Prepared(
        meta["counts"],
        meta["build_s"],
        meta["built_at"],
        meta["build_peak_rss_mib"],
        reused,
        restore_s,
        settle_s,
        str(cache.relative_to(REPO)),
    )


def _prepare_sqlite(store: Store, plan: Plan, name: str, log: Any) -> Prepared:
    cached, meta_path = CACHE / f"{name}.sqlite", CACHE / f"{name}-sqlite.json"
    target = Path(str(make_url(store.url).database))
    if cached.exists() and meta_path.exists():
        log(f"sqlite: reusing the cached build {cached.relative_to(REPO)}")
        meta, reused = json.loads(meta_path.read_text()), True
    else:
        building = CACHE / f"{name}.sqlite.building"
        for leftover in CACHE.glob(f"{building.name}*"):
            leftover.unlink()
        log(f"sqlite: no cached build {cached.name}; seeding {plan.incidents:,} incidents (minutes) ...")
        meta = _build_in_child(f"sqlite:///{building}", plan, name)
        engine = create_engine(f"sqlite:///{building}")
        with engine.connect() as connection:  # fold the WAL into the file before it is copied
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
        for leftover in CACHE.glob(f"{building.name}-*"):  # -wal, -shm: empty after the checkpoint
            leftover.unlink()
        building.rename(cached)
        meta_path.write_text(json.dumps(meta, indent=2) + "\n")
        reused = False
    started = time.perf_counter()
    shutil.copyfile(cached, target)
    restore_s = time.perf_counter() - started
    return _prepared(meta, reused, restore_s, 0.0, cached)


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _pg_tool(tool: str) -> str:
    bin_dir = _pg_bin()
    if bin_dir is None or not (bin_dir / tool).exists():
        raise FileNotFoundError(f"{tool} not found (apt-get install postgresql)")
    return str(bin_dir / tool)


def _prepare_postgres(store: Store, plan: Plan, name: str, log: Any) -> Prepared:
    dump, meta_path = CACHE / f"{name}.pgdump", CACHE / f"{name}-postgresql.json"
    engine = create_engine(store.url)
    try:
        if dump.exists() and meta_path.exists():
            log(f"postgresql: restoring the cached dump {dump.relative_to(REPO)} ...")
            started = time.perf_counter()
            subprocess.run(
                [
                    _pg_tool("pg_restore"),
                    "--no-owner",
                    "--exit-on-error",
                    "--jobs",
                    "2",
                    "-d",
                    _libpq(store.url),
                ]
                + [str(dump)],
                check=True,
            )
            restore_s = time.perf_counter() - started
            meta, reused = json.loads(meta_path.read_text()), True
        else:
            log(f"postgresql: no cached dump {dump.name}; seeding {plan.incidents:,} incidents (minutes) ...")
            meta = _build_in_child(store.url, plan, name)
            building = CACHE / f"{name}.pgdump.building"
            building.unlink(missing_ok=True)
            subprocess.run(
                [_pg_tool("pg_dump"), "--format", "custom", "--compress", "1", "--file", str(building)]
                + [_libpq(store.url)],
                check=True,
            )
            building.rename(dump)
            meta_path.write_text(json.dumps(meta, indent=2) + "\n")
            reused, restore_s = False, 0.0
        settle_s = settle(engine)
        counts = count_rows(engine)
        if counts != meta["counts"]:
            raise RuntimeError(f"the store holds {counts}, the build had {meta['counts']}")
    finally:
        engine.dispose()
    return _prepared(meta, reused, restore_s, settle_s, dump)
