"""A cheap closed-loop HTTP/1.1 load generator, run in its own process.

``--clients`` connections are kept alive; each sends one POST, waits for the whole answer,
then sends the next (no pipelining). Requests are hand-built bytes and answers are parsed
only as far as the status line, ``Content-Length`` (or chunked framing) and
``Connection: close``, so the generator costs little CPU next to the server it measures.

Every request carries the same headers a real client would send to
``POST /api/v1/incidents``: a bearer token, a JSON call body and a unique
``Idempotency-Key``. After ``--warmup`` seconds, answers that complete within the next
``--duration`` seconds are measured. The result, one JSON object, goes to ``--out``.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import resource
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bodies import body_pool  # noqa: E402
from cpu import machine_busy_seconds, process_cpu_seconds  # noqa: E402

ERROR_SAMPLES = 5


@dataclass
class Window:
    """The measured interval, in ``time.perf_counter`` seconds."""

    start: float
    end: float


@dataclass
class Tally:
    """What the clients saw: statuses and latencies inside the window, totals over the run."""

    window_statuses: Counter[str] = field(default_factory=Counter)
    latencies_ms: list[float] = field(default_factory=list)
    total_statuses: Counter[str] = field(default_factory=Counter)
    error_samples: list[str] = field(default_factory=list)

    def record(self, status: str, began: float, ended: float, window: Window) -> None:
        self.total_statuses[status] += 1
        if window.start <= ended <= window.end:
            self.window_statuses[status] += 1
            self.latencies_ms.append((ended - began) * 1000.0)

    def sample_error(self, text: str) -> None:
        if len(self.error_samples) < ERROR_SAMPLES:
            self.error_samples.append(text[:300])


class Requests:
    """Request bytes: a head per path, a unique Idempotency-Key and a body, cycling items."""

    def __init__(self, host: str, port: int, token: str, items: list[tuple[str, bytes]]) -> None:
        self._heads: dict[str, bytes] = {}
        for path, _ in items:
            self._heads.setdefault(
                path,
                (
                    f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
                    f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
                    "Accept: application/json\r\n"
                ).encode(),
            )
        self._items = items
        self._numbers = itertools.count(1)
        self._prefix = f"bench-{os.getpid()}-{time.time_ns()}-"

    def next(self) -> bytes:
        number = next(self._numbers)
        path, body = self._items[number % len(self._items)]
        extra = f"Idempotency-Key: {self._prefix}{number}\r\nContent-Length: {len(body)}\r\n\r\n"
        return self._heads[path] + extra.encode() + body


async def read_answer(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """Read one response; return (status, body, server asked to close)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head[:-4].split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length, chunked, close = 0, False, False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value.lower()
        elif name == b"connection":
            close = b"close" in value.lower()
    if chunked:
        return status, await _read_chunks(reader), close
    return status, await reader.readexactly(length) if length else b"", close


async def _read_chunks(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)


async def client(host: str, port: int, requests: Requests, window: Window, tally: Tally) -> None:
    """One keep-alive connection sending requests back to back until the window ends."""
    connection: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
    while time.perf_counter() < window.end:
        began = time.perf_counter()
        try:
            if connection is None:
                connection = await asyncio.open_connection(host, port)
            reader, writer = connection
            writer.write(requests.next())
            status, body, close = await read_answer(reader)
        except (OSError, asyncio.IncompleteReadError, ValueError) as error:
            tally.record("connection error", began, time.perf_counter(), window)
            tally.sample_error(f"{type(error).__name__}: {error}")
            connection = None
            await asyncio.sleep(0.01)
            continue
        tally.record(str(status), began, time.perf_counter(), window)
        if not 200 <= status < 300:
            tally.sample_error(f"{status}: {body.decode(errors='replace')}")
        if close:
            connection[1].close()
            connection = None
    if connection is not None:
        connection[1].close()


async def drive(args: argparse.Namespace, pool: list[tuple[str, bytes]]) -> Tally:
    requests = Requests(args.host, args.port, args.token, pool)
    started = time.perf_counter()
    window = Window(started + args.warmup, started + args.warmup + args.duration)
    tally = Tally()
    await asyncio.gather(
        *(client(args.host, args.port, requests, window, tally) for _ in range(args.clients))
    )
    return tally


def run(args: argparse.Namespace, pool: list[tuple[str, bytes]]) -> Tally:
    try:
        import uvloop

        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            return runner.run(drive(args, pool))
    except ImportError:
        return asyncio.run(drive(args, pool))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", default="/api/v1/incidents")
    parser.add_argument("--token", default="")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--out", required=True, help="file to write the JSON result to")
    parser.add_argument("--server-pid", type=int, default=0, help="report this process's CPU")
    parser.add_argument("--bodies", type=int, default=1000, help="distinct call bodies to cycle")
    parser.add_argument(
        "--requests-file",
        default=None,
        help="JSON list of {path, body} to cycle instead of --path with call bodies",
    )
    return parser.parse_args(argv)


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    args = parse_args()
    if args.requests_file:
        items = json.loads(Path(args.requests_file).read_text())
        pool = [(item["path"], json.dumps(item["body"]).encode()) for item in items]
    else:
        pool = [(args.path, body) for body in body_pool(args.bodies)]
    server_cpu = process_cpu_seconds(args.server_pid) if args.server_pid else 0.0
    own_cpu, machine, started = _own_cpu(), machine_busy_seconds(), time.perf_counter()
    tally = run(args, pool)
    wall = time.perf_counter() - started
    machine, own_cpu = machine_busy_seconds() - machine, _own_cpu() - own_cpu
    if args.server_pid:
        server_cpu = process_cpu_seconds(args.server_pid) - server_cpu
    Path(args.out).write_text(
        json.dumps(
            {
                "duration_s": args.duration,
                "window_statuses": dict(tally.window_statuses),
                "latencies_ms": tally.latencies_ms,
                "total_statuses": dict(tally.total_statuses),
                "error_samples": tally.error_samples,
                "cpu_s": own_cpu,
                "wall_s": wall,
                "server_cpu_s": server_cpu,
                "machine_busy_s": machine,
            }
        )
    )


if __name__ == "__main__":
    main()
