"""Pieces of the deadline benchmark: the schedule, the seed, the workers, the watcher, the ceilings.

- ``plan``: when each deadline falls due (a steady flow plus bursts due at one instant), paired
  into real incidents (each gets an at-risk and a breach deadline, the earlier one at risk).
- ``seed``: graded incidents and their attendance deadlines, inserted in bulk in one
  transaction, straight into the tables (what grading would have written, ten thousand times).
- ``WorkerProcess``: a real ``thriives worker`` subprocess; the time it said it was running.
- ``Watcher``: a thread that polls the store every 25 ms for deadlines committed as fired and
  notes when it first saw each one: an upper bound on the commit time (the worker's own
  ``fired_at`` is taken before its batch's effects, so it is a lower bound).
- ``ceilings``: the store's floor for a claim (one-row UPDATE and commit), the fire rate of
  deadlines whose effect is nothing, and the fire rate with the real effect, one process.
"""

from __future__ import annotations

import contextlib
import math
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bodies import call_body, load_policy
from sqlalchemy import Engine, bindparam, insert, select, update

from thriives.adapters.db.dispatch_tables import deadlines
from thriives.adapters.db.engine import WRITE, make_engine
from thriives.adapters.db.tables import incidents
from thriives.bootstrap import Container
from thriives.domain.clocks import DeadlineKind

AT_RISK = DeadlineKind.ATTENDANCE_AT_RISK.value
BREACH = DeadlineKind.ATTENDANCE_BREACH.value
GRADES = ("emergency", "emergency", "priority", "priority", "priority")


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (NaN when empty)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered), max(1, math.ceil(p / 100 * len(ordered)))) - 1]


def wall(moment: datetime) -> float:
    return moment.timestamp()


# ---- the schedule -------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    deadlines: int
    window_s: float
    bursts: int
    burst_size: int
    kill_after_burst: int  # the burst during which one worker is killed (SIGKILL)
    restart_gap_s: float  # seconds before its replacement is started
    outage_burst: int  # the burst that falls due while every worker is down
    outage_s: float  # seconds between killing every worker and starting new ones
    seed: int = 5

    def burst_offsets(self) -> list[float]:
        return [round(self.window_s * (k + 0.5) / self.bursts, 3) for k in range(self.bursts)]

    def kill_offset(self) -> float:
        return self.burst_offsets()[self.kill_after_burst] + 0.15  # mid-batch, most likely

    def outage_offset(self) -> float:
        return self.burst_offsets()[self.outage_burst] - 1.0

    def offsets(self) -> list[tuple[float, float]]:
        """(at-risk, breach) offsets in seconds from the window's start, one pair per incident."""
        rng = random.Random(self.seed)
        steady = self.deadlines - self.bursts * self.burst_size
        times = [rng.uniform(0.0, self.window_s) for _ in range(steady)]
        for at in self.burst_offsets():
            times += [at] * self.burst_size
        rng.shuffle(times)
        return [(min(a, b), max(a, b)) for a, b in zip(times[0::2], times[1::2], strict=True)]


# ---- the seed -----------------------------------------------------------------------------


def incident_rows(count: int, now: datetime, tag: str, rng: random.Random) -> list[dict[str, Any]]:
    """Graded incidents waiting for a unit, as opening and grading would have left them."""
    policy = load_policy()
    rows = []
    for i in range(count):
        body = call_body(rng, policy)
        received = now - timedelta(seconds=rng.uniform(60, 900))
        rows.append(
            {
                "id": str(uuid.uuid4()),
                "reference": f"{tag}-{i:06d}",
                "status": "graded",
                "channel": body["channel"],
                "received_at": received,
                "opening_category": body["opening_category"],
                "qualifiers": sorted(body["qualifiers"]),
                "asb_qualifier": body.get("asb_qualifier"),
                "caller_name": body["caller_name"],
                "caller_phone": body["caller_phone"].replace(" ", ""),
                "location_text": body["location_text"],
                "postcode": body["postcode"],
                "latitude": body.get("latitude"),
                "longitude": body.get("longitude"),
                "account": body["account"],
                "closing_category": None,
                "closure_reason": None,
                "closure_note": None,
                "policy_version": "bench",
                "created_by": None,
                "created_at": received,
                "updated_at": received + timedelta(seconds=50),
                "version": 2,
                "grade": rng.choice(GRADES),
                "graded_at": received + timedelta(seconds=50),
                "dash_exemption": None,
                "area": rng.choice(("urban", "urban", "rural")),
                "dispatched_at": None,
                "arrived_at": None,
            }
        )
    return rows


def deadline_row(kind: str, due: datetime, now: datetime, incident_id: str | None) -> dict[str, Any]:
    return {
        "kind": kind,
        "incident_id": incident_id,
        "subject_id": None,
        "due_at": due,
        "state": "pending",
        "created_at": now,
        "attempts": 0,
    }


