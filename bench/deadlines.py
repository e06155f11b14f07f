"""Benchmark: 10,000 open deadlines fire within 1 s of their time, none twice, none missed.

What is measured, per store (a SQLite file; a private PostgreSQL cluster with default
durability), on a fresh database:

1. **Ceilings**, same store, same run, one process (``deadline_parts.ceilings``): a bare
   one-row UPDATE of a deadline and its commit (the floor of any claim), the fire rate of
   deadlines whose effect is nothing, and the fire rate with the real effect.
2. **The seed**, once two real ``thriives worker`` processes run (default poll, as
   shipped): 5,000 graded incidents waiting for a unit, each with its attendance deadlines
   (at risk, breach): 10,000 deadlines falling due over 80 s from 5 s later, most spread at
   random, some in bursts due at one instant, inserted in bulk.
3. **The run**: the workers fire them. Part-way,
   one is killed with SIGKILL during a burst and a replacement started 5 s later (a worker
   restart); later every worker is killed and new ones started 3 s later (a full outage,
   with a burst falling due meanwhile). A watcher thread polls the store every 25 ms and
   notes when each deadline is first seen committed as fired.
4. **Checks** from the store: every deadline fired exactly once (state, attempts), none
   missed or failed; each incident has exactly one reassessment task carrying both triggers,
   one of each event, and one pending escalation. Lateness = seen committed - due (an upper
   bound; ``fired_at - due``, taken before the batch's effects, is the lower bound).

Target: every deadline that falls due while at least one worker runs (worker restart
included) is seen fired at most 1 s after its time. Deadlines due during the full outage
cannot be on time; they must fire once, none missed, and how long the catch-up took after
a worker came back is reported, with the lateness of those that fell due during it.

Run: ``scripts/uv run python bench/deadlines.py`` (``--quick``: 1,000 deadlines over 15 s).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from bench_stores import STORES, read_durability  # noqa: E402
from cpu import machine_busy_seconds  # noqa: E402
from deadline_parts import (  # noqa: E402
    Ceilings,
    Plan,
    Seeded,
    Watcher,
    WorkerProcess,
    ceilings,
    percentile,
    seed,
)
from report import app_revision  # noqa: E402
from sqlalchemy import Engine, func, select  # noqa: E402

from thriives.adapters.db.dispatch_tables import deadlines, reassessments  # noqa: E402
from thriives.adapters.db.migrate import upgrade  # noqa: E402
from thriives.adapters.db.tables import events, incidents  # noqa: E402
from thriives.bootstrap import build  # noqa: E402
from thriives.settings import Settings  # noqa: E402

TARGET_S = 1.0
LEAD_S = 5.0  # seconds between seeding and the window's start
TAG = "BENCH"
EXPECTED_EVENTS = (
    "attendance.at_risk",
    "attendance.breached",
    "reassessment.opened",
    "reassessment.trigger_added",
)

FULL = Plan(10_000, 80.0, 10, 150, kill_after_burst=2, restart_gap_s=5.0, outage_burst=7, outage_s=3.0)
QUICK = Plan(1_000, 15.0, 3, 100, kill_after_burst=0, restart_gap_s=3.0, outage_burst=2, outage_s=2.0)


def progress(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", flush=True)


@dataclass
class Phase:
    """A stretch of the run when fewer workers ran: its deadlines are reported apart."""

    name: str
    down_at: float
    back_at: float | None = None  # the first replacement said it was running


@dataclass
class StoreResult:
    store: str
    plan: Plan
    durability: dict[str, str]
    ceilings: Ceilings
    seed_s: float
    states: dict[str, int]
    attempts_not_one: int
    fired_by: dict[str, int]
    failed_events: int
    incidents: int
    incidents_right: int
    wrong_examples: list[str]
    start: float  # the window's start (epoch seconds): offsets are counted from it
    lateness: dict[int, float]  # seen committed - due, s
    claim_lateness: dict[int, float]  # fired_at - due, s
    fired_by_id: dict[int, str | None]
    other_events: dict[str, int]  # event kinds beyond the four expected: "kind xN" -> incidents
    due: dict[int, float]
    phases: list[Phase]
    workers: list[dict[str, Any]]
    machine_cores_busy: float
    load_average: tuple[float, float, float]
    notes: list[str] = field(default_factory=list)

    # ---- classification -------------------------------------------------------------

    def in_phase(self, phase: Phase) -> list[int]:
        """Deadlines due while the phase's workers were down, or in the second before and
        not yet seen fired when they went down (in flight at the kill)."""
        back = phase.back_at if phase.back_at is not None else float("inf")
        return [
            i
            for i, at in self.due.items()
            if phase.down_at - TARGET_S <= at <= back
            and (at >= phase.down_at or self.seen_at(i) >= phase.down_at)
        ]

    def seen_at(self, deadline_id: int) -> float:
        return self.due[deadline_id] + self.lateness.get(deadline_id, float("inf"))

    def outage(self) -> Phase:
        return next(p for p in self.phases if p.name == "outage")

    def restart(self) -> Phase:
        return next(p for p in self.phases if p.name == "restart")

    def caught_up_at(self) -> float:
        """When the last deadline of the full outage was seen fired: its backlog cleared."""
        return max((self.seen_at(i) for i in self.in_phase(self.outage())), default=float("nan"))

    def catching_up(self) -> list[int]:
        """Deadlines due after a worker was back from the full outage, while its backlog (fired
        oldest first) was still being fired: late because of the outage, reported apart."""
        back, cleared = self.outage().back_at or 0.0, self.caught_up_at()
        outage = set(self.in_phase(self.outage()))
        return [i for i, at in self.due.items() if back < at <= cleared and i not in outage]

    def on_time_set(self) -> list[int]:
        """Deadlines due while at least one worker ran (the worker restart included), except
        those of the full outage and of its catch-up."""
        excluded = set(self.in_phase(self.outage())) | set(self.catching_up())
        return [i for i in self.due if i not in excluded]

    def missed(self) -> int:
        return self.states.get("pending", 0)

    def verdicts(self) -> dict[str, bool]:
        on_time = [self.lateness.get(i, float("inf")) for i in self.on_time_set()]
        total = self.plan.deadlines
        return {
            f"every deadline fired ({total:,})": self.states.get("fired", 0) == total,
            "none missed (still pending)": self.missed() == 0,
            "none failed": self.states.get("failed", 0) == 0 and self.failed_events == 0,
            "none fired twice (attempts = 1, one effect each)": self.attempts_not_one == 0
            and self.incidents_right == self.incidents,
            f"due with a worker running: all seen fired <= {TARGET_S:g} s late": bool(on_time)
            and max(on_time) <= TARGET_S,
        }

    def passed(self) -> bool:
        return all(self.verdicts().values())


def stats(values: list[float]) -> str:
    if not values:
        return "none"
    ms = [v * 1000 for v in values]
    return (
        f"p50 {percentile(ms, 50):.0f}, p95 {percentile(ms, 95):.0f}, p99 {percentile(ms, 99):.0f}, "
        f"max {max(ms):.0f} ms"
    )


def stats_json(values: list[float]) -> dict[str, Any]:
    ms = [v * 1000 for v in values]
    if not ms:
        return {"count": 0}
    return {
        "count": len(ms),
        "p50_ms": round(percentile(ms, 50), 1),
        "p95_ms": round(percentile(ms, 95), 1),
        "p99_ms": round(percentile(ms, 99), 1),
        "max_ms": round(max(ms), 1),
    }


# ---- the run --------------------------------------------------------------------------------


def run_workers(
    url: str, plan: Plan, sow: Callable[[datetime], Seeded]
) -> tuple[Seeded, float, Watcher, list[WorkerProcess], list[Phase]]:
    """Start two workers, then seed the deadlines (``sow``) a few seconds ahead of the window
    and start the watcher; kill and replace workers as planned; wait for the end."""
    live = [WorkerProcess("w1", url), WorkerProcess("w2", url)]
    every = list(live)
    watcher: Watcher | None = None
    try:
        for worker in live:
            worker.start()
        for worker in live:
            worker.wait_running()
        start_at = datetime.now(UTC) + timedelta(seconds=LEAD_S)
        seeded = sow(start_at)
        start = start_at.timestamp()
        if time.time() > start - 1.0:
            raise RuntimeError(f"seeding took {seeded.seconds:.1f} s: the window began before it was done")
        progress(
            f"2 workers running; seeded {len(seeded.incident_ids):,} graded incidents and "
            f"{len(seeded.deadline_ids):,} deadlines in {seeded.seconds:.1f} s; "
            f"the first falls due in {start - time.time():.1f} s"
        )
        watcher = Watcher(url, seeded.due)
        watcher.start()
        restart = Phase("restart", 0.0)
        outage = Phase("outage", 0.0)
        actions: list[tuple[float, str]] = [
            (plan.kill_offset(), "kill one"),
            (plan.kill_offset() + plan.restart_gap_s, "replace one"),
            (plan.outage_offset(), "kill all"),
            (plan.outage_offset() + plan.outage_s, "replace all"),
        ]
        names = iter(f"w{n}" for n in range(3, 20))
        replacements: dict[str, list[WorkerProcess]] = {"restart": [], "outage": []}
        for offset, action in actions:
            time.sleep(max(0.0, start + offset - time.time()))
            if action == "kill one":
                victim = live.pop(0)
                victim.kill()
                restart.down_at = victim.stopped or time.time()
                progress(f"SIGKILL {victim.name} (pid {victim.pid}) at +{restart.down_at - start:.2f} s")
            elif action == "kill all":
                outage.down_at = time.time()
                for victim in live:
                    victim.kill()
                names_killed = ", ".join(w.name for w in live)
                progress(f"SIGKILL every worker ({names_killed}) at +{outage.down_at - start:.2f} s")
                live = []
            else:
                count = 1 if action == "replace one" else 2
                new = [WorkerProcess(next(names), url) for _ in range(count)]
                for worker in new:
                    worker.start()
                live += new
                every += new
                replacements["restart" if action == "replace one" else "outage"] += new
                progress(f"started {', '.join(w.name for w in new)} at +{time.time() - start:.2f} s")
        for phase in (restart, outage):
            for worker in replacements[phase.name]:
                worker.wait_running()
            phase.back_at = min(w.running_at for w in replacements[phase.name] if w.running_at is not None)
            progress(f"{phase.name}: workers back at +{phase.back_at - start:.2f} s")
        end = start + plan.window_s
        time.sleep(max(0.0, end - time.time()))
        until = end + 30.0
        while not watcher.done() and time.time() < until:
            time.sleep(0.1)
        time.sleep(0.5)  # a fired-twice effect would land about now
    finally:
        for worker in every:
            if worker.process is not None and worker.process.poll() is None:
                worker.stop()
        if watcher is not None:
            watcher.stop()
    assert watcher is not None
    return seeded, start, watcher, every, [restart, outage]


def check_store(engine: Engine, seeded: Seeded) -> dict[str, Any]:
    """Read back what the workers did: states, attempts, and each incident's effects."""
    low, high = min(seeded.deadline_ids), max(seeded.deadline_ids)
    mine = deadlines.c.id.between(low, high)
    bench = incidents.c.reference.like(f"{TAG}-%")
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                deadlines.c.id,
                deadlines.c.state,
                deadlines.c.attempts,
                deadlines.c.fired_at,
                deadlines.c.fired_by,
            ).where(mine)
        ).all()
        tasks = dict(
            connection.execute(
                select(reassessments.c.incident_id, func.count())
                .join(incidents, incidents.c.id == reassessments.c.incident_id)
                .where(bench)
                .group_by(reassessments.c.incident_id)
            ).all()
        )
        triggers = {
            row.incident_id: sorted(t["trigger"] for t in row.triggers)
            for row in connection.execute(
                select(reassessments.c.incident_id, reassessments.c.triggers)
                .join(incidents, incidents.c.id == reassessments.c.incident_id)
                .where(bench)
            )
        }
        event_counts: dict[str, Counter[str]] = {}
        for incident_id, kind, count in connection.execute(
            select(events.c.incident_id, events.c.kind, func.count())
            .join(incidents, incidents.c.id == events.c.incident_id)
            .where(bench)
            .group_by(events.c.incident_id, events.c.kind)
        ):
            event_counts.setdefault(incident_id, Counter())[kind] = count
        escalations = dict(
            connection.execute(
                select(deadlines.c.incident_id, func.count())
                .join(incidents, incidents.c.id == deadlines.c.incident_id)
                .where(bench, deadlines.c.kind == "reassessment.escalate", deadlines.c.state == "pending")
                .group_by(deadlines.c.incident_id)
            ).all()
        )
        failed_events = connection.execute(
            select(func.count()).select_from(events).where(events.c.kind == "deadline.failed")
        ).scalar_one()
    wrong: list[str] = []
    others: Counter[str] = Counter()  # other event kinds the effect writes, "kind xN": incidents
    for incident_id in seeded.incident_ids:
        counts = event_counts.get(incident_id, Counter())
        others.update(f"{kind} x{n}" for kind, n in counts.items() if kind not in EXPECTED_EVENTS)
        problems = []
        if tasks.get(incident_id, 0) != 1:
            problems.append(f"{tasks.get(incident_id, 0)} tasks")
        if triggers.get(incident_id) != ["clock_at_risk", "clock_breached"]:
            problems.append(f"triggers {triggers.get(incident_id)}")
        if any(counts[kind] != 1 for kind in EXPECTED_EVENTS):
            problems.append(f"events {dict(counts)}")
        if escalations.get(incident_id, 0) != 1:
            problems.append(f"{escalations.get(incident_id, 0)} pending escalations")
        if problems:
            wrong.append(f"{incident_id}: {'; '.join(problems)}")
    return {
        "states": dict(Counter(r.state for r in rows)),
        "attempts_not_one": sum(1 for r in rows if r.state == "fired" and r.attempts != 1),
        "fired_by": dict(Counter(r.fired_by for r in rows if r.fired_by)),
        "claim_lateness": {
            r.id: r.fired_at.timestamp() - seeded.due[r.id] for r in rows if r.fired_at is not None
        },
        "failed_events": int(failed_events),
        "fired_by_id": {r.id: r.fired_by for r in rows},
        "other_events": dict(others),
        "wrong": wrong,
    }


