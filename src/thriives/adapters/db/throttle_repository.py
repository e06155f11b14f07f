"""Failed log-ins counted by key (account name or source address), for backoff."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete, insert, select, update

from thriives.adapters.db.tables import login_throttles
from thriives.domain.login_throttle import Throttle


class ThrottleRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def get(self, keys: list[str]) -> dict[str, Throttle]:
        """The throttles of the keys that have one, locked for this transaction."""
        rows = self._connection.execute(
            select(login_throttles).where(login_throttles.c.key.in_(keys)).with_for_update()
        ).all()
        return {row.key: Throttle(row.failures, row.wait_until, row.last_failure_at) for row in rows}

    def put(self, key: str, throttle: Throttle, existed: bool) -> None:
        values = {
            "failures": throttle.failures,
            "wait_until": throttle.wait_until,
            "last_failure_at": throttle.last_failure_at,
        }
        if existed:
            self._connection.execute(
                update(login_throttles).where(login_throttles.c.key == key).values(**values)
            )
        else:
            self._connection.execute(insert(login_throttles).values(key=key, **values))

    def clear(self, key: str) -> None:
        self._connection.execute(delete(login_throttles).where(login_throttles.c.key == key))

    def forget_before(self, at: datetime) -> None:
        """Drop counts quiet since before ``at``, so names tried once do not pile up."""
        self._connection.execute(delete(login_throttles).where(login_throttles.c.last_failure_at < at))
