"""Firing deadlines: what the worker does when a clock's time comes.

``fire_due`` claims due deadlines and carries out each one's effect in the same write
transaction, then commits: fired and effect land together or not at all, so a worker that
dies mid-batch leaves its deadlines pending for the next one, and a deadline committed as
fired is never fired again. If one deadline's effect fails, the batch is retried one
deadline at a time and the bad one is marked ``failed`` with its error and an event, so
one fault never stops the clocks of every other incident, and the board shows it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from thriives.adapters.db.uow import SqlUnitOfWork, UnitOfWorkFactory
from thriives.domain.clocks import DeadlineKind
from thriives.domain.incidents import Status
from thriives.domain.reassessment import Trigger
from thriives.services.assessment_due import escalate
from thriives.services.clocks import WAITING, Clocks

log = logging.getLogger(__name__)
ACTOR = "worker"


@dataclass(frozen=True)
class Fired:
    id: int
    kind: str
    due_at: datetime
    fired_at: datetime


class DeadlineService:
    def __init__(self, uow: UnitOfWorkFactory, clocks: Clocks) -> None:
        self._uow = uow
        self.clocks = clocks

    def next_due(self) -> datetime | None:
        with self._uow() as uow:
            return uow.dispatch.next_due()

    def fire_due(self, now: datetime, worker: str, limit: int = 200) -> list[Fired]:
        """Fire up to ``limit`` deadlines due at ``now``; return those fired."""
        upcoming = self.next_due()  # a read: an idle worker never takes the journal's lock
        if upcoming is None or upcoming > now:
            return []
        try:
            with self._uow(write=True) as uow:
                claimed = uow.dispatch.claim_due(now, worker, limit)
                # No effect changes an incident row, so the batch's incidents are read once.
                known = uow.dispatch.incidents_by_id({d["incident_id"] for d in claimed if d["incident_id"]})
                for deadline in claimed:
                    self._fire(uow, deadline, now, known)
                uow.commit()
                return [Fired(d["id"], d["kind"], d["due_at"], now) for d in claimed]
        except Exception:  # noqa: BLE001 - isolate the bad deadline, fire the rest
            log.exception("a deadline batch failed; firing one at a time")
        fired: list[Fired] = []
        while True:
            with self._uow(write=True) as uow:
                claimed = uow.dispatch.claim_due(now, worker, 1)
                if not claimed:
                    return fired
                deadline = claimed[0]
                try:
                    self._fire(uow, deadline, now)
                    uow.commit()
                    fired.append(Fired(deadline["id"], deadline["kind"], deadline["due_at"], now))
                    continue
                except Exception as error:  # noqa: BLE001
                    uow.rollback()
                    log.exception("deadline %s failed", deadline["id"])
                    problem = f"{type(error).__name__}: {error}"
            with self._uow(write=True) as uow:
                if not uow.dispatch.fail_deadline(deadline["id"], now, worker, problem):
                    continue  # another worker fired or failed it meanwhile: its outcome stands
                uow.journal.event(
                    now,
                    ACTOR,
                    "deadline.failed",
                    {"deadline": deadline["id"], "kind": deadline["kind"], "error": problem[:500]},
                    deadline["incident_id"],
                )
                uow.commit()

    def _fire(
        self,
        uow: SqlUnitOfWork,
        deadline: dict[str, Any],
        now: datetime,
        known: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        kind = DeadlineKind(deadline["kind"])
        incident_id = deadline["incident_id"]
        if known is not None and incident_id in known:
            incident: dict[str, Any] | None = known[incident_id]
        else:
            incident = uow.incidents.get_by_id(incident_id) if incident_id else None
        if kind in (DeadlineKind.ATTENDANCE_AT_RISK, DeadlineKind.ATTENDANCE_BREACH):
            if incident is None or incident["status"] not in WAITING:
                return  # attended or closed meanwhile: nothing to do
            late = {"due_at": deadline["due_at"].isoformat()}
            if kind is DeadlineKind.ATTENDANCE_BREACH:
                uow.journal.event(now, ACTOR, "attendance.breached", late, incident["id"])
                if self.clocks.facts is not None:
                    self.clocks.facts.enqueue(uow, incident["id"], "attendance_breach", late, ACTOR, now)
                self.clocks.open_task(uow, incident, Trigger.BREACHED, now, ACTOR, late)
            else:
                uow.journal.event(now, ACTOR, "attendance.at_risk", late, incident["id"])
                self.clocks.open_task(uow, incident, Trigger.AT_RISK, now, ACTOR, late)
        elif kind is DeadlineKind.REASSESSMENT_ESCALATE:
            task = uow.dispatch.task(int(deadline["subject_id"]))
            if task["status"] == "open":
                self.clocks.escalate(uow, task, now, ACTOR)
        elif kind is DeadlineKind.REASSESSMENT_REVIEW:
            if incident is not None and incident["status"] in WAITING:
                self.clocks.open_task(
                    uow, incident, Trigger.REVIEW_DUE, now, ACTOR, {"after_task": deadline["subject_id"]}
                )
        elif kind is DeadlineKind.GRADING_LATE:
            if (
                incident is not None
                and incident["grade"] is None
                and incident["status"] != Status.CLOSED.value
            ):
                self.clocks.grading_late(uow, incident, int(deadline["subject_id"] or 0), now, ACTOR)
        elif kind is DeadlineKind.FOLLOW_UP_OVERDUE:
            follow_up = uow.follow_ups.get(int(deadline["subject_id"]))
            if follow_up["status"] == "open":
                self.clocks.follow_up_overdue(uow, follow_up, now, ACTOR)
        elif kind is DeadlineKind.ASSESSMENT_DUE:
            escalate(uow, incident, self.clocks.facts, ACTOR, now)
        elif kind is DeadlineKind.APPOINTMENT_CHECK:
            appointment = uow.dispatch.appointment(int(deadline["subject_id"]))
            if appointment["status"] != "booked" or incident is None:
                return
            uow.dispatch.end_appointment(appointment["id"], "missed", now, "not recorded as kept in time")
            uow.journal.event(
                now, ACTOR, "appointment.missed", {"appointment": appointment["id"]}, incident["id"]
            )
            if incident["status"] != Status.CLOSED.value:
                self.clocks.restart(uow, incident, now)
                self.clocks.open_task(
                    uow, incident, Trigger.APPOINTMENT, now, ACTOR, {"appointment": appointment["id"]}
                )
