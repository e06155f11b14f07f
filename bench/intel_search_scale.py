"""Benchmark: call-time intelligence search at 1,000,000 people, audit write included.

What is measured: ``container.intel.search`` (the service the web handlers call), from 8
threads in one process for 30 s after a warm-up, on a store holding 1,000,000 people,
at least 1,000,000 addresses and 5,000,000 person-incident links. Each search reads
candidates by key, scores a shortlist, reads details, markers and 12-month history, then
records the search and a hash-chained audit entry in a durable write transaction. The
searches are what a call handler types (see ``intel_queries.py``), about people in the
store, so the bench also reports how often the person meant came top (a sanity figure).

Against what, in the same run, on the same store, at the same concurrency, through the
same unit of work: a bare primary-key read of ``people`` and a bare one-row insert with a
durable commit (``intel_threads.py``). Target: search p95 at most 100 ms on each store.

Then one search at a time with its steps timed (``intel_breakdown.py``), and the memory
of the bench process and of the PostgreSQL server. Results go to
``bench/results/intel_search_scale-<store>.json``. The population is built once per seed
and size and cached under ``var/bench`` (``intel_stores.py``).

Run: ``scripts/uv run python bench/intel_search_scale.py`` (``--help`` for options).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from bench_stores import STORES, read_durability  # noqa: E402
from intel_breakdown import breakdown  # noqa: E402
from intel_experiments import EXPERIMENTS, known, run_experiment  # noqa: E402
from intel_population import Plan, sizes  # noqa: E402
from intel_queries import QueryCase  # noqa: E402
from intel_report import StoreResult, render, revision, server_memory, write_json  # noqa: E402
from intel_stores import prepare  # noqa: E402
from intel_threads import Run, one_row_insert, pk_read, run_threads, search_work  # noqa: E402
from open_incidents import progress  # noqa: E402

from thriives.bootstrap import Container, build  # noqa: E402
from thriives.domain.accounts import Actor, Role  # noqa: E402
from thriives.services.audit import verify_audit  # noqa: E402
from thriives.settings import Settings  # noqa: E402

USERNAME = "bench.searcher"
BUSY_LOAD = 1.0


def warn_if_busy() -> None:
    load = os.getloadavg()[0]
    if load > BUSY_LOAD:
        progress(
            f"warning: 1-min load average is {load:.1f} before the run: other work competes for the "
            "cores, so the searches (and the ceilings, measured alongside) will read slower"
        )


def measure_search(
    container: Container, actor: Actor, cases: list[QueryCase], args: argparse.Namespace, label: str
) -> Run:
    progress(f"{label}: {args.concurrency} threads, {args.warmup:g} s warm-up + {args.duration:g} s ...")
    run = run_threads(
        "search", search_work(container, actor, cases, args.concurrency), args.concurrency,
        args.warmup, args.duration,
    )  # fmt: skip
    progress(
        f"{label}: {run.rate:.1f} searches/s, p50 {run.percentile(50):.0f} ms, "
        f"p95 {run.percentile(95):.0f} ms, {run.errors} errors"
    )
    return run


def searcher(container: Container) -> Actor:
    """A call handler to search as (added to the fresh copy of the store)."""
    now = datetime.now(UTC)
    user_id = container.accounts.add_user(
        USERNAME, "Bench Searcher", Role.CALL_HANDLER, "a-long-password-123", now
    )
    return Actor(user_id, USERNAME, Role.CALL_HANDLER, "Bench Searcher")


def measure_ceilings(
    container: Container, people: int, args: argparse.Namespace, name: str
) -> dict[str, Run]:
    """The floor of a read and of a write, same store, same threads, same unit of work."""
    ceilings = {}
    for label, work in (
        ("pk read", pk_read(container, people, args.seed)),
        ("1-row insert", one_row_insert(container)),
    ):
        progress(f"{name}: ceiling {label}: {args.concurrency} threads, {args.ceiling_duration:g} s ...")
        ceilings[label] = run_threads(label, work, args.concurrency, 2.0, args.ceiling_duration)
    return ceilings


def bench_store(name: str, plan: Plan, args: argparse.Namespace, code: dict[str, Any]) -> StoreResult:
    warn_if_busy()
    load_average = os.getloadavg()
    progress(f"{name}: starting a fresh store ...")
    with STORES[name]() as store:
        prepared = prepare(store, plan, progress)
        progress(f"{name}: population ready: " + ", ".join(f"{t} {n:,}" for t, n in prepared.counts.items()))
        container = build(Settings(database_url=store.url))
        try:
            durability = read_durability(container.engine)
            started = time.perf_counter()
            db_bytes, table_bytes = sizes(container.engine)
            progress(
                f"{name}: {db_bytes / 2**30:.2f} GiB on disk (sized in {time.perf_counter() - started:.0f} s)"
            )
            actor, cases = searcher(container), prepared.cases
            search = measure_search(container, actor, cases, args, name)
            memory = server_memory(container.engine)
            ceilings = measure_ceilings(container, prepared.counts["people"], args, name)
            progress(f"{name}: one search at a time, steps timed ({args.breakdown} searches) ...")
            steps = breakdown(container, actor, cases[-args.breakdown :])
            report = verify_audit(container.uow)
            entries, findings = report.entries, report.problems()
            experiments = {
                label: run_experiment(label, container, actor, cases, args, measure_search)
                for label in args.experiments
            }
        finally:
            container.close()
    return StoreResult(
        store=name,
        plan=plan,
        durability=durability,
        prepared=prepared,
        db_bytes=db_bytes,
        table_bytes=table_bytes,
        search=search,
        ceilings=ceilings,
        breakdown=steps,
        bench_peak_rss_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        server_memory=memory,
        audit_entries=entries,
        audit_findings=[f"seq {f.seq}: {f.problem}" for f in findings],
        experiments=experiments,
        warmup_s=args.warmup,
        load_average=load_average,
        revision=code | {"src_digest_at_end": revision()["src_digest"]},
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1_000_000, help="people in the store")
    parser.add_argument("--stores", default="sqlite,postgresql", help="comma-separated: " + ", ".join(STORES))
    parser.add_argument("--concurrency", type=int, default=8, help="threads searching at once")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds measured")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds before measuring")
    parser.add_argument("--seed", type=int, default=1, help="the population and the searches")
    parser.add_argument("--queries", type=int, default=4000, help="distinct searches sampled")
    parser.add_argument("--ceiling-duration", type=float, default=10.0, help="seconds per ceiling")
    parser.add_argument("--breakdown", type=int, default=200, help="searches timed step by step")
    parser.add_argument(
        "--experiments",
        default="",
        help="comma-separated, run after the verdict; join with + to combine: " + ", ".join(EXPERIMENTS),
    )
    parser.add_argument("--results", type=Path, default=BENCH / "results", help="folder for the JSON results")
    args = parser.parse_args(argv)
    args.experiments = [e for e in args.experiments.split(",") if e]
    unknown = (set(args.stores.split(",")) - set(STORES)) | {e for e in args.experiments if not known(e)}
    if unknown:
        parser.error(f"unknown store(s) or experiment(s): {', '.join(sorted(unknown))}")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run every store; print its figures; exit 1 when search p95 misses the target anywhere."""
    args = parse_args(argv)
    plan = Plan(args.seed, args.people, args.queries)
    code = revision()  # the modules measured were imported just now
    results = []
    for name in args.stores.split(","):
        result = bench_store(name, plan, args, code)
        print()
        print(render(result))
        print(f"  results: {write_json(result, args.results)}")
        results.append(result)
    if len(results) > 1:
        print()
        for result in results:
            print(f"{'PASS' if result.passed() else 'FAIL'}  {result.store}: {result.headline()}")
    return 0 if all(result.passed() for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())
