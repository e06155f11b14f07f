"""Reading and writing follow-ups, and the few reads that keep every call in sight: the
caller's words of ungraded calls (for their risk cues), and the live queue a page at a time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from thriives.adapters.db.dispatch_tables import follow_ups
from thriives.adapters.db.tables import incidents
from thriives.domain.errors import NotFound

COLUMNS = (*follow_ups.c, incidents.c.reference, incidents.c.grade.label("incident_grade"))


class FollowUpRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add(self, row: dict[str, Any]) -> int:
        return int(self._c.execute(insert(follow_ups).values(**row)).inserted_primary_key[0])

    def get(self, follow_up_id: int, for_update: bool = False) -> dict[str, Any]:
        query = (
            select(*COLUMNS)
            .join(incidents, incidents.c.id == follow_ups.c.incident_id)
            .where(follow_ups.c.id == follow_up_id)
        )
        if for_update and self._c.dialect.name == "postgresql":
            query = query.with_for_update(of=follow_ups)
        row = self._c.execute(query).first()
        if row is None:
            raise NotFound(f"no follow-up {follow_up_id}")
        return dict(row._mapping)

    def open_for(self, incident_id: str) -> dict[str, Any] | None:
        row = self._c.execute(
            select(follow_ups).where(follow_ups.c.incident_id == incident_id, follow_ups.c.status == "open")
        ).first()
        return dict(row._mapping) if row else None

    def of_incident(self, incident_id: str) -> list[dict[str, Any]]:
        query = (
            select(*COLUMNS)
            .join(incidents, incidents.c.id == follow_ups.c.incident_id)
            .where(follow_ups.c.incident_id == incident_id)
            .order_by(follow_ups.c.id)
        )
        return [dict(r._mapping) for r in self._c.execute(query)]

    def open(self) -> list[dict[str, Any]]:
        """Every open follow-up, the soonest due first."""
        query = (
            select(*COLUMNS)
            .join(incidents, incidents.c.id == follow_ups.c.incident_id)
            .where(follow_ups.c.status == "open")
            .order_by(follow_ups.c.due_at, follow_ups.c.id)
        )
        return [dict(r._mapping) for r in self._c.execute(query)]

    def update(self, follow_up_id: int, status: str, changes: dict[str, Any]) -> bool:
        """Guarded on the status read: a follow-up finished meanwhile is not finished twice."""
        query = (
            update(follow_ups)
            .where(follow_ups.c.id == follow_up_id, follow_ups.c.status == status)
            .values(**changes)
        )
        return bool(self._c.execute(query).rowcount == 1)

    def escalated(self, follow_up_id: int, count: int, at: datetime) -> None:
        self.update(follow_up_id, "open", {"escalations": count, "last_escalated_at": at})
