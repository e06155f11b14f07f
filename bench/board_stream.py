"""Benchmark: 300 live-board subscribers; a change reaches all of them, p99 <= 1 s, at 50 openings/s.

What is measured, per store (a SQLite file; a private PostgreSQL cluster with default
durability), on a fresh database, against a real ``thriives serve`` process (one server
process, as shipped: the deadline worker in process, the event feed polled every
``THRIIVES_EVENT_POLL_SECONDS``):

1. **Ceiling: opening capacity.** ``loadgen.py`` (32 keep-alive clients, closed loop) drives
   ``POST /api/v1/incidents`` with no subscriber: the most the server opens a second, to set
   beside the 50 a second asked for.
2. **Floor: one subscriber.** One subscriber on ``GET /api/v1/board/stream`` while incidents
   are opened at 50 a second for 10 s: the latency the feed's design gives when fan-out costs
   nothing (a poll every 0.25 s: about 0.125 s on average).
3. **The run: 300 subscribers** (two client processes of 150, so the clients use both cores,
   not the server's) while incidents are opened at 50 a second for 30 s, open loop (request i
   is due at start + i/50, whatever the answers before it did).

For every incident opened (201) and every subscriber, the latency is the time the subscriber
received the ``board`` frame carrying its ``incident.opened`` event minus the event's ``at``
(the server's clock when it began opening the incident, before the commit: the conservative
measure), and also minus the time the POST's answer arrived. Every subscriber must receive
every opened incident. Targets: p99 over subscribers x events <= 1 s; none missing; the load
as asked (at least 98% of 50/s achieved; sends at most 250 ms behind schedule at p99, over
64 keep-alive connections, one per call handler's browser, so a slow answer does not hold the
next request back).

Run: ``scripts/uv run python bench/board_stream.py`` (``--help`` for sizes and stores;
``--quick``: the same 300 subscribers for 10 s, floor 5 s, capacity 3 s).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from bench_stores import STORES, Store, free_port, read_durability  # noqa: E402
from cpu import machine_busy_seconds, process_cpu_seconds  # noqa: E402
from deadline_parts import percentile, thriives_command  # noqa: E402
from harness import LoadResult, Server, run_load, wait_for_port  # noqa: E402
from report import app_revision  # noqa: E402

from thriives.adapters.db.migrate import upgrade  # noqa: E402
from thriives.bootstrap import build  # noqa: E402
from thriives.domain.accounts import Role  # noqa: E402
from thriives.settings import Settings  # noqa: E402

TARGET_P99_S = 1.0
MIN_RATE_SHARE = 0.98
MAX_SEND_LAG_P99_S = 0.25
PASSWORD = "bench-password-not-secret"


def progress(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", flush=True)


@dataclass
class Phase:
    """One stretch of load: who subscribed, what was opened, what each subscriber received."""

    name: str
    subscribers: int
    rate: float
    duration_s: float
    opened: int = 0
    open_errors: list[str] = field(default_factory=list)
    send_lag_s: list[float] = field(default_factory=list)
    post_s: list[float] = field(default_factory=list)
    achieved_rate: float = 0.0
    from_at: list[float] = field(default_factory=list)  # arrival - event at, every subscriber x event
    from_answer: list[float] = field(default_factory=list)  # arrival - POST answered
    reached_all: list[float] = field(default_factory=list)  # per incident: the last subscriber, from at
    missing: int = 0
    subscriber_errors: list[str] = field(default_factory=list)
    frames: int = 0
    server_cpu_s: float = 0.0
    clients_cpu_s: float = 0.0
    machine_cores_busy: float = 0.0
    wall_s: float = 0.0

    def summary(self) -> dict[str, Any]:
        def ms(values: list[float]) -> dict[str, float]:
            return {
                "p50_ms": round(percentile(values, 50) * 1000, 1),
                "p95_ms": round(percentile(values, 95) * 1000, 1),
                "p99_ms": round(percentile(values, 99) * 1000, 1),
                "max_ms": round(max(values, default=float("nan")) * 1000, 1),
            }

        return {
            "subscribers": self.subscribers,
            "rate_asked": self.rate,
            "duration_s": self.duration_s,
            "opened": self.opened,
            "achieved_rate": round(self.achieved_rate, 2),
            "open_errors": self.open_errors[:5],
            "send_lag": ms(self.send_lag_s),
            "post_latency": ms(self.post_s),
            "latency_from_event_at": ms(self.from_at) | {"samples": len(self.from_at)},
            "latency_from_post_answer": ms(self.from_answer),
            "reached_all_from_event_at": ms(self.reached_all),
            "missing": self.missing,
            "subscriber_errors": self.subscriber_errors[:5],
            "frames": self.frames,
            "server_cpu_share": round(self.server_cpu_s / self.wall_s, 2) if self.wall_s else None,
            "clients_cpu_share": round(self.clients_cpu_s / self.wall_s, 2) if self.wall_s else None,
            "machine_cores_busy": round(self.machine_cores_busy, 2),
        }


@dataclass
class StoreResult:
    store: str
    durability: dict[str, str]
    capacity: LoadResult
    floor: Phase
    run: Phase
    load_average: tuple[float, float, float]

    def verdicts(self) -> dict[str, bool]:
        run = self.run
        return {
            f"load as asked: >= {MIN_RATE_SHARE:.0%} of {run.rate:g}/s opened, send lag p99 <= "
            f"{MAX_SEND_LAG_P99_S * 1000:.0f} ms, no errors": run.achieved_rate >= MIN_RATE_SHARE * run.rate
            and percentile(run.send_lag_s, 99) <= MAX_SEND_LAG_P99_S
            and not run.open_errors,
            f"all {run.subscribers} subscribers connected and stayed": not run.subscriber_errors,
            "every subscriber received every opened incident": run.missing == 0 and run.opened > 0,
            f"p99 latency (subscribers x events, from the event's time) <= {TARGET_P99_S:g} s": bool(
                run.from_at
            )
            and percentile(run.from_at, 99) <= TARGET_P99_S,
        }

    def passed(self) -> bool:
        return all(self.verdicts().values())


# ---- processes ----------------------------------------------------------------------------------


@contextmanager
def thriives_server(store: Store, port: int) -> Iterator[Server]:
    """``thriives serve`` against the store: one process, as shipped."""
    env = os.environ | {
        "THRIIVES_DATABASE_URL": store.url,
        "THRIIVES_PORT": str(port),
        "THRIIVES_HOST": "127.0.0.1",
    }
    process = subprocess.Popen([*thriives_command(), "serve"], env=env)
    try:
        wait_for_port(port, process, timeout=60)
        yield Server(process.pid, port)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def client(role: str, *args: str) -> list[str]:
    return [sys.executable, str(BENCH / "board_clients.py"), role, *args]


def run_phase(
    phase: Phase, server: Server, tokens: Path, opener_token: Path, folder: Path, processes: int
) -> Phase:
    """Connect the subscribers, open incidents at the rate, collect and join what each saw."""
    per = [
        phase.subscribers // processes + (1 if i < phase.subscribers % processes else 0)
        for i in range(processes)
    ]
    per = [n for n in per if n]
    subscribers = []
    for i, count in enumerate(per):
        out = folder / f"{phase.name}-subscribers-{i}.json"
        process = subprocess.Popen(
            client(
                "subscribe",
                "--port",
                str(server.port),
                "--tokens",
                str(tokens),
                "--count",
                str(count),
                "--out",
                str(out),
            ),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        subscribers.append((process, out, count))
    seen: list[dict[str, Any]] = []
    ats: dict[str, str] = {}
    opened_file = folder / f"{phase.name}-opened.json"
    try:
        for process, _, count in subscribers:
            assert process.stdout is not None
            line = process.stdout.readline().strip()
            if line != f"connected {count}":
                progress(f"{phase.name}: a subscriber process said {line!r} (expected 'connected {count}')")
        progress(
            f"{phase.name}: {phase.subscribers} subscribers connected; "
            f"opening {phase.rate:g}/s for {phase.duration_s:g} s"
        )
        server_cpu, busy, began = process_cpu_seconds(server.pid), machine_busy_seconds(), time.time()
        subprocess.run(
            client(
                "open",
                "--port",
                str(server.port),
                "--tokens",
                str(opener_token),
                "--rate",
                str(phase.rate),
                "--duration",
                str(phase.duration_s),
                "--start-at",
                str(time.time() + 1.0),
                "--out",
                str(opened_file),
            ),
            check=True,
        )
        time.sleep(2.0)  # the last frames: two polls and then some
        phase.wall_s = time.time() - began
        phase.server_cpu_s = process_cpu_seconds(server.pid) - server_cpu
        phase.machine_cores_busy = (machine_busy_seconds() - busy) / phase.wall_s
        for process, out, _ in subscribers:
            assert process.stdin is not None
            process.stdin.write("stop\n")
            process.stdin.flush()
            process.wait(timeout=60)
            data = json.loads(out.read_text())
            seen += data["subscribers"]
            ats |= data["ats"]
            phase.clients_cpu_s += data["cpu_s"]
    finally:
        for process, _, _ in subscribers:
            if process.poll() is None:
                process.kill()
                process.wait()
    opened = json.loads(opened_file.read_text())
    phase.clients_cpu_s += opened["cpu_s"]
    join(phase, opened["records"], seen, ats)
    return phase


def join(
    phase: Phase, records: list[dict[str, Any]], seen: list[dict[str, Any]], ats: dict[str, str]
) -> None:
    ok = [r for r in records if r.get("status") == 201 and r.get("reference")]
    phase.opened = len(ok)
    phase.open_errors = [f"{r.get('status')}: {r.get('error')}" for r in records if r.get("status") != 201]
    phase.send_lag_s = [r["sent"] - r["due"] for r in records]
    phase.post_s = [r["answered"] - r["sent"] for r in ok]
    if ok:
        span = max(r["answered"] for r in ok) - min(r["due"] for r in records)
        phase.achieved_rate = len(ok) / max(span, phase.duration_s)
    at = {ref: datetime.fromisoformat(value).timestamp() for ref, value in ats.items()}
    last: dict[str, float] = {}
    for subscriber in seen:
        if subscriber["error"]:
            phase.subscriber_errors.append(subscriber["error"])
        phase.frames += subscriber["frames"]
        received = subscriber["received"]
        for record in ok:
            reference = record["reference"]
            arrived = received.get(reference)
            if arrived is None:
                phase.missing += 1
                continue
            latency = arrived - at.get(reference, record["sent"])
            phase.from_at.append(latency)
            phase.from_answer.append(arrived - record["answered"])
            last[reference] = max(last.get(reference, 0.0), latency)
    phase.reached_all = list(last.values())


def prepare(store: Store, tokens: int, folder: Path) -> tuple[Path, Path, dict[str, str]]:
    """Migrate; add a call handler and six dispatchers and supervisors; write their tokens."""
    container = build(Settings(database_url=store.url))
    try:
        upgrade(container.engine)
        durability = read_durability(container.engine)
        now = datetime.now(UTC)
        container.accounts.add_user("bench.handler", "Bench Handler", Role.CALL_HANDLER, PASSWORD, now)
        watchers = []
        for i in range(6):
            role = Role.DISPATCHER if i % 2 == 0 else Role.SUPERVISOR
            name = f"bench.board{i}"
            container.accounts.add_user(name, f"Bench Board {i}", role, PASSWORD, now)
            watchers.append(name)
        board = [container.accounts.issue_token(watchers[i % 6], f"board {i}", now) for i in range(tokens)]
        handler = container.accounts.issue_token("bench.handler", "board bench opener", now)
    finally:
        container.close()
    board_file, handler_file = folder / "board-tokens.txt", folder / "handler-token.txt"
    board_file.write_text("\n".join(board) + "\n")
    handler_file.write_text(handler + "\n")
    return board_file, handler_file, durability


def bench_store(name: str, args: argparse.Namespace) -> StoreResult:
    load = os.getloadavg()
    progress(f"{name}: starting a fresh store (load average {load[0]:.1f}) ...")
    with STORES[name]() as store, tempfile.TemporaryDirectory(prefix="thriives-board-") as tmp:
        folder = Path(tmp)
        tokens, handler, durability = prepare(store, args.subscribers, folder)
        progress(f"{name}: migrated; users and {args.subscribers} tokens ready; {durability}")
        with thriives_server(store, free_port()) as server:
            progress(f"{name}: thriives serve up (pid {server.pid}); ceiling: opening capacity ...")
            capacity = run_load(
                server, "/api/v1/incidents", handler.read_text().strip(), 32, 1.0, args.capacity_duration
            )
            progress(f"{name}: capacity {capacity.rps:.0f} openings/s, p99 {capacity.percentile(99):.0f} ms")
            floor = run_phase(
                Phase("floor", 1, args.rate, args.floor_duration), server, tokens, handler, folder, 1
            )
            progress(f"{name}: floor {floor.summary()['latency_from_event_at']}")
            run = run_phase(
                Phase("run", args.subscribers, args.rate, args.duration),
                server,
                tokens,
                handler,
                folder,
                args.client_processes,
            )
            progress(f"{name}: run {run.summary()['latency_from_event_at']}")
    return StoreResult(name, durability, capacity, floor, run, load)


# ---- the report -------------------------------------------------------------------------------------


def line(values: list[float]) -> str:
    if not values:
        return "none"
    return (
        f"p50 {percentile(values, 50) * 1000:.0f}, p95 {percentile(values, 95) * 1000:.0f}, "
        f"p99 {percentile(values, 99) * 1000:.0f}, max {max(values) * 1000:.0f} ms"
    )


def render(result: StoreResult) -> str:
    run, floor, cap = result.run, result.floor, result.capacity
    settings = ", ".join(f"{k}={v}" for k, v in result.durability.items())
    lines = [
        f"== live board: {result.store} ({settings}), commit {app_revision()['commit'][:9]}",
        f"  load average before {result.load_average[0]:.1f}; during the run {run.machine_cores_busy:.2f} of "
        f"{os.cpu_count()} cores busy (server {run.server_cpu_s / run.wall_s:.2f}, "
        f"clients {run.clients_cpu_s / run.wall_s:.2f})",
        f"  ceiling, opening capacity (32 clients, no subscriber): {cap.rps:.0f}/s, "
        f"p50 {cap.percentile(50):.0f} ms, p99 {cap.percentile(99):.0f} ms; asked {run.rate:g}/s "
        f"= {run.rate / cap.rps:.0%} of it"
        if cap.rps
        else "  ceiling: no answer",
        f"  floor, 1 subscriber at {floor.rate:g}/s for {floor.duration_s:g} s: {floor.opened} opened; "
        f"latency from the event's time {line(floor.from_at)}",
        f"  run: {run.subscribers} subscribers, {run.opened:,} incidents opened in {run.duration_s:g} s "
        f"= {run.achieved_rate:.1f}/s (asked {run.rate:g}/s); send lag {line(run.send_lag_s)}; "
        f"POST {line(run.post_s)}; errors {len(run.open_errors)}",
        f"    latency, subscribers x events ({len(run.from_at):,}), from the event's time: "
        f"{line(run.from_at)}",
        f"    latency, from the POST's answer: {line(run.from_answer)}",
        f"    per incident, until the last of the {run.subscribers} had it: {line(run.reached_all)}",
        f"    missing {run.missing}; subscriber errors {len(run.subscriber_errors)}; "
        f"board frames received {run.frames:,} "
        f"({run.frames / max(run.subscribers, 1) / run.wall_s:.1f}/s each)",
    ]
    lines += [f"  open error: {e}" for e in run.open_errors[:5]]
    lines += [f"  subscriber error: {e}" for e in run.subscriber_errors[:5]]
    lines += [f"  {'PASS' if ok else 'FAIL'}  {name}" for name, ok in result.verdicts().items()]
    return "\n".join(lines)


def write_json(result: StoreResult, folder: Path, quick: bool) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    data = {
        "benchmark": "board_stream",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count() or 0},
        "load_average_before": result.load_average,
        "app_revision": app_revision(),
        "store": result.store,
        "store_settings": result.durability,
        "capacity": result.capacity.summary(),
        "floor": result.floor.summary(),
        "run": result.run.summary(),
        "targets": {
            "p99_s": TARGET_P99_S,
            "min_rate_share": MIN_RATE_SHARE,
            "max_send_lag_p99_s": MAX_SEND_LAG_P99_S,
        },
        "verdicts": result.verdicts(),
        "passed": result.passed(),
    }
    path = folder / f"board_stream-{result.store}{'-quick' if quick else ''}.json"
    path.write_text(json.dumps(data, indent=2) + "\n")
    return path


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--stores", default="sqlite,postgresql", help="comma-separated, from: " + ", ".join(STORES)
    )
    parser.add_argument("--quick", action="store_true", help="10 s with every subscriber (a smoke run)")
    parser.add_argument("--subscribers", type=int, default=300)
    parser.add_argument("--client-processes", type=int, default=2, help="processes the subscribers share")
    parser.add_argument("--rate", type=float, default=50.0, help="incidents opened a second")
    parser.add_argument(
        "--duration", type=float, default=30.0, help="seconds of opening with every subscriber"
    )
    parser.add_argument("--floor-duration", type=float, default=10.0, help="seconds with one subscriber")
    parser.add_argument(
        "--capacity-duration", type=float, default=5.0, help="seconds of the capacity ceiling"
    )
    parser.add_argument("--results", type=Path, default=BENCH / "results", help="folder for the JSON results")
    args = parser.parse_args(argv)
    if args.quick:
        args.duration, args.floor_duration, args.capacity_duration = 10.0, 5.0, 3.0
    unknown = set(args.stores.split(",")) - set(STORES)
    if unknown:
        parser.error(f"unknown store(s): {', '.join(sorted(unknown))}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    results = [bench_store(name, args) for name in args.stores.split(",")]
    for result in results:
        print()
        print(render(result))
        print(f"  results: {write_json(result, args.results, args.quick)}")
    return 0 if all(r.passed() for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
