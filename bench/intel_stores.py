"""The population in a fresh store: built once from the generator, cached under ``var/bench``.

Building a million people takes minutes, so a build is kept, named by seed, size and a
fingerprint of what the code makes now (``cache_name``): the schema revision, the bench's
own generating code, and the rows ``BulkLoader`` writes for the seed's first 300
households (people, addresses, incidents and the search keys ``person_keys`` computes),
loaded into a scratch SQLite file. A change to the generator, the loader, the key
functions or the schema makes a new name, so a stale build is never measured; a change to
scoring or to the queries of a search does not, as it does not change the rows.

- SQLite: the built file is ``var/bench/<name>.sqlite``. Each run copies it into the fresh
  temporary store folder, so the searches (which write records and audit entries) never
  touch the cached copy.
- PostgreSQL: the cluster is new each run (``bench_stores.postgres_store``). The first run
  loads it from the generator (``BulkLoader``, COPY) and then dumps each intelligence table
  with ``COPY ... TO STDOUT (FORMAT binary)`` into ``var/bench/<name>-pg/``. Later runs
  migrate the new database, copy those files back in (foreign-key triggers off for the
  restore only: the rows came from a consistent database), move the id sequences on, and
  ``VACUUM ANALYZE``.

A build runs in a child process (spawned), so its memory does not count in the bench
process's peak. The searches of a seed are also cached (``<name>-queries.json``); those a
second store's build samples are compared with them, and the report says whether they match
(a check that the generator is deterministic).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from alembic.config import Config
from alembic.script import ScriptDirectory
from bench_stores import Store
from intel_population import (
    AS_OF,
    INTEL_TABLES,
    REPO,
    BuildReport,
    Plan,
    build_population,
    count_rows,
    settle,
)
from intel_queries import QueryCase, load_cases, save_cases
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url

from thriives.adapters.db.intel_bulk import BulkLoader
from thriives.adapters.db.migrate import MIGRATIONS, upgrade
from thriives.bootstrap import build
from thriives.domain.demo_population import households
from thriives.settings import Settings

CACHE = REPO / "var" / "bench"
_GENERATING_CODE = ("bench/intel_population.py", "bench/intel_queries.py")
_PROBE_HOUSEHOLDS = 300
_WITH_SEQUENCES = ("people", "aliases", "addresses", "markers", "past_incidents")


@dataclass(frozen=True)
class Prepared:
    """A store holding the population, and how it got there."""

    counts: dict[str, int]
    build_s: float  # generating and loading from scratch (this run, or when the cache was made)
    built_at: str
    build_peak_rss_mib: float
    reused: bool  # True: copied or restored from the cache this run
    restore_s: float  # copying the file (SQLite) or the table dumps (PostgreSQL) this run
    cache: str
    cases: list[QueryCase]
    same_searches_as_cache: bool | None  # built after the other store's build: same searches?


def prepare(store: Store, plan: Plan, log: Any) -> Prepared:
    CACHE.mkdir(parents=True, exist_ok=True)
    if store.name == "sqlite":
        return _prepare_sqlite(store, plan, log)
    return _prepare_postgres(store, plan, log)


def cache_name(plan: Plan) -> str:
    """Seed, size and a fingerprint of the rows this code makes (see the module docstring)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    digest = hashlib.sha256(str(ScriptDirectory.from_config(config).get_current_head()).encode())
    for source in _GENERATING_CODE:
        digest.update((REPO / source).read_bytes())
    with tempfile.TemporaryDirectory(prefix="thriives-intel-probe-") as folder:
        container = build(Settings(database_url=f"sqlite:///{folder}/probe.db"))
        upgrade(container.engine)
        with container.uow(write=True) as uow:
            loader = BulkLoader(uow.connection, "bench", AS_OF)
            stream = households(plan.seed, plan.people, AS_OF, phones=False)
            for _, household in zip(range(_PROBE_HOUSEHOLDS), stream, strict=False):
                loader.add(household)
            loader.close()
            for table in INTEL_TABLES:
                rows = uow.connection.exec_driver_sql(f"SELECT * FROM {table}").all()
                digest.update(table.encode() + "\n".join(sorted(repr(tuple(r)) for r in rows)).encode())
        container.close()
    return f"intel-s{plan.seed}-p{plan.people}-q{plan.queries}-{digest.hexdigest()[:12]}"


def _build_checked(url: str, plan: Plan, name: str) -> BuildReport:
    """In the child: refuse to build under a name the code it runs would not give."""
    if cache_name(plan) != name:
        raise RuntimeError(f"src/ changed since the bench started ({name} is stale): run it again")
    return build_population(url, plan)


def _build_in_child(url: str, plan: Plan, name: str) -> BuildReport:
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(_build_checked, url, plan, name).result()


def _meta_path(name: str) -> Path:
    return CACHE / f"{name}.json"


