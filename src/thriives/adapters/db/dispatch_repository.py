"""Reading and writing units, assignments, deadlines, reassessment tasks and appointments."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from thriives.adapters.db.dispatch_tables import (
    appointment_slots,
    appointments,
    assignments,
    deadlines,
    reassessments,
)
from thriives.adapters.db.tables import districts, incidents, stations, units
from thriives.domain.dispatch import UnitStatus
from thriives.domain.errors import NotFound


def _rows(result: Any) -> list[dict[str, Any]]:
    return [dict(row._mapping) for row in result]


class DispatchRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection
        self._pg = connection.dialect.name == "postgresql"

    # ---- units -------------------------------------------------------------------------

    def units(self) -> list[dict[str, Any]]:
        query = (
            select(units, stations.c.name.label("station_name"), stations.c.district_code)
            .join(stations, stations.c.code == units.c.station_code)
            .order_by(units.c.call_sign)
        )
        return _rows(self._c.execute(query))

    def available_units(self) -> list[dict[str, Any]]:
        """Units free to be sent, with only what ranking them needs (the recommendations'
        read: a force's every unit on each look, so kept lean)."""
        query = select(
            units.c.call_sign,
            units.c.unit_type,
            units.c.skills,
            units.c.status,
            units.c.latitude,
            units.c.longitude,
            units.c.last_latitude,
            units.c.last_longitude,
            units.c.position_at,
        ).where(units.c.status == UnitStatus.AVAILABLE.value)
        return _rows(self._c.execute(query))

    def unit(self, call_sign: str, for_update: bool = False) -> dict[str, Any]:
        query = select(units).where(units.c.call_sign == call_sign)
        if for_update and self._pg:
            query = query.with_for_update()
        row = self._c.execute(query).first()
        if row is None:
            raise NotFound(f"no unit {call_sign!r}", "call_sign")
        return dict(row._mapping)

    def unit_holding(self, incident_id: str) -> dict[str, Any] | None:
        row = self._c.execute(select(units).where(units.c.incident_id == incident_id)).first()
        return dict(row._mapping) if row else None

    def update_unit(self, call_sign: str, version: int, changes: dict[str, Any]) -> bool:
        result = self._c.execute(
            update(units)
            .where(units.c.call_sign == call_sign, units.c.version == version)
            .values(**changes, version=version + 1)
        )
        return result.rowcount == 1

    def stations(self) -> list[dict[str, Any]]:
        query = select(stations, districts.c.kind).join(
            districts, districts.c.code == stations.c.district_code
        )
        return _rows(self._c.execute(query))

    def districts(self) -> list[dict[str, Any]]:
        return _rows(self._c.execute(select(districts).order_by(districts.c.code)))

    # ---- assignments -------------------------------------------------------------------

    def add_assignment(self, row: dict[str, Any]) -> int:
        return int(self._c.execute(insert(assignments).values(**row)).inserted_primary_key[0])

    def current_assignment(self, incident_id: str, call_sign: str) -> dict[str, Any] | None:
        row = self._c.execute(
            select(assignments)
            .where(
                assignments.c.incident_id == incident_id,
                assignments.c.call_sign == call_sign,
                assignments.c.ended_at.is_(None),
            )
            .order_by(assignments.c.id.desc())
        ).first()
        return dict(row._mapping) if row else None

    def update_assignment(self, assignment_id: int, changes: dict[str, Any]) -> None:
        self._c.execute(update(assignments).where(assignments.c.id == assignment_id).values(**changes))

    def assignments_of(self, incident_id: str) -> list[dict[str, Any]]:
        return _rows(
            self._c.execute(
                select(assignments).where(assignments.c.incident_id == incident_id).order_by(assignments.c.id)
            )
        )

    # ---- queue -------------------------------------------------------------------------

    def live_incidents(self, statuses: list[str], limit: int | None) -> list[dict[str, Any]]:
        query = (
            select(
                incidents.c.id,
                incidents.c.reference,
                incidents.c.status,
                incidents.c.channel,
                incidents.c.received_at,
                incidents.c.opening_category,
                incidents.c.qualifiers,
                incidents.c.grade,
                incidents.c.graded_at,
                incidents.c.area,
                incidents.c.postcode,
                incidents.c.location_text,
                incidents.c.dispatched_at,
                incidents.c.arrived_at,
            )
            .where(incidents.c.status.in_(statuses))
            .order_by(incidents.c.received_at)
            .limit(limit)
        )
        return _rows(self._c.execute(query))

    # ---- deadlines ---------------------------------------------------------------------

    def add_deadline(
        self,
        kind: str,
        due_at: datetime,
        now: datetime,
        incident_id: str | None,
        subject_id: int | None = None,
    ) -> int:
        row = {
            "kind": kind,
            "due_at": due_at,
            "state": "pending",
            "created_at": now,
            "incident_id": incident_id,
            "subject_id": subject_id,
            "attempts": 0,
        }
        return int(self._c.execute(insert(deadlines).values(**row)).inserted_primary_key[0])

    def add_deadlines(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            self._c.execute(insert(deadlines), rows)

    def cancel_deadlines(self, incident_id: str, kinds: list[str], subject_id: int | None = None) -> int:
        query = update(deadlines).where(
            deadlines.c.incident_id == incident_id,
            deadlines.c.state == "pending",
            deadlines.c.kind.in_(kinds),
        )
        if subject_id is not None:
            query = query.where(deadlines.c.subject_id == subject_id)
        return int(self._c.execute(query.values(state="cancelled")).rowcount)

    def cancel_all_deadlines(self, incident_id: str) -> int:
        query = update(deadlines).where(
            deadlines.c.incident_id == incident_id, deadlines.c.state == "pending"
        )
        return int(self._c.execute(query.values(state="cancelled")).rowcount)

    def pending_deadlines(self, incident_id: str) -> list[dict[str, Any]]:
        return _rows(
            self._c.execute(
                select(deadlines)
                .where(deadlines.c.incident_id == incident_id, deadlines.c.state == "pending")
                .order_by(deadlines.c.due_at)
            )
        )

    def next_due(self) -> datetime | None:
        query = (
            select(deadlines.c.due_at)
            .where(deadlines.c.state == "pending")
            .order_by(deadlines.c.due_at)
            .limit(1)
        )
        value: datetime | None = self._c.execute(query).scalar()
        return value

    def claim_due(self, now: datetime, worker: str, limit: int) -> list[dict[str, Any]]:
        """Mark up to ``limit`` due deadlines fired by ``worker`` and return them.

        On PostgreSQL the candidates are locked with SKIP LOCKED, so several workers share
        the due rows without waiting on or repeating each other; on SQLite the write
        transaction is exclusive already. The update is guarded on ``state = 'pending'``:
        a row another worker fired in the meantime is not returned. The caller runs each
        deadline's effect in the same transaction, so fired and effect commit together.
        """
        candidates = (
            select(deadlines.c.id)
            .where(deadlines.c.state == "pending", deadlines.c.due_at <= now)
            .order_by(deadlines.c.due_at, deadlines.c.id)
            .limit(limit)
        )
        if self._pg:
            candidates = candidates.with_for_update(skip_locked=True)
        ids = [row[0] for row in self._c.execute(candidates)]
        if not ids:
            return []
        result = self._c.execute(
            update(deadlines)
            .where(deadlines.c.id.in_(ids), deadlines.c.state == "pending")
            .values(state="fired", fired_at=now, fired_by=worker, attempts=deadlines.c.attempts + 1)
            .returning(*deadlines.c)
        )
        return sorted(_rows(result), key=lambda r: (r["due_at"], r["id"]))

    def incidents_by_id(self, incident_ids: set[str]) -> dict[str, dict[str, Any]]:
        """The incidents of a claimed batch, read in one query instead of one each."""
        if not incident_ids:
            return {}
        query = select(incidents).where(incidents.c.id.in_(sorted(incident_ids)))
        return {row["id"]: row for row in _rows(self._c.execute(query))}

    def fail_deadline(self, deadline_id: int, now: datetime, worker: str, error: str) -> bool:
        """Mark a pending deadline failed; False if another worker fired or failed it first
        (it was pending again between this worker's rollback and this update)."""
        result = self._c.execute(
            update(deadlines)
            .where(deadlines.c.id == deadline_id, deadlines.c.state == "pending")
            .values(
                state="failed",
                fired_at=now,
                fired_by=worker,
                error=error[:2000],
                attempts=deadlines.c.attempts + 1,
            )
        )
        return result.rowcount == 1

    def deadline_counts(self) -> dict[str, int]:
        rows = self._c.execute(select(deadlines.c.state, func.count()).group_by(deadlines.c.state))
        return {state: int(count) for state, count in rows}

    # ---- reassessment tasks ------------------------------------------------------------

    def open_task(self, incident_id: str, for_update: bool = False) -> dict[str, Any] | None:
        query = select(reassessments).where(
            reassessments.c.incident_id == incident_id, reassessments.c.status == "open"
        )
        if for_update and self._pg:
            query = query.with_for_update()
        row = self._c.execute(query).first()
        return dict(row._mapping) if row else None

    def task(self, task_id: int, for_update: bool = False) -> dict[str, Any]:
        query = select(reassessments).where(reassessments.c.id == task_id)
        if for_update and self._pg:
            query = query.with_for_update()
        row = self._c.execute(query).first()
        if row is None:
            raise NotFound(f"no reassessment task {task_id}", "task_id")
        return dict(row._mapping)

    def add_task(self, row: dict[str, Any]) -> int:
        return int(self._c.execute(insert(reassessments).values(**row)).inserted_primary_key[0])

    def update_task(self, task_id: int, status: str, changes: dict[str, Any]) -> bool:
        result = self._c.execute(
            update(reassessments)
            .where(reassessments.c.id == task_id, reassessments.c.status == status)
            .values(**changes)
        )
        return result.rowcount == 1

    def tasks_of(self, incident_id: str) -> list[dict[str, Any]]:
        return _rows(
            self._c.execute(
                select(reassessments)
                .where(reassessments.c.incident_id == incident_id)
                .order_by(reassessments.c.id)
            )
        )

    def open_tasks(self, limit: int = 500) -> list[dict[str, Any]]:
        query = (
            select(reassessments, incidents.c.reference, incidents.c.grade, incidents.c.opening_category)
            .join(incidents, incidents.c.id == reassessments.c.incident_id)
            .where(reassessments.c.status == "open")
            .order_by(reassessments.c.opened_at)
            .limit(limit)
        )
        return _rows(self._c.execute(query))

    # ---- appointments ------------------------------------------------------------------

    def add_slot(self, row: dict[str, Any]) -> int:
        return int(self._c.execute(insert(appointment_slots).values(**row)).inserted_primary_key[0])

    def slot(self, slot_id: int, for_update: bool = False) -> dict[str, Any]:
        query = select(appointment_slots).where(appointment_slots.c.id == slot_id)
        if for_update and self._pg:
            query = query.with_for_update()
        row = self._c.execute(query).first()
        if row is None:
            raise NotFound(f"no appointment slot {slot_id}", "slot_id")
        return dict(row._mapping)

    def slots(self, district_code: str | None, starting: datetime, until: datetime) -> list[dict[str, Any]]:
        query = select(appointment_slots).where(
            appointment_slots.c.ends_at > starting, appointment_slots.c.starts_at < until
        )
        if district_code:
            query = query.where(appointment_slots.c.district_code == district_code)
        return _rows(self._c.execute(query.order_by(appointment_slots.c.starts_at, appointment_slots.c.id)))

    def take_place(self, slot_id: int) -> bool:
        """Book one place in a slot, guarded so a full slot is never overbooked."""
        result = self._c.execute(
            update(appointment_slots)
            .where(
                appointment_slots.c.id == slot_id, appointment_slots.c.booked < appointment_slots.c.capacity
            )
            .values(booked=appointment_slots.c.booked + 1)
        )
        return result.rowcount == 1

    def give_back_place(self, slot_id: int) -> None:
        self._c.execute(
            update(appointment_slots)
            .where(appointment_slots.c.id == slot_id, appointment_slots.c.booked > 0)
            .values(booked=appointment_slots.c.booked - 1)
        )

    def add_appointment(self, row: dict[str, Any]) -> int:
        return int(self._c.execute(insert(appointments).values(**row)).inserted_primary_key[0])

    def appointment(self, appointment_id: int) -> dict[str, Any]:
        row = self._c.execute(select(appointments).where(appointments.c.id == appointment_id)).first()
        if row is None:
            raise NotFound(f"no appointment {appointment_id}", "appointment_id")
        return dict(row._mapping)

    def booked_appointment(self, incident_id: str) -> dict[str, Any] | None:
        row = self._c.execute(
            select(appointments).where(
                appointments.c.incident_id == incident_id, appointments.c.status == "booked"
            )
        ).first()
        return dict(row._mapping) if row else None

    def end_appointment(self, appointment_id: int, status: str, now: datetime, note: str | None) -> bool:
        result = self._c.execute(
            update(appointments)
            .where(appointments.c.id == appointment_id, appointments.c.status == "booked")
            .values(status=status, ended_at=now, end_note=note)
        )
        return result.rowcount == 1

    def appointments_of(self, incident_id: str) -> list[dict[str, Any]]:
        return _rows(
            self._c.execute(
                select(appointments)
                .where(appointments.c.incident_id == incident_id)
                .order_by(appointments.c.id)
            )
        )

    # ---- the board's figures -----------------------------------------------------------

    def overdue(self, now: datetime) -> list[dict[str, Any]]:
        """Deadlines past their time and not yet fired: a stopped worker shows here."""
        query = (
            select(deadlines)
            .where(deadlines.c.state == "pending", deadlines.c.due_at < now)
            .order_by(deadlines.c.due_at)
            .limit(100)
        )
        return _rows(self._c.execute(query))

    def failed_deadlines(self) -> list[dict[str, Any]]:
        query = select(deadlines).where(deadlines.c.state == "failed").order_by(deadlines.c.id).limit(100)
        return _rows(self._c.execute(query))
