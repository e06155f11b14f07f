"""Clocks and tasks inside a transaction: the pieces every dispatch use-case shares.

These functions take the caller's unit of work and never commit: whatever starts a clock,
stops one or opens a reassessment task does it in the same transaction as the change that
caused it, so a crash never leaves an incident graded without its clock, or a unit taken
away without its task.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from thriives.adapters.db.uow import SqlUnitOfWork
from thriives.domain.assessment_policy import AssessmentPolicy
from thriives.domain.clocks import AttendanceClock, DeadlineKind, attendance_clock, escalation_times
from thriives.domain.dispatch import Position, nearest_area
from thriives.domain.dispatch_policy import DispatchPolicy
from thriives.domain.grading import is_domestic_abuse
from thriives.domain.grading_clock import follow_up_due, grading_due
from thriives.domain.incidents import Status
from thriives.domain.reassessment import TRIGGER_TEXT, Trigger, is_mandatory
from thriives.services.qa_facts import FactsKeeper

ATTENDANCE = [DeadlineKind.ATTENDANCE_AT_RISK.value, DeadlineKind.ATTENDANCE_BREACH.value]
GRADING = [DeadlineKind.GRADING_LATE.value]
FOLLOW_UP = [DeadlineKind.FOLLOW_UP_OVERDUE.value]
WAITING = {Status.GRADED.value, Status.DISPATCHED.value}  # live and nobody at scene yet


@dataclass(frozen=True)
class Clocks:
    assessment: AssessmentPolicy
    policy: DispatchPolicy
    facts: FactsKeeper | None = None  # the QA facts and review queue, kept in step
    hiding: tuple[str, ...] = ()  # marker kinds that protect an address: left out of a centre

    # ---- where ---------------------------------------------------------------------------

    def position(self, uow: SqlUnitOfWork, incident: dict[str, Any]) -> Position | None:
        """The incident's coordinates, or its postcode's centre on the address records."""
        if incident.get("latitude") is not None and incident.get("longitude") is not None:
            return Position(incident["latitude"], incident["longitude"])
        if incident.get("postcode"):
            found = uow.intel.postcode_centre(incident["postcode"], self.hiding)
            if found is not None:
                return Position(*found)
        return None

    def area(self, uow: SqlUnitOfWork, incident: dict[str, Any]) -> tuple[str, str]:
        """Urban or rural, and how that was decided."""
        if incident.get("area"):
            return incident["area"], "recorded on the incident"
        where = self.position(uow, incident)
        if where is not None:
            stations = [(Position(s["latitude"], s["longitude"]), s["kind"]) for s in uow.dispatch.stations()]
            kind = nearest_area(where, stations)
            if kind is not None:
                return kind, "the nearest station's district"
        return self.policy.unknown_area, f"location unknown: the {self.policy.unknown_area} target applies"

    # ---- attendance clocks -----------------------------------------------------------------

    def clock(self, incident: dict[str, Any]) -> AttendanceClock | None:
        return attendance_clock(
            incident.get("grade"),
            incident.get("area") or self.policy.unknown_area,
            incident["received_at"],
            incident.get("graded_at"),
            self.assessment,
            self.policy,
        )

    def restart(self, uow: SqlUnitOfWork, incident: dict[str, Any], now: datetime) -> AttendanceClock | None:
        """(Re)schedule the incident's attendance deadlines from its grade, area and state.

        Only times still ahead are scheduled: a regrade whose at-risk point has passed does
        not re-fire a reassessment that was just done; the board shows the clock's state.
        """
        uow.dispatch.cancel_deadlines(incident["id"], ATTENDANCE)
        if incident.get("grade") is not None:
            self.stop_grading(uow, incident["id"])  # whatever path graded it
        if incident["status"] not in WAITING or incident.get("arrived_at") is not None:
            return None
        clock = self.clock(incident)
        if clock is None:
            return None
        for kind, due in (
            (DeadlineKind.ATTENDANCE_AT_RISK, clock.at_risk_at),
            (DeadlineKind.ATTENDANCE_BREACH, clock.due_at),
        ):
            if due > now:
                uow.dispatch.add_deadline(kind.value, due, now, incident["id"])
        return clock

    def stop(self, uow: SqlUnitOfWork, incident_id: str) -> None:
        uow.dispatch.cancel_deadlines(incident_id, ATTENDANCE)

    def graded(
        self, uow: SqlUnitOfWork, incident: dict[str, Any], now: datetime, actor: str
    ) -> AttendanceClock | None:
        """The one step every grading path takes once the incident holds its new grade:
        (re)start the attendance clock, stop the grading clock, and open (or cancel) the
        follow-up a call resolved without deployment is owed."""
        clock = self.restart(uow, incident, now)
        self.sync_follow_up(uow, incident, now, actor)
        return clock

    # ---- the grading clock: an ungraded call is never out of sight ---------------------------

    def start_grading(self, uow: SqlUnitOfWork, incident: dict[str, Any], now: datetime) -> datetime | None:
        """Start an ungraded call's grading clock from its receipt (subject: escalation 0).
        A call entered after its target has passed is late at once."""
        if incident.get("grade") is not None:
            return None
        uow.dispatch.cancel_deadlines(incident["id"], GRADING)
        due = grading_due(incident["channel"], incident["received_at"], self.policy.grading)
        uow.dispatch.add_deadline(DeadlineKind.GRADING_LATE.value, due, now, incident["id"], 0)
        return due

    def stop_grading(self, uow: SqlUnitOfWork, incident_id: str) -> None:
        uow.dispatch.cancel_deadlines(incident_id, GRADING)

    def grading_late(
        self, uow: SqlUnitOfWork, incident: dict[str, Any], escalation: int, now: datetime, actor: str
    ) -> None:
        """Tell the supervisor a call is still ungraded past its target; remind again later."""
        due = grading_due(incident["channel"], incident["received_at"], self.policy.grading)
        late = {
            "due_at": due.isoformat(),
            "escalation": escalation + 1,
            "late_minutes": round((now - due) / timedelta(minutes=1)),
        }
        uow.journal.event(now, actor, "grading.late", late, incident["id"])
        if self.facts is not None:
            self.facts.enqueue(uow, incident["id"], "late_grading", late, actor, now)
        uow.dispatch.add_deadline(
            DeadlineKind.GRADING_LATE.value,
            now + timedelta(minutes=self.policy.grading.escalate_every_minutes),
            now,
            incident["id"],
            escalation + 1,
        )

    # ---- the follow-up a call resolved without deployment is owed ----------------------------

    def sync_follow_up(self, uow: SqlUnitOfWork, incident: dict[str, Any], now: datetime, actor: str) -> None:
        """Open a follow-up when the grade calls for one and none is open; cancel an open one
        when the call is regraded to a grade that sends someone instead."""
        current = uow.follow_ups.open_for(incident["id"])
        wanted = incident.get("grade") in self.policy.follow_up.grades
        if wanted and current is None:
            due = follow_up_due(now, self.policy.follow_up)
            follow_up = uow.follow_ups.add(
                {
                    "incident_id": incident["id"],
                    "status": "open",
                    "grade": incident["grade"],
                    "opened_at": now,
                    "opened_by": actor,
                    "due_at": due,
                    "escalations": 0,
                }
            )
            uow.dispatch.add_deadline(
                DeadlineKind.FOLLOW_UP_OVERDUE.value, due, now, incident["id"], follow_up
            )
            data = {"follow_up": follow_up, "grade": incident["grade"], "due_at": due.isoformat()}
            uow.journal.event(now, actor, "follow_up.opened", data, incident["id"])
        elif not wanted and current is not None:
            self.cancel_follow_up(uow, current, f"regraded {incident.get('grade')}", now, actor)

    def cancel_follow_up(
        self, uow: SqlUnitOfWork, follow_up: dict[str, Any], why: str, now: datetime, actor: str
    ) -> None:
        uow.follow_ups.update(
            follow_up["id"], "open", {"status": "cancelled", "done_at": now, "done_by": actor, "note": why}
        )
        uow.dispatch.cancel_deadlines(follow_up["incident_id"], FOLLOW_UP, follow_up["id"])
        data = {"follow_up": follow_up["id"], "why": why}
        uow.journal.event(now, actor, "follow_up.cancelled", data, follow_up["incident_id"])

    def follow_up_overdue(
        self, uow: SqlUnitOfWork, follow_up: dict[str, Any], now: datetime, actor: str
    ) -> None:
        """Tell the supervisor a follow-up is past its time; remind again later."""
        count = int(follow_up["escalations"]) + 1
        uow.follow_ups.escalated(follow_up["id"], count, now)
        late = {
            "follow_up": follow_up["id"],
            "escalation": count,
            "due_at": follow_up["due_at"].isoformat(),
        }
        uow.journal.event(now, actor, "follow_up.overdue", late, follow_up["incident_id"])
        if self.facts is not None:
            self.facts.enqueue(uow, follow_up["incident_id"], "late_follow_up", late, actor, now)
        uow.dispatch.add_deadline(
            DeadlineKind.FOLLOW_UP_OVERDUE.value,
            now + timedelta(minutes=self.policy.follow_up.escalate_every_minutes),
            now,
            follow_up["incident_id"],
            int(follow_up["id"]),
        )

    # ---- reassessment tasks ----------------------------------------------------------------

    def mandatory(self, uow: SqlUnitOfWork, incident: dict[str, Any]) -> tuple[bool, str]:
        latest = uow.assessments.latest(incident["id"])
        levels = dict(latest["levels"]) if latest else {}
        da = is_domestic_abuse(
            incident["opening_category"], frozenset(incident["qualifiers"]), self.assessment
        )
        return is_mandatory(da, levels, self.policy, self.assessment)

    def open_task(
        self,
        uow: SqlUnitOfWork,
        incident: dict[str, Any],
        trigger: Trigger,
        now: datetime,
        actor: str,
        detail: dict[str, Any] | None = None,
    ) -> int:
        """Open a reassessment task, or add the trigger to the one already open."""
        entry = {"trigger": trigger.value, "at": now.isoformat(), "by": actor} | (detail or {})
        current = uow.dispatch.open_task(incident["id"], for_update=True)
        if current is not None:
            triggers = [*current["triggers"], entry]
            uow.dispatch.update_task(current["id"], "open", {"triggers": triggers})
            uow.journal.event(
                now,
                actor,
                "reassessment.trigger_added",
                {"task": current["id"], "trigger": trigger.value, "text": TRIGGER_TEXT[trigger]},
                incident["id"],
            )
            return int(current["id"])
        mandatory, why = self.mandatory(uow, incident)
        task_id = uow.dispatch.add_task(
            {
                "incident_id": incident["id"],
                "status": "open",
                "triggers": [entry],
                "mandatory": mandatory,
                "mandatory_why": why,
                "opened_at": now,
                "escalations": 0,
            }
        )
        if self.facts is not None:
            self.facts.task_opened(uow, incident["id"])
        uow.dispatch.add_deadline(
            DeadlineKind.REASSESSMENT_ESCALATE.value,
            escalation_times(now, self.policy, 0),
            now,
            incident["id"],
            task_id,
        )
        uow.journal.event(
            now,
            actor,
            "reassessment.opened",
            {
                "task": task_id,
                "trigger": trigger.value,
                "text": TRIGGER_TEXT[trigger],
                "mandatory": mandatory,
                "why": why,
            },
            incident["id"],
        )
        return task_id

    def escalate(self, uow: SqlUnitOfWork, task: dict[str, Any], now: datetime, actor: str) -> None:
        """Tell the supervisor a task is still open, and schedule the next reminder."""
        count = int(task["escalations"]) + 1
        uow.dispatch.update_task(task["id"], "open", {"escalations": count, "last_escalated_at": now})
        minutes_open = (now - task["opened_at"]) / timedelta(minutes=1)
        uow.journal.event(
            now,
            actor,
            "reassessment.escalated",
            {"task": task["id"], "escalation": count, "open_minutes": round(minutes_open)},
            task["incident_id"],
        )
        if self.facts is not None:
            self.facts.enqueue(
                uow,
                task["incident_id"],
                "late_reassessment",
                {"task": task["id"], "escalation": count},
                actor,
                now,
            )
        uow.dispatch.add_deadline(
            DeadlineKind.REASSESSMENT_ESCALATE.value,
            now + timedelta(minutes=self.policy.escalate_every_minutes),
            now,
            task["incident_id"],
            int(task["id"]),
        )
