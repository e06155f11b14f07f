"""The deadline worker: a loop that fires every deadline within a moment of its time.

It sleeps until the next deadline is due, but never longer than ``worker_poll_seconds``,
so a deadline written by another process (a web server grading a call) is seen within that
time. After a batch it waits at least ``LINGER`` before the next: deadlines falling due in
quick succession (a steady flow) are then fired a few to a transaction instead of one each,
which costs them at most that much lateness and saves a transaction, a commit and a look at
the next due time for each of the others (``bench/deadlines.py`` measures it). Run it as
``thriives worker`` (any number of them against PostgreSQL; each deadline fires once), or
inside the web server (``THRIIVES_WORKER_IN_PROCESS``, the default).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable

from thriives.bootstrap import Container
from thriives.services.deadlines import Fired

log = logging.getLogger(__name__)
BATCH = 200
LINGER = 0.05  # seconds: the shortest wait after a batch that fired something


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident() % 100000}"


def run_worker(
    container: Container,
    stop: threading.Event,
    name: str | None = None,
    on_fired: Callable[[list[Fired]], None] | None = None,
) -> None:
    """Fire due deadlines until ``stop`` is set. A store outage is logged and retried."""
    name = name or worker_name()
    poll = container.settings.worker_poll_seconds
    while not stop.is_set():
        try:
            now = container.clock()
            fired = container.deadlines.fire_due(now, name, BATCH)
            if on_fired and fired:
                on_fired(fired)
            if len(fired) == BATCH:
                continue  # more may be due: no sleep
            upcoming = container.deadlines.next_due()
        except Exception:  # noqa: BLE001 - the worker outlives a store hiccup
            log.exception("deadline worker: store error; retrying")
            stop.wait(1.0)
            continue
        wait = poll
        if upcoming is not None:
            soonest = LINGER if fired else 0.0
            wait = min(poll, max(soonest, (upcoming - container.clock()).total_seconds()))
        stop.wait(wait)


class InProcessWorker:
    """The worker on a thread of the web server, started and stopped with the app."""

    def __init__(self, container: Container) -> None:
        self._container = container
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(
                target=run_worker, args=(self._container, self._stop), name="deadline-worker", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