def bench_store(name: str, plan: Plan, ceiling_count: int) -> StoreResult:
    load = os.getloadavg()
    progress(f"{name}: starting a fresh store (load average {load[0]:.1f}) ...")
    with STORES[name]() as store:
        container = build(Settings(database_url=store.url))
        try:
            upgrade(container.engine)
            durability = read_durability(container.engine)
            progress(f"{name}: migrated; {durability}")
            progress(f"{name}: ceilings ({ceiling_count:,} deadlines each, one process) ...")
            limits = ceilings(container, ceiling_count)
            progress(f"{name}: ceilings {limits.summary()}")
            busy_before, wall_before = machine_busy_seconds(), time.time()
            seeded, start, watcher, workers, phases = run_workers(
                store.url, plan, lambda start_at: seed(container.engine, plan.offsets(), start_at, TAG)
            )
            cores_busy = (machine_busy_seconds() - busy_before) / (time.time() - wall_before)
            progress(
                f"{name}: window over; {len(watcher.seen):,} seen fired ({watcher.polls:,} polls); checking"
            )
            found = check_store(container.engine, seeded)
        finally:
            container.close()
    lateness = {i: watcher.seen[i] - seeded.due[i] for i in watcher.seen}
    notes = [f"{w.name}: {line}" for w in workers for line in w.problems()[:5]]
    return StoreResult(
        store=name,
        plan=plan,
        durability=durability,
        ceilings=limits,
        seed_s=seeded.seconds,
        states=found["states"],
        attempts_not_one=found["attempts_not_one"],
        fired_by=found["fired_by"],
        failed_events=found["failed_events"],
        incidents=len(seeded.incident_ids),
        incidents_right=len(seeded.incident_ids) - len(found["wrong"]),
        wrong_examples=found["wrong"][:10],
        start=start,
        lateness=lateness,
        claim_lateness=found["claim_lateness"],
        fired_by_id=found["fired_by_id"],
        other_events=found["other_events"],
        due=seeded.due,
        phases=phases,
        workers=[
            {
                "name": w.name,
                "pid": w.pid,
                "started_to_running_s": round((w.running_at or w.started) - w.started, 2),
                "cpu_s": round(w.cpu_s, 2),
                "fired": found["fired_by"].get(w.name, 0),
            }
            for w in workers
        ],
        machine_cores_busy=cores_busy,
        load_average=load,
        notes=notes,
    )


