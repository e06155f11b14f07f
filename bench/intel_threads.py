"""Running one operation from N threads for a while, and what the scale bench compares with.

``run_threads`` starts the threads together, lets them run for the warm-up, then records
every call that starts inside the measured window and ends before it closes: latency
(``time.perf_counter``), what it returned, and any exception. The threads share one
process, as the web server's thread pool does when it calls the same service.

The ceilings, on the same store at the same concurrency, through the same unit of work:
- ``pk_read``: a read unit of work doing one primary-key read of ``people`` (the floor of
  any read: connection from the pool, BEGIN, one indexed row, rollback);
- ``one_row_insert``: a write unit of work inserting one row and committing (the floor of
  any write: the process's writer turn, BEGIN IMMEDIATE on SQLite, one row, a durable
  commit). The search's own write (its record and the audit entry) pays at least this.
"""

from __future__ import annotations

import math
import os
import random
import statistics
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bare_app import bare_rows
from cpu import machine_busy_seconds
from intel_queries import QueryCase
from sqlalchemy import bindparam, insert, select

from thriives.adapters.db.intel_tables import people
from thriives.bootstrap import Container
from thriives.domain.accounts import Actor

JUSTIFICATION = "scale benchmark of call-time intelligence search"


@dataclass
class Run:
    name: str
    threads: int
    duration_s: float
    latencies_ms: list[float] = field(default_factory=list)
    outcomes: list[Any] = field(default_factory=list)
    errors: int = 0
    errors_total: int = 0  # warm-up included
    error_samples: list[str] = field(default_factory=list)
    process_cpu_s: float = 0.0  # this process, all threads, during the window
    machine_busy_s: float = 0.0  # the whole machine, all cores, during the window

    @property
    def rate(self) -> float:
        return len(self.latencies_ms) / self.duration_s if self.duration_s else float("nan")

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile of the window's latencies, in ms (NaN when none)."""
        return percentile(self.latencies_ms, p)

    def summary(self) -> dict[str, Any]:
        return {
            "threads": self.threads,
            "duration_s": self.duration_s,
            "operations": len(self.latencies_ms),
            "per_s": round(self.rate, 1),
            "p50_ms": round(self.percentile(50), 2),
            "p95_ms": round(self.percentile(95), 2),
            "p99_ms": round(self.percentile(99), 2),
            "max_ms": round(max(self.latencies_ms, default=float("nan")), 2),
            "mean_ms": round(statistics.fmean(self.latencies_ms), 2) if self.latencies_ms else None,
            "errors": self.errors,
            "errors_incl_warmup": self.errors_total,
            "error_samples": self.error_samples,
            "bench_process_cores": round(self.process_cpu_s / self.duration_s, 2),
            "machine_cores_busy": round(self.machine_busy_s / self.duration_s, 2),
        }


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered), max(1, math.ceil(p / 100 * len(ordered)))) - 1]


def run_threads(
    name: str, work: Callable[[int, int], Any], threads: int, warmup: float, duration: float
) -> Run:
    """Call ``work(thread, n)`` in a loop from ``threads`` threads; measure ``duration`` s."""
    run = Run(name, threads, duration)
    lock = threading.Lock()
    start = threading.Barrier(threads + 1)
    window: dict[str, float] = {}

    def loop(thread: int) -> None:
        start.wait()
        opens, closes = window["opens"], window["closes"]
        n = 0
        while True:
            began = time.perf_counter()
            if began >= closes:
                return
            try:
                outcome = work(thread, n)
            except Exception as error:  # noqa: BLE001 - every failure is counted, none stops the run
                with lock:
                    run.errors_total += 1
                    if began >= opens:
                        run.errors += 1
                    if len(run.error_samples) < 5:
                        run.error_samples.append(f"{type(error).__name__}: {error}"[:300])
            else:
                ended = time.perf_counter()
                if began >= opens and ended <= closes:
                    with lock:
                        run.latencies_ms.append((ended - began) * 1000)
                        run.outcomes.append(outcome)
            n += 1

    workers = [threading.Thread(target=loop, args=(t,), daemon=True) for t in range(threads)]
    for worker in workers:
        worker.start()
    now = time.perf_counter()
    window["opens"], window["closes"] = now + warmup, now + warmup + duration
    start.wait()
    time.sleep(max(0.0, window["opens"] - time.perf_counter()))
    cpu0, busy0 = _process_cpu(), machine_busy_seconds()
    time.sleep(max(0.0, window["closes"] - time.perf_counter()))
    run.process_cpu_s, run.machine_busy_s = _process_cpu() - cpu0, machine_busy_seconds() - busy0
    for worker in workers:
        worker.join()
    return run


def _process_cpu() -> float:
    times = os.times()
    return times.user + times.system


def search_work(
    container: Container, actor: Actor, cases: list[QueryCase], threads: int, first: int = 0
) -> Callable[[int, int], Any]:
    """The operation under test. Thread ``t`` runs cases first + t, then ``threads`` further
    on each time, so no two threads (nor two processes given different ``first``) alike."""

    def work(thread: int, n: int) -> tuple[str, bool, bool]:
        case = cases[(first + thread + n * threads) % len(cases)]
        found = container.intel.search(actor, case.terms, datetime.now(UTC), justification=JUSTIFICATION)
        top = found.matches[0]["person"]["id"] if found.matches else None
        return case.kind, top == case.person_id, found.capped

    return work


def pk_read(container: Container, people_count: int, seed: int) -> Callable[[int, int], Any]:
    """One primary-key read of ``people`` by a random id, in a read unit of work."""
    query = select(people).where(people.c.id == bindparam("id"))  # built once, as the app does
    offset = random.Random(f"pk-read-{seed}").randrange(people_count)

    def work(thread: int, n: int) -> Any:
        person_id = (offset + thread * 7_919 + n * 104_729) % people_count + 1  # spread over the table
        with container.uow() as uow:
            return uow.connection.execute(query, {"id": person_id}).first() is not None

    return work


def one_row_insert(container: Container) -> Callable[[int, int], Any]:
    """One row inserted and committed in a write unit of work (no journal, no audit)."""
    bare_rows.create(container.engine, checkfirst=True)

    def work(_thread: int, _n: int) -> Any:
        with container.uow(write=True) as uow:
            uow.connection.execute(
                insert(bare_rows).values(id=str(uuid.uuid4()), text="floor", created_at=datetime.now(UTC))
            )
            uow.commit()
        return True

    return work
