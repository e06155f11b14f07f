"""Links between incidents, the incident log, and incident search: the only code that knows
those tables' shapes. It takes the unit of work's connection."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, func, insert, or_, select
from sqlalchemy.sql.elements import ColumnElement

from thriives.adapters.db.intel_tables import incident_links, people
from thriives.adapters.db.record_tables import incident_log, incident_relations
from thriives.adapters.db.tables import incidents
from thriives.domain.incident_search import Criteria

# What a candidate or a search result shows: never the caller's account.
SUMMARY = (
    incidents.c.id,
    incidents.c.reference,
    incidents.c.status,
    incidents.c.received_at,
    incidents.c.opening_category,
    incidents.c.closing_category,
    incidents.c.grade,
    incidents.c.caller_name,
    incidents.c.caller_phone,
    incidents.c.location_text,
    incidents.c.postcode,
    incidents.c.latitude,
    incidents.c.longitude,
)
# About 0.01 degrees of latitude is 1.1 km: a box wide enough for any "nearby" policy.
BOX_DEGREES = 0.05


class RecordRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    # -- possible duplicates -----------------------------------------------------------------

    def near_in_time(
        self, incident: dict[str, Any], since: datetime, until: datetime, limit: int = 500
    ) -> list[dict[str, Any]]:
        """Incidents received in the window that share something with ``incident``: the
        number, the caller's name, the postcode or address, a position nearby, or a person
        attached. Filtering in the store keeps the read small however busy the window."""
        shared: list[ColumnElement[bool]] = []
        if incident["caller_phone"]:
            shared.append(incidents.c.caller_phone == incident["caller_phone"])
        if incident["caller_name"]:
            shared.append(func.lower(incidents.c.caller_name) == incident["caller_name"].lower())
        if incident["postcode"]:
            shared.append(incidents.c.postcode == incident["postcode"])
        if incident["location_text"]:
            shared.append(func.lower(incidents.c.location_text) == incident["location_text"].lower())
        if incident["latitude"] is not None and incident["longitude"] is not None:
            shared.append(
                and_(
                    incidents.c.latitude.between(
                        incident["latitude"] - BOX_DEGREES, incident["latitude"] + BOX_DEGREES
                    ),
                    incidents.c.longitude.between(
                        incident["longitude"] - BOX_DEGREES, incident["longitude"] + BOX_DEGREES
                    ),
                )
            )
        person_ids = list(self.people_attached([incident["id"]]).get(incident["id"], {}))
        if person_ids:
            shared.append(
                incidents.c.id.in_(
                    select(incident_links.c.incident_id).where(incident_links.c.person_id.in_(person_ids))
                )
            )
        if not shared:
            return []
        rows = self._c.execute(
            select(*SUMMARY)
            .where(
                incidents.c.received_at.between(since, until), incidents.c.id != incident["id"], or_(*shared)
            )
            .order_by(incidents.c.received_at.desc())
            .limit(limit)
        ).all()
        return [dict(row._mapping) for row in rows]

    def people_attached(self, incident_ids: Sequence[str]) -> dict[str, dict[int, str]]:
        """The people on record attached to each incident: id -> name."""
        if not incident_ids:
            return {}
        rows = self._c.execute(
            select(incident_links.c.incident_id, people.c.id, people.c.forenames, people.c.surname)
            .join(people, people.c.id == incident_links.c.person_id)
            .where(incident_links.c.incident_id.in_(list(incident_ids)))
        ).all()
        found: dict[str, dict[int, str]] = defaultdict(dict)
        for row in rows:
            found[row.incident_id][row.id] = f"{row.forenames} {row.surname}".strip()
        return found

    # -- relations -------------------------------------------------------------------------

    def add_relation(self, row: dict[str, Any]) -> int:
        return int(
            self._c.execute(
                insert(incident_relations).values(**row).returning(incident_relations.c.id)
            ).scalar_one()
        )

    def relations_of(self, incident_id: str) -> list[dict[str, Any]]:
        """Every relation recorded with this incident, either way round, oldest first, with
        the other incident's reference and status and which way round it was recorded."""
        rows = []
        for mine, theirs, outgoing in (
            (incident_relations.c.incident_id, incident_relations.c.other_id, True),
            (incident_relations.c.other_id, incident_relations.c.incident_id, False),
        ):
            query = (
                select(incident_relations, incidents.c.reference, incidents.c.status)
                .join(incidents, incidents.c.id == theirs)
                .where(mine == incident_id)
            )
            rows += [dict(row._mapping) | {"outgoing": outgoing} for row in self._c.execute(query)]
        return sorted(rows, key=lambda r: r["id"])

    def duplicate_targets(self, incident_ids: Sequence[str]) -> dict[str, str]:
        """For each incident closed as a duplicate: the reference it is a duplicate of."""
        if not incident_ids:
            return {}
        rows = self._c.execute(
            select(incident_relations.c.incident_id, incidents.c.reference)
            .join(incidents, incidents.c.id == incident_relations.c.other_id)
            .where(
                incident_relations.c.relation == "duplicate",
                incident_relations.c.incident_id.in_(list(incident_ids)),
            )
        ).all()
        return {row[0]: row[1] for row in rows}

    def board_links(self, live: Sequence[str]) -> list[tuple[str, str, str]]:
        """(reference, reference, relation) of each link (not "separate") touching a live
        incident: what the board marks."""
        one, two = incidents.alias("one"), incidents.alias("two")
        rows = self._c.execute(
            select(one.c.reference, two.c.reference, incident_relations.c.relation)
            .join(one, one.c.id == incident_relations.c.incident_id)
            .join(two, two.c.id == incident_relations.c.other_id)
            .where(
                incident_relations.c.relation != "separate",
                or_(one.c.status.in_(list(live)), two.c.status.in_(list(live))),
            )
            .order_by(incident_relations.c.id)
        ).all()
        return [(row[0], row[1], row[2]) for row in rows]

    def summaries(self, incident_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        if not incident_ids:
            return {}
        query = select(*SUMMARY, incidents.c.account, incidents.c.channel).where(
            incidents.c.id.in_(list(incident_ids))
        )
        return {row.id: dict(row._mapping) for row in self._c.execute(query)}

    # -- the log ---------------------------------------------------------------------------

    def add_log(self, row: dict[str, Any]) -> int:
        return int(
            self._c.execute(insert(incident_log).values(**row).returning(incident_log.c.id)).scalar_one()
        )

    def log_of(self, incident_id: str) -> list[dict[str, Any]]:
        query = (
            select(incident_log).where(incident_log.c.incident_id == incident_id).order_by(incident_log.c.id)
        )
        return [dict(row._mapping) for row in self._c.execute(query)]

    # -- search ----------------------------------------------------------------------------

    def search(
        self, criteria: Criteria, start: datetime | None, end: datetime | None, offset: int, limit: int
    ) -> tuple[int, list[dict[str, Any]]]:
        """How many incidents meet the criteria, and one page of them, newest first. A first
        page that is not full is the whole answer, so the count is not read again (a search
        by part of a name scans; scanning once instead of twice halves its time)."""
        where = _conditions(criteria, start, end)
        rows = self._c.execute(
            select(*SUMMARY)
            .where(*where)
            .order_by(incidents.c.received_at.desc(), incidents.c.reference.desc())
            .offset(offset)
            .limit(limit)
        ).all()
        if offset == 0 and len(rows) < limit:
            return len(rows), [dict(row._mapping) for row in rows]
        total = int(self._c.execute(select(func.count()).select_from(incidents).where(*where)).scalar_one())
        return total, [dict(row._mapping) for row in rows]


def _conditions(
    criteria: Criteria, start: datetime | None, end: datetime | None
) -> list[ColumnElement[bool]]:
    c = incidents.c
    where: list[ColumnElement[bool]] = []
    if criteria.reference:
        exact = criteria.reference_exact
        where.append(
            c.reference == criteria.reference
            if exact
            else c.reference.contains(criteria.reference, autoescape=True)
        )
    if criteria.phone:
        where.append(c.caller_phone == criteria.phone)
    if criteria.postcode:
        outward = criteria.postcode_outward
        where.append(
            c.postcode.startswith(criteria.postcode + " ") if outward else c.postcode == criteria.postcode
        )
    if criteria.address:
        where.append(func.lower(c.location_text).contains(criteria.address.lower(), autoescape=True))
    if criteria.person:
        where.append(func.lower(c.caller_name).contains(criteria.person.lower(), autoescape=True))
    if start is not None:
        where.append(c.received_at >= start)
    if end is not None:
        where.append(c.received_at < end)
    if criteria.category:
        where.append(or_(c.opening_category == criteria.category, c.closing_category == criteria.category))
    if criteria.grade:
        where.append(c.grade == criteria.grade)
    if criteria.status:
        where.append(c.status == criteria.status)
    return where