# ---- the report ---------------------------------------------------------------------------------


def bursts(result: StoreResult) -> list[dict[str, Any]]:
    """Each burst: how many fell due at its instant, the latest claim (``fired_at - due``),
    in how many batches (worker and claim time) they fired, and the last one's lateness."""
    by_due: dict[float, list[int]] = {}
    for deadline_id, at in result.due.items():
        by_due.setdefault(round(at - result.start, 3), []).append(deadline_id)
    out = []
    for offset in result.plan.burst_offsets():
        ids = by_due.get(round(offset, 3), [])
        claims = [result.claim_lateness[i] for i in ids if i in result.claim_lateness]
        batches = {(result.fired_by_id.get(i), round(result.claim_lateness.get(i, -1.0), 6)) for i in ids}
        out.append(
            {
                "offset_s": offset,
                "due": len(ids),
                "last_claimed_ms": round(max(claims) * 1000) if claims else "never",
                "batches": len(batches),
                "last_seen_ms": round(max(result.lateness[i] for i in ids) * 1000)
                if all(i in result.lateness for i in ids) and ids
                else "never",
            }
        )
    return out


def render(result: StoreResult) -> str:
    plan, c = result.plan, result.ceilings
    restart, outage = result.restart(), result.outage()
    on_time = [result.lateness[i] for i in result.on_time_set() if i in result.lateness]
    during_restart = [result.lateness[i] for i in result.in_phase(restart) if i in result.lateness]
    during_outage = [result.lateness[i] for i in result.in_phase(outage) if i in result.lateness]
    catching_up = [result.lateness[i] for i in result.catching_up() if i in result.lateness]
    catch_up = [
        result.due[i] + result.lateness[i] - (outage.back_at or 0.0)
        for i in result.in_phase(outage)
        if i in result.lateness
    ]
    mean_rate = plan.deadlines / plan.window_s
    fired = result.states.get("fired", 0)
    settings = ", ".join(f"{k}={v}" for k, v in result.durability.items())
    lines = [
        f"== deadlines: {result.store} ({settings}), commit {app_revision()['commit'][:9]}",
        f"  {plan.deadlines:,} deadlines on {result.incidents:,} graded incidents over {plan.window_s:g} s "
        f"(mean {mean_rate:.0f}/s; {plan.bursts} bursts of {plan.burst_size} due at one instant); "
        f"2 workers; seeded in {result.seed_s:.1f} s",
        f"  machine: {result.machine_cores_busy:.2f} of {os.cpu_count()} cores busy during the run; "
        f"load average before {result.load_average[0]:.1f}",
        f"  fired {fired:,}, still pending {result.missed()}, failed {result.states.get('failed', 0)}, "
        f"attempts != 1: {result.attempts_not_one}, deadline.failed events: {result.failed_events}",
        f"  incidents with exactly one task, both triggers, one of each event, one escalation: "
        f"{result.incidents_right:,} / {result.incidents:,}"
        + (
            "; other events (kind x per incident: incidents): "
            + ", ".join(f"{k}: {v:,}" for k, v in sorted(result.other_events.items()))
            if result.other_events
            else ""
        ),
        f"  fired by: {', '.join(f'{k} {v:,}' for k, v in sorted(result.fired_by.items()))}",
        "  lateness, seen committed - due (upper bound, 25 ms polls):",
        f"    due with a worker running ({len(on_time):,}): {stats(on_time)}",
        f"    of which due while one worker was down (restart, {len(during_restart)}; down "
        f"{(restart.back_at or 0) - restart.down_at:.1f} s): {stats(during_restart)}",
        f"    due while no worker ran (outage, {len(during_outage)}; down "
        f"{(outage.back_at or 0) - outage.down_at:.1f} s): {stats(during_outage)}; "
        f"all fired within {max(catch_up, default=float('nan')):.2f} s of a worker being back",
        f"    due after the outage while its backlog was fired ({len(catching_up)}): {stats(catching_up)}",
        f"  lateness, fired_at - due (the worker's clock at the claim; lower bound): "
        f"{stats([result.claim_lateness[i] for i in result.on_time_set() if i in result.claim_lateness])}",
        "  bursts (at s: due at once -> last claimed after / batches / last seen fired after):",
        "    "
        + ", ".join(
            f"{b['offset_s']:g}: {b['due']} -> {b['last_claimed_ms']} ms / {b['batches']} / "
            f"{b['last_seen_ms']} ms"
            for b in bursts(result)
        ),
        "  ceilings, same store, this run, one process:",
        f"    bare claim (one-row UPDATE + commit): p50 {percentile(c.bare_update_ms, 50):.1f} ms, "
        f"p99 {percentile(c.bare_update_ms, 99):.1f} ms = "
        f"{c.summary()['bare_update_per_s']:.0f}/s one at a time",
        f"    fire, effect-free (claim only, batches of 200): {c.effect_free_per_s:,.0f}/s",
        f"    fire, real effect (task, escalation, 2 events): {c.real_per_s:,.0f}/s; a batch of 200 "
        f"takes {percentile(c.real_batch_ms, 50):.0f} ms",
        f"    required: mean {mean_rate:.0f}/s; a burst of {plan.burst_size} on time needs "
        f">= {plan.burst_size / TARGET_S:.0f}/s for {TARGET_S:g} s "
        f"(headroom {c.real_per_s / (plan.burst_size / TARGET_S):.1f}x)",
    ]
    lines += [f"  wrong: {w}" for w in result.wrong_examples]
    lines += [f"  note: {n}" for n in result.notes]
    lines += [f"  {'PASS' if ok else 'FAIL'}  {name}" for name, ok in result.verdicts().items()]
    return "\n".join(lines)


