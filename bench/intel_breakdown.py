"""Where one search's time goes: the real ``IntelService.search``, its steps timed.

The steps are timed by wrapping, for the duration of the breakdown only, the functions the
service calls (the repository's reads and writes, the unit of work's open, commit and
close, the journal's audit entry, and the pure parse, keys and scoring), then calling the
service itself one search at a time (no concurrency: this is the cost of one search, not
the queueing of eight). What no wrapper covers (building the result, summarising the
history, marker views) is "other". The CPU time the bench thread spent on each search is
recorded too: less disturbed by other work on the machine than the wall time, and, with
8 searches at once in one Python process, about what each search costs the others.
"""

from __future__ import annotations

import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from intel_queries import QueryCase
from intel_threads import JUSTIFICATION, percentile

import thriives.services.intel as intel_service
from thriives.adapters.db.intel_repository import IntelRepository
from thriives.adapters.db.journal import Journal
from thriives.adapters.db.uow import SqlUnitOfWork
from thriives.bootstrap import Container
from thriives.domain.accounts import Actor

STEPS = (
    "parse terms + keys",
    "read: open unit of work",
    "candidates + shortlist",
    "facts of shortlist",
    "scoring (rank)",
    "details: people",
    "details: markers",
    "details: history",
    "read: close",
    "write: turn + BEGIN",
    "write: search record",
    "write: audit entry",
    "write: commit",
    "write: close",
    "other",
)


@dataclass(frozen=True)
class Breakdown:
    searches: int
    total_ms: list[float]
    cpu_ms: list[float]  # CPU time of the calling thread (with SQLite, the store's work too)
    steps_ms: dict[str, list[float]]  # step -> one figure per search
    keys: list[int]  # blocking keys of each search
    rows: list[int]  # people sharing a key with each search, as the service reports them
    capped: int  # searches where a key had more people than are read
    missing: list[str]  # functions of the plan not found in the code measured (not timed)

    def table(self) -> list[tuple[str, float, float, float]]:
        """(step, mean ms, p95 ms, share of the mean total) per step."""
        total = statistics.fmean(self.total_ms)
        return [
            (step, statistics.fmean(v), percentile(v, 95), statistics.fmean(v) / total)
            for step, v in self.steps_ms.items()
        ]

    def summary(self) -> dict[str, Any]:
        return {
            "searches": self.searches,
            "single_search_mean_ms": round(statistics.fmean(self.total_ms), 2),
            "single_search_p95_ms": round(percentile(self.total_ms, 95), 2),
            "single_search_cpu_mean_ms": round(statistics.fmean(self.cpu_ms), 2),
            "steps": {
                step: {"mean_ms": round(mean, 2), "p95_ms": round(p95, 2), "share": round(share, 3)}
                for step, mean, p95, share in self.table()
            },
            "keys_per_search_mean": round(statistics.fmean(self.keys), 1),
            "candidates_per_search_mean": round(statistics.fmean(self.rows), 1),
            "candidates_per_search_max": max(self.rows),
            "searches_capped": self.capped,
            "not_timed": self.missing,
        }


class _Clock:
    def __init__(self) -> None:
        self.spent: dict[str, float] = defaultdict(float)
        self.keys = 0

    def wrap(self, owner: Any, name: str, label: Callable[[tuple[Any, ...]], str]) -> Callable[..., Any]:
        original: Callable[..., Any] = getattr(owner, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.spent[label(args)] += time.perf_counter() - began

        setattr(owner, name, timed)
        return original


def _fixed(step: str) -> Callable[[tuple[Any, ...]], str]:
    return lambda _args: step


def _uow_step(read: str, write: str) -> Callable[[tuple[Any, ...]], str]:
    return lambda args: write if args[0]._write else read


# What to time. The search code is young and changes: a function that is not there is left
# out (its time shows as "other") and named in the report, rather than failing the bench.
_PLAN: list[tuple[Any, str, Callable[[tuple[Any, ...]], str]]] = [
    (intel_service, "parse_query", _fixed("parse terms + keys")),
    (intel_service, "query_keys", _fixed("parse terms + keys")),
    (intel_service, "rank", _fixed("scoring (rank)")),
    (intel_service, "shortlist", _fixed("candidates + shortlist")),  # once pure, in the service
    (SqlUnitOfWork, "__enter__", _uow_step("read: open unit of work", "write: turn + BEGIN")),
    (SqlUnitOfWork, "__exit__", _uow_step("read: close", "write: close")),
    (SqlUnitOfWork, "commit", _fixed("write: commit")),
    (IntelRepository, "candidates", _fixed("candidates + shortlist")),  # once per key, in Python
    (IntelRepository, "shortlist", _fixed("candidates + shortlist")),  # now one statement
    (IntelRepository, "facts", _fixed("facts of shortlist")),
    (IntelRepository, "people", _fixed("details: people")),
    (IntelRepository, "markers_of", _fixed("details: markers")),
    (IntelRepository, "history", _fixed("details: history")),
    (IntelRepository, "record_search", _fixed("write: search record")),
    (Journal, "audit", _fixed("write: audit entry")),
]


@contextmanager
def _timed_steps(clock: _Clock) -> Iterator[list[str]]:
    present = [(owner, name, label) for owner, name, label in _PLAN if hasattr(owner, name)]
    originals = [(owner, name, clock.wrap(owner, name, label)) for owner, name, label in present]
    keys_of = intel_service.query_keys

    def counted(*args: Any, **kwargs: Any) -> Any:
        found = keys_of(*args, **kwargs)
        clock.keys = len(found)
        return found

    intel_service.query_keys = counted
    try:
        yield [
            f"{getattr(owner, '__name__', owner)}.{name}"
            for owner, name, _ in _PLAN
            if not hasattr(owner, name)
        ]
    finally:
        intel_service.query_keys = keys_of
        for owner, name, original in reversed(originals):
            setattr(owner, name, original)


def breakdown(container: Container, actor: Actor, cases: list[QueryCase]) -> Breakdown:
    """Run each case once, alone, with its steps timed."""
    steps: dict[str, list[float]] = {step: [] for step in STEPS}
    totals, cpu, keys, considered = [], [], [], []
    capped = 0
    clock = _Clock()
    with _timed_steps(clock) as missing:
        for case in cases:
            clock.spent.clear()
            began, began_cpu = time.perf_counter(), time.thread_time()
            found = container.intel.search(actor, case.terms, datetime.now(UTC), justification=JUSTIFICATION)
            total = time.perf_counter() - began
            totals.append(total * 1000)
            cpu.append((time.thread_time() - began_cpu) * 1000)
            for step in STEPS[:-1]:
                steps[step].append(clock.spent.get(step, 0.0) * 1000)
            steps["other"].append((total - sum(clock.spent.values())) * 1000)
            keys.append(clock.keys)
            considered.append(found.considered)
            capped += bool(getattr(found, "capped", False))
    return Breakdown(len(cases), totals, cpu, steps, keys, considered, capped, missing)
