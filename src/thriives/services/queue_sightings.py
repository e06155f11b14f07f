"""Who saw which incident's location on the live queue: a consultation, recorded without a
chain write per poll.

The live queue shows every open incident with where it is, to every control-room user, and
its page polls every few seconds. An incident's location is personal data (it is often a
home), so reading it is a consultation; but an audit entry per poll per handler would bury
the log and queue every poll behind the writers. So each user's sightings are recorded
when they change: the first time a user's queue shows an incident, one entry names it (with
every other incident first shown in the same read), and a user who keeps the queue open is
recorded again, with everything shown, at least every ``REFRESH``. An inspector can so
answer "who could see where this incident was, from when" from the audit alone.

The memory of what was last recorded is per process: a second process records its own
first sightings too (more entries, never fewer).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from thriives.adapters.db.uow import UnitOfWorkFactory
from thriives.domain.accounts import Actor
from thriives.domain.audit_chain import Operation

REFRESH = timedelta(minutes=15)
JUSTIFICATION = "operational: the live queue"


@dataclass(frozen=True)
class Sighting:
    at: datetime
    references: frozenset[str]


def _stale(last: Sighting | None, now: datetime) -> bool:
    return last is None or now - last.at >= REFRESH or now < last.at


def to_record(last: Sighting | None, shown: frozenset[str], now: datetime) -> tuple[frozenset[str], Sighting]:
    """What a read must record (the references not in the last record, or all shown when
    that record is older than ``REFRESH`` or there is none; empty: nothing), and the
    sighting to remember afterwards."""
    if _stale(last, now):
        return shown, Sighting(now, shown)
    assert last is not None
    return shown - last.references, Sighting(last.at, last.references | shown)


class QueueSightings:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow
        self._last: dict[str, Sighting] = {}
        self._lock = threading.Lock()

    def seen(self, actor: Actor, references: Iterable[str], now: datetime) -> None:
        """Record (audit) the incidents ``actor`` was just shown that need recording."""
        with self._lock:
            last = self._last.get(actor.username)
            new, remembered = to_record(last, frozenset(references), now)
            if not new:
                return
            self._last[actor.username] = remembered
        try:
            with self._uow(write=True) as uow:
                uow.journal.audit(
                    now,
                    actor.username,
                    Operation.CONSULTATION,
                    "queue",
                    "live",
                    JUSTIFICATION,
                    {"read": "live queue", "references": sorted(new)},
                )
                uow.commit()
        except BaseException:
            with self._lock:  # not recorded: the next read records it
                if last is None:
                    self._last.pop(actor.username, None)
                else:
                    self._last[actor.username] = last
            raise
