"""Reading and writing review items, reviews, sample draws and the per-incident QA facts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, case, func, insert, literal, select, update

from thriives.adapters.db.dispatch_tables import reassessments
from thriives.adapters.db.intel_tables import searches
from thriives.adapters.db.supervision_tables import qa_facts, reviews, sample_draws
from thriives.adapters.db.tables import assessments, incidents, review_items, users
from thriives.domain.compliance import Sums
from thriives.domain.errors import NotFound

COUNTERS = (
    "assessed",
    "searched",
    "closed",
    "same_category",
    "category_reviews",
    "category_correct",
    "tasks",
    "tasks_on_time",
    "reviews",
    "score_total",
)


def _rows(result: Any) -> list[dict[str, Any]]:
    return [dict(row._mapping) for row in result]


class SupervisionRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection
        self._pg = connection.dialect.name == "postgresql"

    # ---- facts -------------------------------------------------------------------------

    def add_facts(self, row: dict[str, Any]) -> None:
        self._c.execute(insert(qa_facts).values(**row))

    def add_many_facts(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            self._c.execute(insert(qa_facts), rows)

    def set_fact(self, incident_id: str, **values: int) -> None:
        """Set counters on an incident's facts (e.g. ``assessed=1``)."""
        self._c.execute(update(qa_facts).where(qa_facts.c.incident_id == incident_id).values(**values))

    def add_to_facts(self, incident_id: str, **deltas: int) -> None:
        """Add to counters on an incident's facts (e.g. ``tasks=1``)."""
        values = {name: getattr(qa_facts.c, name) + delta for name, delta in deltas.items()}
        self._c.execute(update(qa_facts).where(qa_facts.c.incident_id == incident_id).values(**values))

    def facts(self, incident_id: str) -> dict[str, Any] | None:
        row = self._c.execute(select(qa_facts).where(qa_facts.c.incident_id == incident_id)).first()
        return dict(row._mapping) if row else None

    def sums(self, start: datetime, end: datetime, grouping: str) -> list[Sums]:
        """The dashboard's sums per group for incidents received in [start, end)."""
        group = getattr(qa_facts.c, grouping)
        query = (
            select(
                group.label("grp"),
                func.count().label("incidents"),
                *(func.sum(getattr(qa_facts.c, name)).label(name) for name in COUNTERS),
            )
            .where(qa_facts.c.received_at >= start, qa_facts.c.received_at < end)
            .group_by(group)
            .order_by(group)
        )
        out = []
        for row in self._c.execute(query):
            m = row._mapping
            out.append(
                Sums(
                    str(m["grp"]),
                    int(m["incidents"]),
                    int(m["assessed"] or 0),
                    int(m["searched"] or 0),
                    int(m["closed"] or 0),
                    int(m["same_category"] or 0),
                    int(m["category_reviews"] or 0),
                    int(m["category_correct"] or 0),
                    int(m["tasks"] or 0),
                    int(m["tasks_on_time"] or 0),
                    int(m["reviews"] or 0),
                    int(m["score_total"] or 0),
                )
            )
        return out

    def facts_count(self) -> int:
        return int(self._c.execute(select(func.count()).select_from(qa_facts)).scalar_one())

    def incidents_without_facts(self, limit: int) -> list[dict[str, Any]]:
        """Incidents with no facts row yet (from before supervision existed), with what a
        facts row is computed from, read in one statement."""
        has_assessment = select(literal(1)).where(assessments.c.incident_id == incidents.c.id).exists()
        has_search = select(literal(1)).where(searches.c.incident_id == incidents.c.id).exists()
        tasks = select(func.count()).where(reassessments.c.incident_id == incidents.c.id).scalar_subquery()
        on_time = (
            select(func.count())
            .where(
                reassessments.c.incident_id == incidents.c.id,
                reassessments.c.status == "done",
                reassessments.c.escalations == 0,
            )
            .scalar_subquery()
        )
        query = (
            select(
                incidents.c.id,
                incidents.c.received_at,
                incidents.c.status,
                incidents.c.opening_category,
                incidents.c.closing_category,
                users.c.username,
                users.c.team,
                case((has_assessment, 1), else_=0).label("assessed"),
                case((has_search, 1), else_=0).label("searched"),
                tasks.label("tasks"),
                on_time.label("tasks_on_time"),
            )
            .outerjoin(users, users.c.id == incidents.c.created_by)
            .outerjoin(qa_facts, qa_facts.c.incident_id == incidents.c.id)
            .where(qa_facts.c.incident_id.is_(None))
            .limit(limit)
        )
        return _rows(self._c.execute(query))

    # ---- review items ------------------------------------------------------------------

    def add_item(self, row: dict[str, Any]) -> int:
        return int(self._c.execute(insert(review_items).values(**row)).inserted_primary_key[0])

    def has_item(self, incident_id: str, kind: str) -> bool:
        query = select(review_items.c.id).where(
            review_items.c.incident_id == incident_id, review_items.c.kind == kind
        )
        return self._c.execute(query.limit(1)).first() is not None

    def item(self, item_id: int, for_update: bool = False) -> dict[str, Any]:
        query = (
            select(review_items, incidents.c.reference, incidents.c.created_by.label("handler_id"))
            .join(incidents, incidents.c.id == review_items.c.incident_id)
            .where(review_items.c.id == item_id)
        )
        if for_update and self._pg:
            query = query.with_for_update(of=review_items)
        row = self._c.execute(query).first()
        if row is None:
            raise NotFound(f"no review item {item_id}", "item_id")
        return dict(row._mapping)

    def decide(self, item_id: int, status: str, by: str, at: datetime, reason: str | None) -> bool:
        result = self._c.execute(
            update(review_items)
            .where(review_items.c.id == item_id, review_items.c.status == "open")
            .values(status=status, decided_by=by, decided_at=at, decision_reason=reason)
        )
        return result.rowcount == 1

    def open_items(
        self, kinds: list[str], limit: int = 500, incident_id: str | None = None
    ) -> list[dict[str, Any]]:
        query = (
            select(
                review_items,
                incidents.c.reference,
                incidents.c.grade,
                incidents.c.status.label("incident_status"),
                incidents.c.opening_category,
                incidents.c.received_at,
            )
            .join(incidents, incidents.c.id == review_items.c.incident_id)
            .where(review_items.c.status == "open", review_items.c.kind.in_(kinds))
            .order_by(review_items.c.created_at, review_items.c.id)
            .limit(limit)
        )
        if incident_id is not None:
            query = query.where(review_items.c.incident_id == incident_id)
        return _rows(self._c.execute(query))

    def open_kinds(self, incident_id: str) -> list[str]:
        """The kinds of an incident's open queue entries, whatever kinds there are."""
        query = (
            select(review_items.c.kind)
            .where(review_items.c.incident_id == incident_id, review_items.c.status == "open")
            .order_by(review_items.c.id)
        )
        return [str(kind) for kind in self._c.execute(query).scalars()]

    # ---- reviews -----------------------------------------------------------------------

    def add_review(self, row: dict[str, Any]) -> int:
        return int(self._c.execute(insert(reviews).values(**row)).inserted_primary_key[0])

    def review(self, review_id: int) -> dict[str, Any]:
        query = (
            select(reviews, incidents.c.reference)
            .join(incidents, incidents.c.id == reviews.c.incident_id)
            .where(reviews.c.id == review_id)
        )
        row = self._c.execute(query).first()
        if row is None:
            raise NotFound(f"no review {review_id}", "review_id")
        return dict(row._mapping)

    def reviews_of_handler(self, handler: str, limit: int = 200) -> list[dict[str, Any]]:
        query = (
            select(reviews, incidents.c.reference)
            .join(incidents, incidents.c.id == reviews.c.incident_id)
            .where(reviews.c.handler == handler)
            .order_by(reviews.c.reviewed_at.desc())
            .limit(limit)
        )
        return _rows(self._c.execute(query))

    def unacknowledged(self, limit: int = 500) -> list[dict[str, Any]]:
        query = (
            select(reviews, incidents.c.reference)
            .join(incidents, incidents.c.id == reviews.c.incident_id)
            .where(reviews.c.acknowledged_at.is_(None))
            .order_by(reviews.c.reviewed_at)
            .limit(limit)
        )
        return _rows(self._c.execute(query))

    def reviews_of_incident(self, incident_id: str) -> list[dict[str, Any]]:
        query = select(reviews).where(reviews.c.incident_id == incident_id).order_by(reviews.c.id)
        return _rows(self._c.execute(query))

    def acknowledge(self, review_id: int, at: datetime, note: str | None) -> bool:
        result = self._c.execute(
            update(reviews)
            .where(reviews.c.id == review_id, reviews.c.acknowledged_at.is_(None))
            .values(acknowledged_at=at, acknowledgement=note)
        )
        return result.rowcount == 1

    # ---- sampling ----------------------------------------------------------------------

    def sample_candidates(self, start: datetime, end: datetime, as_of: datetime) -> list[tuple[str, str]]:
        """(reference, handler) of incidents received in [start, end) and on record by
        ``as_of``: the sample's pool."""
        query = (
            select(incidents.c.reference, qa_facts.c.handler)
            .join(qa_facts, qa_facts.c.incident_id == incidents.c.id)
            .where(
                qa_facts.c.received_at >= start,
                qa_facts.c.received_at < end,
                incidents.c.created_at <= as_of,
            )
        )
        return [(row[0], row[1]) for row in self._c.execute(query)]

    def queued_before(self, as_of: datetime, kinds: list[str]) -> set[str]:
        """References of incidents put in the review queue under one of ``kinds`` by
        ``as_of`` (any outcome since)."""
        query = (
            select(incidents.c.reference)
            .join(review_items, review_items.c.incident_id == incidents.c.id)
            .where(review_items.c.created_at <= as_of, review_items.c.kind.in_(kinds))
            .distinct()
        )
        return {row[0] for row in self._c.execute(query)}

    def add_draw(self, row: dict[str, Any]) -> int:
        return int(self._c.execute(insert(sample_draws).values(**row)).inserted_primary_key[0])

    def draws(self, period: str | None = None) -> list[dict[str, Any]]:
        query = select(sample_draws).order_by(sample_draws.c.id)
        if period:
            query = query.where(sample_draws.c.period == period)
        return _rows(self._c.execute(query))

    def incident_ids(self, references: list[str]) -> dict[str, str]:
        if not references:
            return {}
        query = select(incidents.c.reference, incidents.c.id).where(incidents.c.reference.in_(references))
        return {row[0]: row[1] for row in self._c.execute(query)}
