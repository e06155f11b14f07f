"""Writers take turns: a first-come, first-served lock for write transactions in one process.

``threading.Lock`` wakes waiters in no particular order, so under load some requests wait
far longer than others. Here each waiter queues behind its own gate and a release opens
only the next gate, handing the turn straight over: arrival order is kept, and no crowd of
threads wakes up to find it is not their turn.
"""

from __future__ import annotations

import threading
from collections import deque


class Turns:
    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._taken = False
        self._queue: deque[threading.Event] = deque()

    def acquire(self) -> None:
        with self._mutex:
            if not self._taken:
                self._taken = True
                return
            gate = threading.Event()
            self._queue.append(gate)
        try:
            gate.wait()
        except BaseException:
            with self._mutex:
                if gate in self._queue:  # still waiting: leave the queue
                    self._queue.remove(gate)
                    raise
            self.release()  # the turn arrived as we were interrupted: pass it on
            raise

    def release(self) -> None:
        with self._mutex:
            if self._queue:
                self._queue.popleft().set()  # the turn passes to the next in line
            else:
                self._taken = False
