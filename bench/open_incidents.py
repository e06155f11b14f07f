"""Benchmark: opening incidents through the real API, against a bare insert on the same stack.

What is measured: ``POST /api/v1/incidents`` of the real thriives app (bearer token,
realistic call body, unique ``Idempotency-Key``), served by uvicorn in its own process (one
worker), driven by 32 keep-alive HTTP/1.1 clients from a separate load-generator process.

Against what: a "bare insert" app on the same framework, server settings and store
(an engine from ``make_engine``), whose one sync endpoint parses the same body and inserts
one row in one write transaction. That is the ceiling for a write on this stack, measured in
the same run on the same machine, so the ratio does not depend on how fast the machine is.

For each store (SQLite file; a private PostgreSQL cluster with default durability) it
prints requests/s and p50/p95/p99 latency for both, the ratio, PASS/FAIL against the
targets (see ``report.py``), then checks the store: every acknowledged incident is there
and the audit hash chain verifies. Results also go to ``bench/results/``.

Run: ``uv run python bench/open_incidents.py`` (``--help`` for durations and stores).
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from bare_app import PATH as BARE_PATH  # noqa: E402
from bare_app import bare_rows  # noqa: E402
from bench_stores import STORES, Store, free_port, read_durability  # noqa: E402
from harness import LoadResult, run_load, serving  # noqa: E402
from report import StoreReport, render, write_json  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from thriives.adapters.db.migrate import upgrade  # noqa: E402
from thriives.bootstrap import Container, build  # noqa: E402
from thriives.domain.accounts import Role  # noqa: E402
from thriives.services.audit import verify_audit  # noqa: E402
from thriives.settings import Settings  # noqa: E402

API_PATH = "/api/v1/incidents"
USERNAME = "bench.handler"
PASSWORD = "bench-password-not-secret"
BUSY_LOAD = 1.0


def progress(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", flush=True)


def prepare(store: Store) -> tuple[Container, str]:
    """Migrate the fresh store; add a call handler and issue their API token."""
    container = build(Settings(database_url=store.url))
    upgrade(container.engine)
    now = datetime.now(UTC)
    container.accounts.add_user(USERNAME, "Bench Call Handler", Role.CALL_HANDLER, PASSWORD, now)
    token = container.accounts.issue_token(USERNAME, "open_incidents bench", now)
    return container, token


def measure(kind: str, path: str, store: Store, token: str, args: argparse.Namespace) -> LoadResult:
    """Serve ``kind`` against the store in a subprocess and drive it with the load generator."""
    with serving(kind, store.url, free_port()) as server:
        progress(
            f"{store.name}: loading {kind} ({args.clients} clients, "
            f"{args.warmup:g} s warm-up + {args.duration:g} s) ..."
        )
        result = run_load(server, path, token, args.clients, args.warmup, args.duration)
    progress(
        f"{store.name}: {kind}: {result.rps:.0f} req/s, p99 {result.percentile(99):.1f} ms, "
        f"{result.errors_total} errors"
    )
    return result


def warn_if_busy() -> None:
    """The figures assume a quiet machine: say so when something else is using the cores."""
    load = os.getloadavg()[0]
    if load > BUSY_LOAD:
        progress(
            f"warning: 1-min load average is {load:.1f} before the run; other work competes "
            "for the cores, so both endpoints will read low (the ratio is still comparable)"
        )


def bench_store(name: str, args: argparse.Namespace) -> StoreReport:
    """Fresh store, bare insert then open incident under the same load, then the store checks."""
    warn_if_busy()
    progress(f"{name}: starting a fresh store ...")
    with STORES[name]() as store:
        container, token = prepare(store)
        try:
            durability = read_durability(container.engine)
            progress(f"{name}: migrated; user and token ready; {durability}")
            bare = measure("bare", BARE_PATH, store, token, args)
            opened = measure("app", API_PATH, store, token, args)
            progress(f"{name}: checking the store ...")
            with container.uow() as uow:
                incidents = uow.incidents.count()
                bare_count = int(
                    uow.connection.execute(select(func.count()).select_from(bare_rows)).scalar_one()
                )
            report = verify_audit(container.uow)
            entries, findings = report.entries, report.problems()
        finally:
            container.close()
    return StoreReport(
        store=name,
        durability=durability,
        clients=args.clients,
        warmup_s=args.warmup,
        open=opened,
        bare=bare,
        incidents_stored=incidents,
        bare_rows_stored=bare_count,
        audit_entries=entries,
        audit_findings=[f"seq {f.seq}: {f.problem}" for f in findings],
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--stores", default="sqlite,postgresql", help="comma-separated, from: " + ", ".join(STORES)
    )
    parser.add_argument("--clients", type=int, default=32, help="concurrent keep-alive clients")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds before measuring")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds measured")
    parser.add_argument("--results", type=Path, default=BENCH / "results", help="folder for the JSON results")
    args = parser.parse_args(argv)
    unknown = set(args.stores.split(",")) - set(STORES)
    if unknown:
        parser.error(f"unknown store(s): {', '.join(sorted(unknown))}")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run every store; print its table; exit 1 when any target or check fails."""
    args = parse_args(argv)
    reports = [bench_store(name, args) for name in args.stores.split(",")]
    for report in reports:
        print()
        print(render(report))
        print(f"  results: {write_json(report, args.results)}")
    return 0 if all(report.passed() for report in reports) else 1


if __name__ == "__main__":
    sys.exit(main())
