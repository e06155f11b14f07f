"""Storage of initial grades (see ``first_contact_tables``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from thriives.adapters.db.first_contact_tables import initial_grades


class InitialGradeRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add(self, row: dict[str, Any]) -> None:
        self._connection.execute(insert(initial_grades).values(**row))

    def get(self, incident_id: str) -> dict[str, Any] | None:
        row = self._connection.execute(
            select(initial_grades).where(initial_grades.c.incident_id == incident_id)
        ).first()
        return dict(row._mapping) if row else None

    def assessed(self, incident_id: str, version: int, at: datetime) -> bool:
        """Record the first full assessment after the initial grade; False if none was waiting."""
        result = self._connection.execute(
            update(initial_grades)
            .where(initial_grades.c.incident_id == incident_id, initial_grades.c.assessed_at.is_(None))
            .values(assessed_at=at, assessment_version=version)
        )
        return result.rowcount == 1

    def escalated(self, incident_id: str, at: datetime) -> bool:
        result = self._connection.execute(
            update(initial_grades)
            .where(
                initial_grades.c.incident_id == incident_id,
                initial_grades.c.assessed_at.is_(None),
                initial_grades.c.escalated_at.is_(None),
            )
            .values(escalated_at=at)
        )
        return result.rowcount == 1