def _record_build(name: str, store: str, report: BuildReport) -> dict[str, Any]:
    """Keep the build's figures, and its searches (or compare them with those kept)."""
    meta = {
        "store": store,
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "build_s": round(report.load_s, 1),
        "build_peak_rss_mib": round(report.peak_rss_mib, 1),
        "counts": report.counts,
    }
    queries = CACHE / f"{name}-queries.json"
    if queries.exists():
        meta["same_searches_as_cache"] = [asdict(c) for c in load_cases(queries)] == [
            asdict(c) for c in report.cases
        ]
    else:
        save_cases(report.cases, queries)
    return meta


def _prepare_sqlite(store: Store, plan: Plan, log: Any) -> Prepared:
    name = cache_name(plan)
    cached, meta_path = CACHE / f"{name}.sqlite", _meta_path(f"{name}-sqlite")
    if not (cached.exists() and meta_path.exists()):
        building = CACHE / f"{name}.sqlite.building"
        for leftover in CACHE.glob(f"{building.name}*"):
            leftover.unlink()
        log(f"sqlite: no cached build {cached.name}; generating {plan.people:,} people (minutes) ...")
        report = _build_in_child(f"sqlite:///{building}", plan, name)
        meta = _record_build(name, "sqlite", report)
        building.rename(cached)
        meta_path.write_text(json.dumps(meta, indent=2) + "\n")
        reused = False
    else:
        log(f"sqlite: reusing the cached build {cached.relative_to(REPO)}")
        meta = json.loads(meta_path.read_text())
        reused = True
    target = Path(str(make_url(store.url).database))
    started = time.perf_counter()
    shutil.copyfile(cached, target)
    restore_s = time.perf_counter() - started
    return Prepared(
        meta["counts"],
        meta["build_s"],
        meta["built_at"],
        meta["build_peak_rss_mib"],
        reused,
        restore_s,
        str(cached.relative_to(REPO)),
        load_cases(CACHE / f"{name}-queries.json"),
        meta.get("same_searches_as_cache"),
    )


def _prepare_postgres(store: Store, plan: Plan, log: Any) -> Prepared:
    name = cache_name(plan)
    dumps, meta_path = CACHE / f"{name}-pg", _meta_path(f"{name}-postgresql")
    engine = create_engine(store.url)
    try:
        if dumps.exists() and meta_path.exists():
            log(f"postgresql: restoring the cached table dumps {dumps.relative_to(REPO)} ...")
            started = time.perf_counter()
            upgrade(engine)
            _restore(engine, dumps)
            settle(engine)
            restore_s = time.perf_counter() - started
            meta = json.loads(meta_path.read_text())
            counts = count_rows(engine)
            if counts != meta["counts"]:
                raise RuntimeError(f"restored counts {counts} differ from the build's {meta['counts']}")
            reused = True
        else:
            log(f"postgresql: no cached dump; generating {plan.people:,} people into the cluster ...")
            report = _build_in_child(store.url, plan, name)
            meta = _record_build(name, "postgresql", report)
            building = CACHE / f"{name}-pg.building"
            shutil.rmtree(building, ignore_errors=True)
            building.mkdir()
            _dump(engine, building)
            building.rename(dumps)
            meta_path.write_text(json.dumps(meta, indent=2) + "\n")
            reused, restore_s = False, 0.0
    finally:
        engine.dispose()
    return Prepared(
        meta["counts"],
        meta["build_s"],
        meta["built_at"],
        meta["build_peak_rss_mib"],
        reused,
        restore_s,
        str(dumps.relative_to(REPO)),
        load_cases(CACHE / f"{name}-queries.json"),
        meta.get("same_searches_as_cache"),
    )


def _dump(engine: Engine, folder: Path) -> None:
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cursor:  # type: ignore[attr-defined]
            for table in INTEL_TABLES:
                path, statement = folder / f"{table}.bin", f"COPY {table} TO STDOUT (FORMAT binary)"
                with path.open("wb") as out, cursor.copy(statement) as copy:
                    for block in copy:
                        out.write(block)
        raw.commit()
    finally:
        raw.close()


def _restore(engine: Engine, folder: Path) -> None:
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cursor:  # type: ignore[attr-defined]
            cursor.execute("SET session_replication_role = replica")
            for table in INTEL_TABLES:
                path, statement = folder / f"{table}.bin", f"COPY {table} FROM STDIN (FORMAT binary)"
                with path.open("rb") as source, cursor.copy(statement) as copy:
                    while block := source.read(1 << 20):
                        copy.write(block)
            for table in _WITH_SEQUENCES:
                sequence = f"pg_get_serial_sequence('{table}', 'id')"
                cursor.execute(f"SELECT setval({sequence}, GREATEST(MAX(id), 1)) FROM {table}")
            cursor.execute("SET session_replication_role = DEFAULT")
        raw.commit()
    finally:
        raw.close()
