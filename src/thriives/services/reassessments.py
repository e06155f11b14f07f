"""Reassessment tasks and appointments: finishing a task, booking and ending appointments."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from thriives.adapters.db.uow import UnitOfWorkFactory
from thriives.domain.accounts import Actor, Permission, require
from thriives.domain.appointments import SlotView, check_booking, eligibility, shift_window
from thriives.domain.audit_chain import Operation
from thriives.domain.clocks import DeadlineKind
from thriives.domain.errors import Conflict, DomainError
from thriives.domain.grading import is_domestic_abuse
from thriives.domain.incidents import Status, require_reason
from thriives.domain.reassessment import Completion, Trigger, check_completion
from thriives.services.clocks import Clocks

OPERATIONAL = "operational: delayed-attendance reassessment"
MAX_CAPACITY = 500
ENDINGS = ("kept", "missed", "cancelled")


class ReassessmentService:
    def __init__(self, uow: UnitOfWorkFactory, clocks: Clocks, timezone: str) -> None:
        self._uow = uow
        self.clocks = clocks
        self.policy = clocks.policy
        self._zone = ZoneInfo(timezone)

    # ---- tasks -----------------------------------------------------------------------------

    def open_tasks(self, actor: Actor) -> list[dict[str, Any]]:
        require(actor.role, Permission.VIEW_QUEUE)
        with self._uow() as uow:
            return uow.dispatch.open_tasks()

    def task(self, actor: Actor, task_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
        """A task and its incident's summary (reference, grade, category, status)."""
        require(actor.role, Permission.VIEW_QUEUE)
        with self._uow() as uow:
            task = uow.dispatch.task(task_id)
            incident = uow.incidents.get_by_id(task["incident_id"])
            latest = uow.assessments.latest(task["incident_id"])
        assert incident is not None
        summary = {
            k: incident[k] for k in ("reference", "status", "grade", "opening_category", "received_at")
        }
        summary["latest_assessment"] = (
            {"version": latest["version"], "created_at": latest["created_at"]} if latest else None
        )
        return task, summary

    def complete(self, actor: Actor, task_id: int, done: Completion, now: datetime) -> dict[str, Any]:
        """Finish a task: contact outcome, THRIIVES re-run, safeguarding, the next review.

        Refused whole, naming the field, if anything mandatory is missing; the review time
        becomes a deadline that opens the next task when it comes.
        """
        require(actor.role, Permission.REASSESS)
        with self._uow(write=True) as uow:
            task = uow.dispatch.task(task_id, for_update=True)
            if task["status"] != "open":
                raise Conflict(f"task {task_id} was already completed by {task['done_by']}", "task_id")
            latest = uow.assessments.latest(task["incident_id"])
            checked = check_completion(
                done,
                bool(task["mandatory"]),
                task["opened_at"],
                (latest["version"], latest["created_at"]) if latest else None,
                self.policy,
            )
            if done.review_at is not None and done.review_at <= now:
                raise DomainError("must be in the future", "review_at")
            changes = {
                "status": "done",
                "done_at": now,
                "done_by": actor.username,
                "contact_outcome": done.contact_outcome,
                "contact_note": done.contact_note,
                "assessment_version": done.reassessed_version,
                "safeguarding": list(done.safeguarding),
                "safeguarding_note": done.safeguarding_note,
                "review_at": done.review_at,
            }
            if self.clocks.facts is not None:
                self.clocks.facts.task_done(uow, task["incident_id"], on_time=int(task["escalations"]) == 0)
            if not uow.dispatch.update_task(task_id, "open", changes):
                raise Conflict(f"task {task_id} changed while you were completing it; reload", "task_id")
            uow.dispatch.cancel_deadlines(
                task["incident_id"], [DeadlineKind.REASSESSMENT_ESCALATE.value], task_id
            )
            if done.review_at is not None:
                uow.dispatch.add_deadline(
                    DeadlineKind.REASSESSMENT_REVIEW.value, done.review_at, now, task["incident_id"], task_id
                )
            incident = uow.incidents.get_by_id(task["incident_id"])
            assert incident is not None
            uow.journal.event(
                now,
                actor.username,
                "reassessment.completed",
                {
                    "task": task_id,
                    "contact_outcome": done.contact_outcome,
                    "safeguarding": list(done.safeguarding),
                    "assessment_version": done.reassessed_version,
                    "review_at": done.review_at.isoformat() if done.review_at else None,
                    "checked": checked,
                },
                task["incident_id"],
            )
            uow.journal.audit(
                now,
                actor.username,
                Operation.ALTERATION,
                "incident",
                incident["reference"],
                OPERATIONAL,
                {"task": task_id, "fields": sorted(k for k, v in changes.items() if v not in (None, []))},
            )
            uow.commit()
            return task | changes

    def review_at_default(self, now: datetime) -> datetime:
        return now + timedelta(minutes=self.policy.default_review_minutes)

    # ---- appointment slots -----------------------------------------------------------------

    def open_slots(
        self, actor: Actor, district: str, day: date, shift: str, capacity: int, now: datetime
    ) -> dict[str, Any]:
        """Open (or resize) one area's appointment capacity for one shift of one local day."""
        require(actor.role, Permission.MANAGE_SLOTS)
        if shift not in self.policy.shifts:
            raise DomainError(f"must be one of {', '.join(self.policy.shifts)}", "shift")
        if not 0 < capacity <= MAX_CAPACITY:
            raise DomainError(f"must be 1 to {MAX_CAPACITY}", "capacity")
        starts, ends = shift_window(day, self.policy.shifts[shift], self._zone)
        if ends <= now:
            raise DomainError("that shift is over", "day")
        with self._uow(write=True) as uow:
            if district not in {d["code"] for d in uow.dispatch.districts()}:
                raise DomainError(f"no district {district!r}", "district")
            existing = uow.dispatch.slots(district, starts, ends)
            same = [s for s in existing if s["day"] == day.isoformat() and s["shift"] == shift]
            if same:
                raise Conflict(f"slot {same[0]['id']} already covers that shift", "shift")
            row = {
                "district_code": district,
                "day": day.isoformat(),
                "shift": shift,
                "starts_at": starts,
                "ends_at": ends,
                "capacity": capacity,
                "booked": 0,
            }
            slot_id = uow.dispatch.add_slot(row)
            uow.journal.event(
                now,
                actor.username,
                "appointment.slot_opened",
                row | {"id": slot_id, "starts_at": starts.isoformat(), "ends_at": ends.isoformat()},
                None,
            )
            uow.commit()
            return row | {"id": slot_id}

    def slots(self, actor: Actor, district: str | None, now: datetime, days: int = 7) -> list[dict[str, Any]]:
        require(actor.role, Permission.VIEW_QUEUE)
        with self._uow() as uow:
            return uow.dispatch.slots(district, now, now + timedelta(days=days))

    # ---- appointments ----------------------------------------------------------------------

    def eligibility(self, actor: Actor, reference: str) -> dict[str, Any]:
        require(actor.role, Permission.VIEW_QUEUE)
        with self._uow() as uow:
            incident = uow.incidents.require(reference)
            return self._eligibility(uow, incident)

    def _eligibility(self, uow: Any, incident: dict[str, Any]) -> dict[str, Any]:
        latest = uow.assessments.latest(incident["id"])
        dash = uow.assessments.dash_history(incident["id"])
        da = is_domestic_abuse(
            incident["opening_category"], frozenset(incident["qualifiers"]), self.clocks.assessment
        )
        result = eligibility(
            incident["grade"],
            da,
            dict(latest["levels"]) if latest else {},
            dash[-1]["level"] if dash else None,
            self.policy,
            self.clocks.assessment,
        )
        return {"allowed": result.allowed, "reasons": list(result.reasons), "domestic_abuse": da}

    def book(
        self, actor: Actor, reference: str, slot_id: int, at: datetime, place: str | None, now: datetime
    ) -> dict[str, Any]:
        """Book a graded incident into a slot at the time and place the victim chose."""
        require(actor.role, Permission.BOOK_APPOINTMENT)
        with self._uow(write=True) as uow:
            incident = uow.incidents.require(reference, for_update=True)
            if incident["status"] != Status.GRADED.value:
                raise DomainError(
                    f"only a graded incident waiting for attendance can have an appointment; this one is "
                    f"{incident['status']}",
                    "reference",
                )
            if uow.dispatch.booked_appointment(incident["id"]) is not None:
                raise Conflict("this incident already has an appointment booked", "reference")
            allowed = self._eligibility(uow, incident)
            if not allowed["allowed"]:
                raise DomainError("; ".join(allowed["reasons"]), "reference")
            slot = uow.dispatch.slot(slot_id, for_update=True)
            text = check_booking(
                SlotView(
                    slot["id"],
                    slot["district_code"],
                    slot["starts_at"],
                    slot["ends_at"],
                    slot["capacity"],
                    slot["booked"],
                ),
                at,
                place,
                now,
            )
            if not uow.dispatch.take_place(slot_id):
                raise Conflict("this slot is full", "slot_id")
            appointment_id = uow.dispatch.add_appointment(
                {
                    "incident_id": incident["id"],
                    "slot_id": slot_id,
                    "at": at,
                    "place": text,
                    "status": "booked",
                    "reasons": allowed["reasons"],
                    "booked_by": actor.username,
                    "booked_at": now,
                }
            )
            self.clocks.stop(uow, incident["id"])  # the appointment replaces the attendance clock
            uow.dispatch.add_deadline(
                DeadlineKind.APPOINTMENT_CHECK.value,
                at + timedelta(minutes=self.policy.missed_after_minutes),
                now,
                incident["id"],
                appointment_id,
            )
            uow.journal.event(
                now,
                actor.username,
                "appointment.booked",
                {
                    "appointment": appointment_id,
                    "slot": slot_id,
                    "at": at.isoformat(),
                    "reasons": allowed["reasons"],
                },
                incident["id"],
            )
            uow.journal.audit(
                now,
                actor.username,
                Operation.ALTERATION,
                "incident",
                reference,
                OPERATIONAL,
                {"appointment": appointment_id, "fields": ["place", "at"]},
            )
            uow.commit()
            return {"id": appointment_id, "at": at, "place": text, "slot_id": slot_id, "status": "booked"}

    def end_appointment(
        self, actor: Actor, appointment_id: int, outcome: str, note: str | None, now: datetime
    ) -> dict[str, Any]:
        """Kept, missed or cancelled. A missed or cancelled one opens a reassessment task."""
        if outcome not in ENDINGS:
            raise DomainError(f"must be one of {', '.join(ENDINGS)}", "outcome")
        require(actor.role, Permission.BOOK_APPOINTMENT)
        text = require_reason(note, outcome != "kept", "note")
        with self._uow(write=True) as uow:
            appointment = uow.dispatch.appointment(appointment_id)
            if not uow.dispatch.end_appointment(appointment_id, outcome, now, text):
                raise Conflict(
                    f"appointment {appointment_id} is already {appointment['status']}", "appointment_id"
                )
            if outcome == "cancelled":
                uow.dispatch.give_back_place(appointment["slot_id"])
            uow.dispatch.cancel_deadlines(
                appointment["incident_id"], [DeadlineKind.APPOINTMENT_CHECK.value], appointment_id
            )
            incident = uow.incidents.get_by_id(appointment["incident_id"])
            assert incident is not None
            uow.journal.event(
                now,
                actor.username,
                f"appointment.{outcome}",
                {"appointment": appointment_id, "note": text},
                incident["id"],
            )
            uow.journal.audit(
                now,
                actor.username,
                Operation.ALTERATION,
                "incident",
                incident["reference"],
                OPERATIONAL,
                {"appointment": appointment_id, "outcome": outcome},
            )
            if outcome != "kept" and incident["status"] != Status.CLOSED.value:
                self.clocks.restart(uow, incident, now)
                self.clocks.open_task(
                    uow, incident, Trigger.APPOINTMENT, now, actor.username, {"appointment": appointment_id}
                )
            uow.commit()
            return appointment | {"status": outcome, "ended_at": now, "end_note": text}
