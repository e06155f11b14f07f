"""The live feed: events read from the database, fanned out to Server-Sent-Event streams.

Each server process runs one poller that reads ``events WHERE id > last`` and hands new
events to every subscriber in that process, so any number of processes stay live off the
one store. A client that reconnects sends ``Last-Event-ID`` and is first given everything
it missed, read from the store, then joins the live flow with no gap and no repeat.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool

from thriives.bootstrap import Container

Fetch = Callable[[int, int], list[dict[str, Any]]]
BATCH = 500
QUEUE_LIMIT = 2000


class EventFeed:
    def __init__(self, fetch: Fetch, latest: Callable[[], int], interval: float) -> None:
        self._fetch = fetch
        self._latest = latest
        self._interval = interval
        self._subscribers: set[asyncio.Queue[dict[str, Any] | None]] = set()
        self._task: asyncio.Task[None] | None = None
        self._starting = asyncio.Lock()
        self.high_water = 0

    async def start(self) -> None:
        """Start the one poller of this process (idempotent). Subscribers arriving together
        (every board reconnecting after a restart) wait for the first to start it; without
        the lock each would start its own poller, all reading the store and publishing the
        same events."""
        if self._task is not None:
            return
        async with self._starting:
            if self._task is None:
                self.high_water = await run_in_threadpool(self._latest)
                self._task = asyncio.create_task(self._poll())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for queue in list(self._subscribers):
            queue.put_nowait(None)

    async def _poll(self) -> None:
        while True:
            try:
                rows = await run_in_threadpool(self._fetch, self.high_water, BATCH)
            except Exception:  # noqa: BLE001 - a store hiccup must not end the feed
                rows = []
            for row in rows:
                self.high_water = row["id"]
                self._publish(row)
            if len(rows) < BATCH:
                await asyncio.sleep(self._interval)

    def _publish(self, row: dict[str, Any]) -> None:
        for queue in list(self._subscribers):
            if queue.qsize() >= QUEUE_LIMIT:
                # A subscriber this far behind is dropped; its browser reconnects with
                # Last-Event-ID and catches up from the store.
                self._subscribers.discard(queue)
                queue.put_nowait(None)
            else:
                queue.put_nowait(row)

    async def stream(self, last_event_id: int | None) -> AsyncIterator[dict[str, Any]]:
        """Events after ``last_event_id`` (or from now on when None), in id order, then live."""
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self._subscribers.add(queue)
        try:
            sent = self.high_water if last_event_id is None else last_event_id
            while last_event_id is not None:  # catch up from the store
                rows = await run_in_threadpool(self._fetch, sent, BATCH)
                for row in rows:
                    sent = row["id"]
                    yield row
                if len(rows) < BATCH:
                    break
            while True:
                row = await queue.get()
                if row is None:
                    return
                if row["id"] > sent:
                    sent = row["id"]
                    yield row
        finally:
            self._subscribers.discard(queue)

    async def batches(self, last_event_id: int | None) -> AsyncIterator[list[dict[str, Any]]]:
        """The same events as ``stream``, coalesced: whatever arrived together is one batch.

        The poller publishes a whole poll's events without yielding, so a subscriber that
        wakes finds them all queued; sending them as one frame keeps a board with hundreds
        of watchers at a few frames a second each, however busy the control room is.
        """
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self._subscribers.add(queue)
        try:
            sent = self.high_water if last_event_id is None else last_event_id
            while last_event_id is not None:  # catch up from the store
                rows = await run_in_threadpool(self._fetch, sent, BATCH)
                if rows:
                    sent = rows[-1]["id"]
                    yield rows
                if len(rows) < BATCH:
                    break
            while True:
                batch: list[dict[str, Any]] = []
                row = await queue.get()
                while True:
                    if row is None:
                        if batch:
                            yield batch
                        return
                    if row["id"] > sent:
                        sent = row["id"]
                        batch.append(row)
                    if queue.empty() or len(batch) >= BATCH:
                        break
                    row = queue.get_nowait()
                if batch:
                    yield batch
        finally:
            self._subscribers.discard(queue)


def store_feed(container: Container) -> EventFeed:
    """The feed of one server process, reading the container's store."""

    def fetch(after: int, limit: int) -> list[dict[str, Any]]:
        with container.uow() as uow:
            return uow.journal.feed_after(after, limit)

    def latest() -> int:
        with container.uow() as uow:
            return uow.journal.last_event_id()

    return EventFeed(fetch, latest, container.settings.event_poll_seconds)


def board_message(batch: list[dict[str, Any]]) -> dict[str, Any]:
    """One SSE frame named ``board`` for a batch of events; its id resumes after the last."""
    events = [
        {
            "id": row["id"],
            "kind": row["kind"],
            "at": row["at"].isoformat(),
            "reference": row.get("reference"),
            "status": row.get("status"),
        }
        for row in batch
    ]
    return {"id": str(batch[-1]["id"]), "event": "board", "data": json.dumps({"events": events})}


def sse_message(row: dict[str, Any]) -> dict[str, Any]:
    """The SSE frame of one event: named ``incident`` for incident events, id for resuming."""
    data = {
        "id": row["id"],
        "kind": row["kind"],
        "at": row["at"].isoformat(),
        "reference": row.get("reference"),
        "status": row.get("status"),
    }
    name = "incident" if str(row["kind"]).startswith("incident.") else "event"
    return {"id": str(row["id"]), "event": name, "data": json.dumps(data)}