def timeline(result: StoreResult) -> list[dict[str, Any]]:
    """Second by second of the window: deadlines due, the worst lateness among them, and
    how many each worker fired (by the time it saw it committed)."""
    seconds: dict[int, dict[str, Any]] = {}
    for deadline_id, at in result.due.items():
        row = seconds.setdefault(int(at - result.start), {"due": 0, "worst_ms": 0.0, "fired": Counter()})
        row["due"] += 1
        row["worst_ms"] = max(row["worst_ms"], result.lateness.get(deadline_id, float("inf")) * 1000)
    for deadline_id, seen in result.lateness.items():
        second = int(result.due[deadline_id] + seen - result.start)
        row = seconds.setdefault(second, {"due": 0, "worst_ms": 0.0, "fired": Counter()})
        row["fired"][result.fired_by_id.get(deadline_id) or "?"] += 1
    return [
        {"second": k, "due": v["due"], "worst_lateness_ms": round(v["worst_ms"]), "fired": dict(v["fired"])}
        for k, v in sorted(seconds.items())
    ]


def write_json(result: StoreResult, folder: Path, quick: bool) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    restart, outage = result.restart(), result.outage()
    on_time = [result.lateness[i] for i in result.on_time_set() if i in result.lateness]
    data = {
        "benchmark": "deadlines",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": quick,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count() or 0},
        "load_average_before": result.load_average,
        "machine_cores_busy": round(result.machine_cores_busy, 2),
        "app_revision": app_revision(),
        "store": result.store,
        "store_settings": result.durability,
        "plan": result.plan.__dict__,
        "ceilings": result.ceilings.summary(),
        "states": result.states,
        "attempts_not_one": result.attempts_not_one,
        "fired_by": result.fired_by,
        "incidents_right": result.incidents_right,
        "other_events": result.other_events,
        "incidents": result.incidents,
        "lateness_seen": stats_json(on_time),
        "lateness_claim": stats_json(
            [result.claim_lateness[i] for i in result.on_time_set() if i in result.claim_lateness]
        ),
        "restart": {
            "down_s": round((restart.back_at or 0) - restart.down_at, 2),
            "lateness_seen": stats_json(
                [result.lateness[i] for i in result.in_phase(restart) if i in result.lateness]
            ),
        },
        "outage": {
            "down_s": round((outage.back_at or 0) - outage.down_at, 2),
            "backlog_cleared_after_back_s": round(result.caught_up_at() - (outage.back_at or 0), 2),
            "catching_up_lateness_seen": stats_json(
                [result.lateness[i] for i in result.catching_up() if i in result.lateness]
            ),
            "lateness_seen": stats_json(
                [result.lateness[i] for i in result.in_phase(outage) if i in result.lateness]
            ),
        },
        "workers": result.workers,
        "bursts": bursts(result),
        "timeline": timeline(result),
        "verdicts": result.verdicts(),
        "passed": result.passed(),
    }
    path = folder / f"deadlines-{result.store}{'-quick' if quick else ''}.json"
    path.write_text(json.dumps(data, indent=2) + "\n")
    return path


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--stores", default="sqlite,postgresql", help="comma-separated, from: " + ", ".join(STORES)
    )
    parser.add_argument("--quick", action="store_true", help="1,000 deadlines over 15 s (a smoke run)")
    parser.add_argument("--deadlines", type=int, help="how many (even; default 10,000, quick 1,000)")
    parser.add_argument("--window", type=float, help="seconds over which they fall due (80; quick 15)")
    parser.add_argument(
        "--burst-size", type=int, help="deadlines due at each burst's instant (150; quick 100)"
    )
    parser.add_argument("--results", type=Path, default=BENCH / "results", help="folder for the JSON results")
    args = parser.parse_args(argv)
    unknown = set(args.stores.split(",")) - set(STORES)
    if unknown:
        parser.error(f"unknown store(s): {', '.join(sorted(unknown))}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    plan = QUICK if args.quick else FULL
    changes = {
        key: value
        for key, value in (
            ("deadlines", args.deadlines),
            ("window_s", args.window),
            ("burst_size", args.burst_size),
        )
        if value is not None
    }
    plan = Plan(**(plan.__dict__ | changes))
    if plan.deadlines % 2 or plan.bursts * plan.burst_size > plan.deadlines:
        raise SystemExit("--deadlines must be even and at least bursts x burst size")
    results = [bench_store(name, plan, 1_000 if args.quick else 2_000) for name in args.stores.split(",")]
    for result in results:
        print()
        print(render(result))
        print(f"  results: {write_json(result, args.results, args.quick)}")
    return 0 if all(r.passed() for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