@dataclass(frozen=True)
class Seeded:
    incident_ids: list[str]
    deadline_ids: list[int]
    due: dict[int, float]  # deadline id -> due time (epoch seconds)
    kind: dict[int, str]
    seconds: float


def seed(engine: Engine, pairs: list[tuple[float, float]], start: datetime, tag: str) -> Seeded:
    """Insert one graded incident per pair and its at-risk and breach deadlines, in one transaction."""
    began = time.perf_counter()
    now = datetime.now(UTC)
    rows = incident_rows(len(pairs), now, tag, random.Random(len(pairs)))
    at_risk = [
        deadline_row(AT_RISK, start + timedelta(seconds=a), now, row["id"])
        for row, (a, _) in zip(rows, pairs, strict=True)
    ]
    breach = [
        deadline_row(BREACH, start + timedelta(seconds=b), now, row["id"])
        for row, (_, b) in zip(rows, pairs, strict=True)
    ]
    ids = [row["id"] for row in rows]
    with engine.connect().execution_options(**{WRITE: True}) as connection, connection.begin():
        connection.execute(insert(incidents), rows)
        first = connection.execute(select(deadlines.c.id).order_by(deadlines.c.id.desc()).limit(1)).scalar()
        connection.execute(insert(deadlines), at_risk + breach)  # at risk first: smaller ids
        found = connection.execute(
            select(deadlines.c.id, deadlines.c.due_at, deadlines.c.kind).where(deadlines.c.id > (first or 0))
        ).all()
    return Seeded(
        ids,
        [r.id for r in found],
        {r.id: wall(r.due_at) for r in found},
        {r.id: r.kind for r in found},
        time.perf_counter() - began,
    )


# ---- the workers --------------------------------------------------------------------------


def thriives_command() -> list[str]:
    script = Path(sys.executable).with_name("thriives")
    if script.exists():
        return [str(script)]
    found = shutil.which("thriives")
    if found is None:
        raise FileNotFoundError("the thriives command is not installed in this environment")
    return [found]


