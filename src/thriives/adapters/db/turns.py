"""Writers take turns: a first-come, first-served lock for write transactions in one process.

``threading.Lock`` wakes waiters in no particular order, so under load some requests wait
far longer than others; a queue of tickets serves them in arrival order, which keeps the
slowest answers close to the typical one.
"""

from __future__ import annotations

import threading


class Turns:
    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._next_ticket = 0
        self._serving = 0
        self._abandoned: set[int] = set()

    def acquire(self) -> None:
        with self._condition:
            ticket = self._next_ticket
            self._next_ticket += 1
            try:
                while self._serving != ticket:
                    self._condition.wait()
            except BaseException:
                # Interrupted while queueing: give the turn up so the queue keeps moving.
                self._abandoned.add(ticket)
                self._skip_abandoned()
                raise

    def release(self) -> None:
        with self._condition:
            self._serving += 1
            self._skip_abandoned()
            self._condition.notify_all()

    def _skip_abandoned(self) -> None:
        while self._serving in self._abandoned:
            self._abandoned.discard(self._serving)
            self._serving += 1
