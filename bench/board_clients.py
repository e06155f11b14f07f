"""The two client roles of the live-board benchmark, each run as its own process.

``subscribe``: N live-board subscribers on ``GET /api/v1/board/stream`` (raw asyncio
HTTP/1.1, chunked framing parsed by hand, so a subscriber costs little CPU beside the
server it measures). For every ``incident.opened`` event in a ``board`` frame it notes the
time the frame arrived. Prints ``connected N`` once every stream answered 200, runs until a
line ``stop`` (or end of input) arrives on stdin, then writes its JSON to ``--out``.

``open``: opens incidents through ``POST /api/v1/incidents`` at a fixed rate (open loop:
request i is due at start + i / rate, whatever the answers before it did), over a pool of
keep-alive connections; notes when each request was due, sent and answered, and the
reference the answer gave. A request that found no free connection waits for one; the
report says how late the sends were, so a generator that could not keep the rate says so.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bodies import body_pool  # noqa: E402
from loadgen import Requests, read_answer  # noqa: E402

HOST = "127.0.0.1"


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run(coroutine: Any) -> Any:
    try:
        import uvloop

        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            return runner.run(coroutine)
    except ImportError:
        return asyncio.run(coroutine)


# ---- subscribers --------------------------------------------------------------------------


class Subscriber:
    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.token = token
        self.received: dict[str, float] = {}  # reference of an opened incident -> arrival
        self.frames = 0
        self.connected_at: float | None = None
        self.error: str | None = None

    async def run(self, connected: asyncio.Event, ats: dict[str, str]) -> None:
        try:
            reader, writer = await asyncio.open_connection(HOST, self.port, limit=2**20)
        except OSError as error:
            self.error = f"connect: {error}"
            connected.set()
            return
        writer.write(
            (
                f"GET /api/v1/board/stream HTTP/1.1\r\nHost: {HOST}:{self.port}\r\n"
                f"Authorization: Bearer {self.token}\r\nAccept: text/event-stream\r\n"
                "Cache-Control: no-cache\r\n\r\n"
            ).encode()
        )
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            if status != 200:
                self.error = f"status {status}"
                return
            self.connected_at = time.time()
            connected.set()
            while True:
                size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    self.error = "stream ended"
                    return
                chunk = await reader.readexactly(size + 2)
                arrived = time.time()
                self._frame(chunk, arrived, ats)
        except (OSError, asyncio.IncompleteReadError, ValueError) as error:
            self.error = self.error or f"{type(error).__name__}: {error}"
        finally:
            connected.set()
            writer.close()

    def _frame(self, chunk: bytes, arrived: float, ats: dict[str, str]) -> None:
        # One chunk is one SSE message (sse-starlette sends each as one body part): its
        # id, event and data lines; a ping is a comment line.
        for line in chunk.splitlines():
            if line.startswith(b"data:"):
                self.frames += 1
                for event in json.loads(line[5:])["events"]:
                    if event["kind"] == "incident.opened" and event["reference"]:
                        self.received.setdefault(event["reference"], arrived)
                        ats.setdefault(event["reference"], event["at"])


async def subscribe(port: int, tokens: list[str], count: int, out: Path) -> None:
    subscribers = [Subscriber(port, tokens[i % len(tokens)]) for i in range(count)]
    ats: dict[str, str] = {}
    tasks = []
    for batch in range(0, count, 25):  # connect 25 at a time, as browsers trickle in
        events = []
        for subscriber in subscribers[batch : batch + 25]:
            connected = asyncio.Event()
            events.append(connected)
            tasks.append(asyncio.create_task(subscriber.run(connected, ats)))
        await asyncio.gather(*(e.wait() for e in events))
    ok = sum(1 for s in subscribers if s.connected_at is not None and s.error is None)
    print(f"connected {ok}", flush=True)
    cpu_before = own_cpu()
    await asyncio.get_running_loop().run_in_executor(None, _wait_for_stop)
    cpu = own_cpu() - cpu_before
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    out.write_text(
        json.dumps(
            {
                "subscribers": [
                    {"received": s.received, "frames": s.frames, "error": s.error} for s in subscribers
                ],
                "ats": ats,
                "cpu_s": cpu,
            }
        )
    )


def _wait_for_stop() -> None:
    for line in sys.stdin:
        if line.strip() == "stop":
            return


# ---- the opener ---------------------------------------------------------------------------


async def open_incidents(
    port: int, token: str, rate: float, duration: float, connections: int, out: Path, start_at: float
) -> None:
    requests = Requests(HOST, port, token, [("/api/v1/incidents", body) for body in body_pool(2000)])
    pool: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
    for _ in range(connections):
        pool.put_nowait(await asyncio.open_connection(HOST, port))
    records: list[dict[str, Any]] = []
    total = int(rate * duration)

    async def one(i: int, due: float) -> None:
        reader, writer = await pool.get()
        sent = time.time()
        try:
            writer.write(requests.next())
            status, body, close = await read_answer(reader)
        except (OSError, asyncio.IncompleteReadError, ValueError) as error:
            records.append({"i": i, "due": due, "sent": sent, "answered": time.time(), "error": str(error)})
            pool.put_nowait(await asyncio.open_connection(HOST, port))
            return
        answered = time.time()
        reference = json.loads(body).get("reference") if status == 201 else None
        record = {"i": i, "due": due, "sent": sent, "answered": answered, "status": status}
        record["reference"] = reference
        if status != 201:
            record["error"] = body.decode(errors="replace")[:300]
        records.append(record)
        if close:
            writer.close()
            pool.put_nowait(await asyncio.open_connection(HOST, port))
        else:
            pool.put_nowait((reader, writer))

    cpu_before = own_cpu()
    tasks = []
    await asyncio.sleep(max(0.0, start_at - time.time()))
    for i in range(total):
        due = start_at + i / rate
        await asyncio.sleep(max(0.0, due - time.time()))
        tasks.append(asyncio.create_task(one(i, due)))
    await asyncio.gather(*tasks)
    out.write_text(json.dumps({"records": records, "cpu_s": own_cpu() - cpu_before}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("role", choices=("subscribe", "open"))
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--tokens", required=True, help="file with one bearer token a line")
    parser.add_argument("--count", type=int, default=150, help="subscribers")
    parser.add_argument("--rate", type=float, default=50.0, help="incidents opened a second")
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument(
        "--connections", type=int, default=64, help="the opener's keep-alive pool (call handlers' browsers)"
    )
    parser.add_argument("--start-at", type=float, default=0.0, help="epoch seconds to start opening")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    tokens = Path(args.tokens).read_text().split()
    if args.role == "subscribe":
        run(subscribe(args.port, tokens, args.count, args.out))
    else:
        start_at = args.start_at or time.time() + 0.5
        run(
            open_incidents(
                args.port, tokens[0], args.rate, args.duration, args.connections, args.out, start_at
            )
        )


if __name__ == "__main__":
    main()
