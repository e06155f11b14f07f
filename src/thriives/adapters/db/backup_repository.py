"""Reading and writing backup requests, and the units on incidents (several per incident)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from thriives.adapters.db.dispatch_tables import backup_requests
from thriives.adapters.db.tables import incidents, units


def _rows(result: Any) -> list[dict[str, Any]]:
    return [dict(row._mapping) for row in result]


class BackupRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection
        self._pg = connection.dialect.name == "postgresql"

    # ---- units on incidents ------------------------------------------------------------

    def units_holding(self, incident_id: str, for_update: bool = False) -> list[dict[str, Any]]:
        """Every unit committed to an incident, by call sign."""
        query = select(units).where(units.c.incident_id == incident_id).order_by(units.c.call_sign)
        if for_update and self._pg:
            query = query.with_for_update()
        return _rows(self._c.execute(query))

    def units_on(self, incident_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
        """The units each of these incidents holds (call sign, status), by call sign."""
        found: dict[str, list[dict[str, Any]]] = {}
        if not incident_ids:
            return found
        query = (
            select(units.c.incident_id, units.c.call_sign, units.c.status, units.c.unit_type)
            .where(units.c.incident_id.in_(sorted(set(incident_ids))))
            .order_by(units.c.call_sign)
        )
        for row in _rows(self._c.execute(query)):
            found.setdefault(row["incident_id"], []).append(row)
        return found

    def reference_of(self, incident_id: str) -> str | None:
        value: str | None = self._c.execute(
            select(incidents.c.reference).where(incidents.c.id == incident_id)
        ).scalar()
        return value

    def set_position(
        self, call_sign: str, latitude: float | None, longitude: float | None, at: datetime | None
    ) -> None:
        """The unit's last known position. Not versioned: a position report never conflicts
        with a dispatcher's move of the same unit."""
        self._c.execute(
            update(units)
            .where(units.c.call_sign == call_sign)
            .values(last_latitude=latitude, last_longitude=longitude, position_at=at)
        )

    # ---- backup requests ---------------------------------------------------------------

    def open_request(self, incident_id: str, for_update: bool = False) -> dict[str, Any] | None:
        query = select(backup_requests).where(
            backup_requests.c.incident_id == incident_id, backup_requests.c.status == "open"
        )
        if for_update and self._pg:
            query = query.with_for_update()
        row = self._c.execute(query.order_by(backup_requests.c.id.desc())).first()
        return dict(row._mapping) if row else None

    def add_request(self, row: dict[str, Any]) -> int:
        return int(self._c.execute(insert(backup_requests).values(**row)).inserted_primary_key[0])

    def update_request(self, request_id: int, changes: dict[str, Any]) -> bool:
        """Guarded on the request still being open."""
        result = self._c.execute(
            update(backup_requests)
            .where(backup_requests.c.id == request_id, backup_requests.c.status == "open")
            .values(**changes)
        )
        return result.rowcount == 1

    def requests_of(self, incident_id: str) -> list[dict[str, Any]]:
        return _rows(
            self._c.execute(
                select(backup_requests)
                .where(backup_requests.c.incident_id == incident_id)
                .order_by(backup_requests.c.id)
            )
        )

    def open_requests(self, incident_ids: list[str]) -> dict[str, dict[str, Any]]:
        """The open request of each of these incidents that has one."""
        if not incident_ids:
            return {}
        query = select(backup_requests).where(
            backup_requests.c.incident_id.in_(sorted(set(incident_ids))), backup_requests.c.status == "open"
        )
        return {row["incident_id"]: row for row in _rows(self._c.execute(query))}
