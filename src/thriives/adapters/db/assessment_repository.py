"""Storage of assessments, DASH records, review items and aide-memoires."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select

from thriives.adapters.db.tables import (
    aide_memoires,
    assessments,
    dash_assessments,
    incidents,
    review_items,
)

LATEST_VERSION = select(func.max(assessments.c.version)).where(
    assessments.c.incident_id == bindparam("incident_id")
)
SEALED_TABLES = {"assessments": assessments, "dash_assessments": dash_assessments}
INSERT_ASSESSMENT = insert(assessments).returning(assessments.c.id)


def _rows(result: Any) -> list[dict[str, Any]]:
    return [dict(row._mapping) for row in result]


class AssessmentRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def next_version(self, incident_id: str) -> int:
        latest = self._connection.execute(LATEST_VERSION, {"incident_id": incident_id}).scalar_one()
        return int(latest or 0) + 1

    def latest(self, incident_id: str) -> dict[str, Any] | None:
        row = self._connection.execute(
            select(assessments)
            .where(assessments.c.incident_id == incident_id)
            .order_by(assessments.c.version.desc())
            .limit(1)
        ).first()
        return dict(row._mapping) if row else None

    def latest_levels(self, incident_ids: list[str]) -> dict[str, dict[str, str]]:
        """The effective factor levels of each incident's latest assessment."""
        if not incident_ids:
            return {}
        newest = (
            select(assessments.c.incident_id, func.max(assessments.c.version).label("version"))
            .where(assessments.c.incident_id.in_(incident_ids))
            .group_by(assessments.c.incident_id)
            .subquery()
        )
        query = select(assessments.c.incident_id, assessments.c.levels).join(
            newest,
            (newest.c.incident_id == assessments.c.incident_id) & (newest.c.version == assessments.c.version),
        )
        return {row.incident_id: dict(row.levels) for row in self._connection.execute(query)}

    def add(self, row: dict[str, Any]) -> int:
        return int(self._connection.execute(INSERT_ASSESSMENT, row).scalar_one())

    def history(self, incident_id: str) -> list[dict[str, Any]]:
        return _rows(
            self._connection.execute(
                select(assessments)
                .where(assessments.c.incident_id == incident_id)
                .order_by(assessments.c.version)
            )
        )

    def add_dash(self, row: dict[str, Any]) -> int:
        return int(
            self._connection.execute(
                insert(dash_assessments).values(**row).returning(dash_assessments.c.id)
            ).scalar_one()
        )

    def dash_history(self, incident_id: str) -> list[dict[str, Any]]:
        return _rows(
            self._connection.execute(
                select(dash_assessments)
                .where(dash_assessments.c.incident_id == incident_id)
                .order_by(dash_assessments.c.id)
            )
        )

    def every_row(self, table: str, batch: int = 2000) -> Iterator[dict[str, Any]]:
        """Every assessment (``assessments``) or DASH record (``dash_assessments``) in id
        order, streamed in batches: what verification checks against the sealed digests."""
        source = SEALED_TABLES[table]
        last = None
        while True:
            query = select(source).order_by(source.c.id).limit(batch)
            if last is not None:
                query = query.where(source.c.id > last)
            rows = _rows(self._connection.execute(query))
            if not rows:
                return
            yield from rows
            last = rows[-1]["id"]

    def add_review_item(self, row: dict[str, Any]) -> None:
        self._connection.execute(insert(review_items).values(**row))

    def review_items(self, incident_id: str) -> list[dict[str, Any]]:
        return _rows(
            self._connection.execute(
                select(review_items)
                .where(review_items.c.incident_id == incident_id)
                .order_by(review_items.c.id)
            )
        )

    def recent_by_phone(
        self, phone: str, since: datetime, exclude: str, limit: int = 200
    ) -> list[dict[str, Any]]:
        """Earlier incidents from the same number: the history check behind DA-linked numbers."""
        return _rows(
            self._connection.execute(
                select(
                    incidents.c.id,
                    incidents.c.reference,
                    incidents.c.opening_category,
                    incidents.c.closing_category,
                    incidents.c.qualifiers,
                    incidents.c.received_at,
                )
                .where(
                    incidents.c.caller_phone == phone,
                    incidents.c.received_at >= since,
                    incidents.c.id != exclude,
                )
                .order_by(incidents.c.received_at.desc())
                .limit(limit)
            )
        )

    def aide_memoire(self, category: str) -> dict[str, Any] | None:
        row = self._connection.execute(
            select(aide_memoires)
            .where(aide_memoires.c.category == category)
            .order_by(aide_memoires.c.version.desc())
            .limit(1)
        ).first()
        return dict(row._mapping) if row else None

    def add_aide_memoire(self, category: str, text: str, author: str, at: datetime) -> int:
        current = self.aide_memoire(category)
        version = (current["version"] if current else 0) + 1
        self._connection.execute(
            insert(aide_memoires).values(
                category=category, version=version, text=text, author=author, created_at=at
            )
        )
        return version

    def aide_memoire_history(self, category: str) -> list[dict[str, Any]]:
        return _rows(
            self._connection.execute(
                select(aide_memoires)
                .where(aide_memoires.c.category == category)
                .order_by(aide_memoires.c.version)
            )
        )
