"""Experiments: changes the product does not have, tried in the bench only.

Each one changes something for the length of one search run (a function memoised or
replaced in the bench process, a policy value, the number of processes), measures the
search again exactly as the main run did, then puts things back. Their figures are
printed and saved labelled "EXPERIMENT (not the product)" and never count towards the
verdict. Join names with "+" to try several together (``broad-keys-last+two-processes``).

- ``broad-keys-last``: the candidates of the selective keys (full name, date of birth,
  postcode, street and number, phone, registration) are read first; the broad ones
  (surname alone, and the surname-with-one-letter-left-out keys that catch typing slips)
  only when those found fewer people than the shortlist. At a million people a common
  surname's broad keys each hit their cap, so they are most of the rows read.
- ``shortlist-half``: ``search.shortlist`` (policy data in ``intel.json``) halved, so the
  facts of fewer candidates are read and scored. Watch the top-match share: it can cost.
- ``sqlite-mmap``: SQLite reads the file through a memory map (``PRAGMA mmap_size``)
  instead of a read call per page into a 2 MiB cache per connection.
- ``two-processes``: the same 8 searches at once, from two processes of 4 threads (as two
  web workers would run them), so Python can use both cores.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from multiprocessing import get_context
from typing import Any

from intel_breakdown import breakdown
from intel_queries import QueryCase
from intel_threads import Run, run_threads, search_work
from sqlalchemy import event

from thriives.adapters.db.intel_repository import IntelRepository
from thriives.bootstrap import Container, build
from thriives.domain.accounts import Actor
from thriives.settings import Settings

PROCESSES = 2
MMAP_BYTES = 4 * 2**30


@contextmanager
def shorter_shortlist(container: Container) -> Iterator[str]:
    policy = container.intel.policy
    size = max(1, policy.shortlist // 2)
    container.intel.policy = replace(policy, shortlist=size)
    try:
        yield f"policy search.shortlist {policy.shortlist} -> {size}"
    finally:
        container.intel.policy = policy


BROAD = ("o", "s")


@contextmanager
def broad_keys_last(container: Container) -> Iterator[str]:
    original: Callable[..., tuple[list[int], int]] = IntelRepository.shortlist
    policy = container.intel.policy

    def shortlist(
        repo: IntelRepository, keys: Iterable[str], per_key: int, limit: int
    ) -> tuple[list[int], int]:
        keys = list(keys)
        selective = [key for key in keys if key.split(":", 1)[0] not in BROAD]
        ids, considered = original(repo, selective, per_key, limit) if selective else ([], 0)
        if considered < policy.shortlist:
            return original(repo, keys, per_key, limit)
        return ids, considered

    IntelRepository.shortlist = shortlist
    try:
        yield f"broad keys (surname alone, one-letter deletions) only when < {policy.shortlist} found"
    finally:
        IntelRepository.shortlist = original


@contextmanager
def sqlite_mmap(container: Container) -> Iterator[str]:
    engine = container.engine
    if engine.dialect.name != "sqlite":
        yield "sqlite-mmap: not SQLite, nothing changed"
        return

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute(f"PRAGMA mmap_size={MMAP_BYTES}")

    event.listen(engine, "connect", on_connect)
    engine.dispose()  # new connections, each with the pragma
    try:
        yield f"PRAGMA mmap_size={MMAP_BYTES} on every connection (SQLite reads pages by memory map)"
    finally:
        event.remove(engine, "connect", on_connect)
        engine.dispose()


@contextmanager
def two_processes(_container: Container) -> Iterator[str]:
    yield f"{PROCESSES} processes of (concurrency / {PROCESSES}) threads"  # see run_experiment


EXPERIMENTS: dict[str, Callable[[Container], Any]] = {
    "broad-keys-last": broad_keys_last,
    "shortlist-half": shorter_shortlist,
    "sqlite-mmap": sqlite_mmap,
    "two-processes": two_processes,
}


def known(label: str) -> bool:
    """An experiment is one name, or several joined by "+" and tried together."""
    return all(part in EXPERIMENTS for part in label.split("+"))


def _search_child(
    url: str, parts: list[str], actor: Actor, cases: list[QueryCase], first: int, args: argparse.Namespace
) -> Run:
    """One process of ``two-processes``: its share of the threads, the other changes applied."""
    container = build(Settings(database_url=url))
    threads = args.concurrency // PROCESSES
    try:
        with ExitStack() as stack:
            for part in parts:
                stack.enter_context(EXPERIMENTS[part](container))
            time.sleep(max(0.0, args.start_at - time.time()))
            work = search_work(container, actor, cases, args.concurrency, first)
            return run_threads("search", work, threads, args.warmup, args.duration)
    finally:
        container.close()


def _search_in_processes(
    container: Container, parts: list[str], actor: Actor, cases: list[QueryCase], args: argparse.Namespace
) -> Run:
    """Both processes start their windows at the same wall-clock time; their calls merge."""
    settings = argparse.Namespace(**vars(args), start_at=time.time() + 10.0)
    threads = args.concurrency // PROCESSES
    with ProcessPoolExecutor(PROCESSES, mp_context=get_context("spawn")) as pool:
        url = container.settings.database_url
        runs = [
            future.result()
            for future in [
                pool.submit(_search_child, url, parts, actor, cases, p * threads, settings)
                for p in range(PROCESSES)
            ]
        ]
    merged = Run("search", threads * PROCESSES, args.duration)
    for run in runs:
        merged.latencies_ms += run.latencies_ms
        merged.outcomes += run.outcomes
        merged.errors += run.errors
        merged.errors_total += run.errors_total
        merged.error_samples += run.error_samples
        merged.process_cpu_s += run.process_cpu_s
    merged.machine_busy_s = max(run.machine_busy_s for run in runs)
    return merged


APPLIES = {"sqlite-mmap": "sqlite"}


def run_experiment(
    label: str,
    container: Container,
    actor: Actor,
    cases: list[QueryCase],
    args: argparse.Namespace,
    measure: Callable[..., Run],
) -> dict[str, Any]:
    parts = label.split("+")
    dialect = container.engine.dialect.name
    if any(APPLIES.get(part, dialect) != dialect for part in parts):
        return {"what": label, "summary": f"{label}: does not apply to {dialect}; not run"}
    try:
        return _run_experiment(parts, container, actor, cases, args, measure)
    except Exception as error:  # noqa: BLE001 - an experiment must not cost the run its figures
        return {"what": label, "summary": f"{label}: FAILED ({type(error).__name__}: {error})"[:400]}


def _run_experiment(
    parts: list[str],
    container: Container,
    actor: Actor,
    cases: list[QueryCase],
    args: argparse.Namespace,
    measure: Callable[..., Run],
) -> dict[str, Any]:
    label = "+".join(parts)
    with ExitStack() as stack:
        what = "; ".join(stack.enter_context(EXPERIMENTS[part](container)) for part in parts)
        if "two-processes" in parts:
            others = [part for part in parts if part != "two-processes"]
            run = _search_in_processes(container, others, actor, cases, args)
            alone = None
        else:
            run = measure(container, actor, cases, args, f"EXPERIMENT {label}")
            alone = breakdown(container, actor, cases[-args.breakdown :]).summary()
    top = sum(o[1] for o in run.outcomes) / max(1, len(run.outcomes))
    summary = (
        f"{what}: {run.rate:.1f} searches/s, p50 {run.percentile(50):.0f} ms, "
        f"p95 {run.percentile(95):.0f} ms, p99 {run.percentile(99):.0f} ms, top {top:.0%}"
    )
    if alone is not None:
        steps = ", ".join(f"{s} {v['mean_ms']:.1f}" for s, v in alone["steps"].items() if v["mean_ms"] >= 1.0)
        summary += (
            f"; one at a time: mean {alone['single_search_mean_ms']:.1f} ms, "
            f"CPU {alone['single_search_cpu_mean_ms']:.1f} ms ({steps})"
        )
    return {
        "what": what,
        "search": run.summary(),
        "breakdown": alone,
        "top_is_meant": round(top, 3),
        "summary": summary,
    }
