"""Processes of a run: a server under uvicorn, and the load generator aimed at it.

The server and the load generator are separate processes, so on two cores the server
gets one core to itself as far as the operating system allows. The load generator also
reports the CPU the server and the whole machine used while it ran, to show whether the
server was saturated and whether anything else competed for the cores.
"""

from __future__ import annotations

import json
import math
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Server:
    pid: int
    port: int


@dataclass(frozen=True)
class LoadResult:
    """What the load generator measured in the window, and what it saw over the whole run."""

    duration_s: float
    requests: int
    ok: int
    errors: int
    statuses: dict[str, int]
    ok_total: int
    errors_total: int
    latencies_ms: list[float]
    error_samples: list[str]
    loadgen_cpu_s: float
    server_cpu_s: float
    machine_busy_s: float
    wall_s: float
    load_average: float

    @property
    def server_cpu_share(self) -> float:
        """Server CPU seconds per second of load (warm-up included; 1.0 = one core busy)."""
        return self.server_cpu_s / self.wall_s

    @property
    def others_cpu_share(self) -> float:
        """CPU cores used by everything but the server and the load generator (store included)."""
        return (self.machine_busy_s - self.server_cpu_s - self.loadgen_cpu_s) / self.wall_s

    @property
    def rps(self) -> float:
        return self.ok / self.duration_s

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile of the window's latencies, in ms (NaN when none)."""
        ordered = sorted(self.latencies_ms)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered), max(1, math.ceil(p / 100 * len(ordered)))) - 1]

    def mean_ms(self) -> float:
        return statistics.fmean(self.latencies_ms) if self.latencies_ms else float("nan")

    def summary(self) -> dict[str, Any]:
        return {
            "requests_per_s": round(self.rps, 1),
            "p50_ms": round(self.percentile(50), 2),
            "p95_ms": round(self.percentile(95), 2),
            "p99_ms": round(self.percentile(99), 2),
            "max_ms": round(max(self.latencies_ms, default=float("nan")), 2),
            "mean_ms": round(self.mean_ms(), 2),
            "requests_in_window": self.requests,
            "ok_in_window": self.ok,
            "errors": self.errors,
            "statuses": self.statuses,
            "ok_total_including_warmup": self.ok_total,
            "errors_total_including_warmup": self.errors_total,
            "error_samples": self.error_samples,
            "server_cpu_s": round(self.server_cpu_s, 2),
            "loadgen_cpu_s": round(self.loadgen_cpu_s, 2),
            "load_wall_s": round(self.wall_s, 2),
            "server_cpu_share": round(self.server_cpu_share, 2),
            "others_cpu_share": round(self.others_cpu_share, 2),
            "load_average_1min_after": round(self.load_average, 2),
        }


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with code {process.returncode} before listening")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listening on port {port} after {timeout} s")


@contextmanager
def serving(kind: str, database_url: str, port: int) -> Iterator[Server]:
    """Run ``bench/serve.py <kind>`` against ``database_url`` until the block ends."""
    env = os.environ | {"THRIIVES_DATABASE_URL": database_url}
    process = subprocess.Popen([sys.executable, str(BENCH / "serve.py"), kind, "--port", str(port)], env=env)
    try:
        wait_for_port(port, process)
        yield Server(process.pid, port)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run_load(
    server: Server,
    path: str,
    token: str,
    clients: int,
    warmup: float,
    duration: float,
    requests_file: Path | None = None,
) -> LoadResult:
    """Drive ``server`` with ``bench/loadgen.py``; return its measurements.

    ``requests_file`` (a JSON list of {path, body}) replaces ``path`` and the call bodies."""
    with tempfile.TemporaryDirectory(prefix="thriives-loadgen-") as folder:
        out = Path(folder) / "result.json"
        extra = ["--requests-file", str(requests_file)] if requests_file else []
        subprocess.run(
            [
                sys.executable,
                str(BENCH / "loadgen.py"),
                "--port",
                str(server.port),
                "--path",
                path,
                "--token",
                token,
                "--clients",
                str(clients),
                "--warmup",
                str(warmup),
                "--duration",
                str(duration),
                "--server-pid",
                str(server.pid),
                "--out",
                str(out),
                *extra,
            ],
            check=True,
        )
        raw = json.loads(out.read_text())
    statuses: dict[str, int] = raw["window_statuses"]
    ok = sum(n for status, n in statuses.items() if status.startswith("2"))
    ok_total = sum(n for s, n in raw["total_statuses"].items() if s.startswith("2"))
    return LoadResult(
        duration_s=raw["duration_s"],
        requests=sum(statuses.values()),
        ok=ok,
        errors=sum(statuses.values()) - ok,
        statuses=statuses,
        ok_total=ok_total,
        errors_total=sum(raw["total_statuses"].values()) - ok_total,
        latencies_ms=raw["latencies_ms"],
        error_samples=raw["error_samples"],
        loadgen_cpu_s=raw["cpu_s"],
        server_cpu_s=raw["server_cpu_s"],
        wall_s=raw["wall_s"],
        machine_busy_s=raw["machine_busy_s"],
        load_average=os.getloadavg()[0],
    )