@dataclass
class WorkerProcess:
    """``thriives worker --name NAME`` against the store; its output is kept and scanned."""

    name: str
    url: str
    started: float = 0.0
    running_at: float | None = None  # when it printed that it was running
    stopped: float | None = None
    cpu_s: float = 0.0
    output: list[str] = field(default_factory=list)
    process: subprocess.Popen[str] | None = None

    def start(self) -> None:
        env = os.environ | {"THRIIVES_DATABASE_URL": self.url, "PYTHONUNBUFFERED": "1"}
        env.pop("THRIIVES_WORKER_POLL_SECONDS", None)  # the default, as shipped
        self.started = time.time()
        self.process = subprocess.Popen(
            [*thriives_command(), "worker", "--name", self.name],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            if self.running_at is None and "worker running" in line:
                self.running_at = time.time()
            self.output.append(line.rstrip())

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def _note_cpu(self) -> None:
        from cpu import process_cpu_seconds

        with contextlib.suppress(OSError, IndexError):
            self.cpu_s = process_cpu_seconds(self.pid)

    def kill(self) -> None:
        """SIGKILL: no clean-up, a batch in flight is simply gone."""
        assert self.process is not None
        self._note_cpu()
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        self.stopped = time.time()

    def stop(self) -> None:
        assert self.process is not None
        if self.process.poll() is None:
            self._note_cpu()
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.stopped is None:
            self.stopped = time.time()

    def wait_running(self, timeout: float = 60.0) -> float:
        until = time.time() + timeout
        while self.running_at is None:
            if self.process is not None and self.process.poll() is not None:
                tail = "\n".join(self.output[-80:])
                raise RuntimeError(f"worker {self.name} exited with {self.process.returncode}:\n{tail}")
            if time.time() > until:
                raise TimeoutError(f"worker {self.name} did not start in {timeout} s")
            time.sleep(0.02)
        return self.running_at

    def problems(self) -> list[str]:
        return [line for line in self.output if "Error" in line or "Traceback" in line or "failed" in line]


# ---- the watcher --------------------------------------------------------------------------


class Watcher:
    """Polls the store for deadlines committed as fired; notes when each was first seen.

    The time noted is when the poll that found it returned: the commit happened before it,
    so the lateness derived from it is an upper bound, at most one poll (25 ms) too high.
    """

    def __init__(self, url: str, due: dict[int, float], interval: float = 0.025) -> None:
        self._engine = make_engine(url, pool_size=1)
        self._due = due
        self._interval = interval
        self._order = sorted((at, deadline_id) for deadline_id, at in due.items())
        self._next = 0  # index in _order of the earliest deadline not yet seen
        self._low, self._high = min(due), max(due)
        self.seen: dict[int, float] = {}
        self.polls = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="watcher", daemon=True)
        self._query = (
            select(deadlines.c.id)
            .where(
                deadlines.c.state.in_(("fired", "failed")),
                deadlines.c.due_at >= bindparam("low"),
                deadlines.c.due_at <= bindparam("high"),
                deadlines.c.id.between(self._low, self._high),
            )
            .order_by(None)
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self._engine.dispose()

    def done(self) -> bool:
        return self._next >= len(self._order)

    def _run(self) -> None:
        while not self._stop.is_set() and not self.done():
            now = time.time()
            if self._order[self._next][0] <= now:
                low = datetime.fromtimestamp(self._order[self._next][0], UTC) - timedelta(milliseconds=1)
                high = datetime.fromtimestamp(now + 0.5, UTC)
                with self._engine.connect() as connection:
                    found = [row[0] for row in connection.execute(self._query, {"low": low, "high": high})]
                at = time.time()
                self.polls += 1
                for deadline_id in found:
                    self.seen.setdefault(deadline_id, at)
                while not self.done() and self._order[self._next][1] in self.seen:
                    self._next += 1
            self._stop.wait(self._interval)


# ---- the ceilings -------------------------------------------------------------------------


@dataclass(frozen=True)
class Ceilings:
    bare_update_ms: list[float]  # one-row UPDATE of a pending deadline + commit, one at a time
    effect_free_per_s: float  # DeadlineService.fire_due, deadlines with no incident: claim only
    real_per_s: float  # DeadlineService.fire_due, attendance deadlines on graded incidents
    real_batch_ms: list[float]  # each fire_due call (a batch of up to 200) with the real effect

    def summary(self) -> dict[str, Any]:
        return {
            "bare_update_p50_ms": round(percentile(self.bare_update_ms, 50), 2),
            "bare_update_p99_ms": round(percentile(self.bare_update_ms, 99), 2),
            "bare_update_per_s": round(len(self.bare_update_ms) / (sum(self.bare_update_ms) / 1000), 1),
            "fire_effect_free_per_s": round(self.effect_free_per_s, 1),
            "fire_real_effect_per_s_one_process": round(self.real_per_s, 1),
            "fire_real_batch_of_200_p50_ms": round(percentile(self.real_batch_ms, 50), 1),
            "fire_real_batch_of_200_max_ms": round(max(self.real_batch_ms, default=float("nan")), 1),
        }


def _drain(container: Container, count: int) -> tuple[float, list[float]]:
    """Fire due deadlines in batches of 200 until ``count`` have fired; (per second, batch ms)."""
    batches: list[float] = []
    fired = 0
    began = time.perf_counter()
    while fired < count:
        t = time.perf_counter()
        done = container.deadlines.fire_due(container.clock(), "ceiling", 200)
        batches.append((time.perf_counter() - t) * 1000)
        if not done:
            break
        fired += len(done)
    return fired / (time.perf_counter() - began), batches


def ceilings(container: Container, count: int) -> Ceilings:
    """The store's own limits, in this process, on rows the run itself never counts."""
    engine = container.engine
    now = datetime.now(UTC)
    past = now - timedelta(seconds=1)
    with engine.connect().execution_options(**{WRITE: True}) as connection, connection.begin():
        connection.execute(insert(deadlines), [deadline_row(AT_RISK, past, now, None) for _ in range(300)])
        bare_ids = [
            row[0]
            for row in connection.execute(
                select(deadlines.c.id).where(deadlines.c.state == "pending").order_by(deadlines.c.id)
            )
        ]
    claim = (
        update(deadlines)
        .where(deadlines.c.id == bindparam("deadline"), deadlines.c.state == "pending")
        .values(state="fired", fired_at=bindparam("at"), fired_by="bare", attempts=1)
    )
    bare: list[float] = []
    for deadline_id in bare_ids:
        t = time.perf_counter()
        with engine.connect().execution_options(**{WRITE: True}) as connection, connection.begin():
            connection.execute(claim, {"deadline": deadline_id, "at": datetime.now(UTC)})
        bare.append((time.perf_counter() - t) * 1000)
    # Effect-free: attendance deadlines without an incident do nothing but be claimed.
    with engine.connect().execution_options(**{WRITE: True}) as connection, connection.begin():
        connection.execute(insert(deadlines), [deadline_row(AT_RISK, past, now, None) for _ in range(count)])
    free_rate, _ = _drain(container, count)
    # The real effect: graded incidents, one at-risk deadline each: a reassessment task,
    # its escalation deadline and two events, in the batch's transaction.
    rows = incident_rows(count, now, "CEIL", random.Random(7))
    with engine.connect().execution_options(**{WRITE: True}) as connection, connection.begin():
        connection.execute(insert(incidents), rows)
        connection.execute(insert(deadlines), [deadline_row(AT_RISK, past, now, r["id"]) for r in rows])
    real_rate, batches = _drain(container, count)
    return Ceilings(bare, free_rate, real_rate, batches)
