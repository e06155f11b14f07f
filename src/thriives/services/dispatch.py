"""Dispatch use-cases: the board, recommendations, assigning and moving units, cut-off calls.

Every use-case that moves a unit moves its incident in the same transaction, guarded by
both versions, so an incident always has an owner: a queue while it is open or graded, its
units (one or several) while it is dispatched or attended, its status following theirs
(``incident_status_of``). The last unit taken away puts its incident back on the queue
with a reassessment task, never nowhere.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from thriives.adapters.db.uow import SqlUnitOfWork, UnitOfWorkFactory
from thriives.domain.accounts import Actor, Permission, require
from thriives.domain.assessment_policy import AssessmentPolicy
from thriives.domain.audit_chain import Operation
from thriives.domain.dispatch import (
    COMMITTED,
    Position,
    QueueItem,
    Recommendation,
    UnitStatus,
    UnitView,
    check_unit_move,
    highest_level,
    incident_status_of,
    needed_skills,
    queue_order,
    recommend,
    require_free,
    skill_words,
    type_words,
)
from thriives.domain.dispatch_policy import DispatchPolicy
from thriives.domain.errors import Conflict, DomainError
from thriives.domain.grading_clock import grading_due, grading_state, risk_cues
from thriives.domain.incidents import LIVE_STATUSES, Status, require_reason
from thriives.domain.reassessment import Trigger
from thriives.domain.time_window import TimeWindow
from thriives.services.clocks import Clocks
from thriives.services.consultations import consulted
from thriives.services.units import UnitService, backup_view, note_assignment

OPERATIONAL = "operational: dispatch"
# Incidents a unit may be sent to: waiting for its first, or held by units (more sent).
SENDABLE = frozenset({Status.GRADED.value, Status.DISPATCHED.value, Status.AT_SCENE.value})
BOARD_LIMIT = None  # every live incident: the board's counts and panels must agree
# A deadline this far past its time and still unfired means the worker is not keeping up;
# one a moment past is only waiting for the worker's next look, and no cause for alarm.
LATE_AFTER = timedelta(seconds=2)


def unit_view(row: dict[str, Any]) -> UnitView:
    where = Position(row["latitude"], row["longitude"]) if row.get("latitude") is not None else None
    last = (
        Position(row["last_latitude"], row["last_longitude"])
        if row.get("last_latitude") is not None and row.get("last_longitude") is not None
        else None
    )
    return UnitView(
        row["call_sign"],
        row["unit_type"],
        frozenset(row["skills"]),
        UnitStatus(row["status"]),
        where,
        last,
        row.get("position_at") if last else None,
    )


class DispatchService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        assessment: AssessmentPolicy,
        policy: DispatchPolicy,
        clocks: Clocks,
        window: TimeWindow = TimeWindow(),
    ) -> None:
        self._uow = uow
        self.assessment = assessment
        self.policy = policy
        self.clocks = clocks
        self.units = UnitService(uow, policy, window)  # backup requests and positions

    # ---- reading ---------------------------------------------------------------------------

    def board(self, actor: Actor, now: datetime) -> dict[str, Any]:
        """Everything a dispatcher or supervisor watches, with no caller details (so it is
        not a consultation of personal data): the risk-ordered queue with each clock, the
        incidents units hold, open reassessment tasks, units, and deadlines the worker has
        not fired on time."""
        require(actor.role, Permission.VIEW_QUEUE)
        with self._uow() as uow:
            live = uow.dispatch.live_incidents([s.value for s in LIVE_STATUSES], BOARD_LIMIT)
            levels = uow.assessments.latest_levels([row["id"] for row in live])
            units_on = uow.backups.units_on([row["id"] for row in live])
            backups = uow.backups.open_requests([row["id"] for row in live])
            tasks = uow.dispatch.open_tasks()
            unit_rows = uow.dispatch.units()
            overdue = uow.dispatch.overdue(now - LATE_AFTER)
            failed = uow.dispatch.failed_deadlines()
            follow_ups = uow.follow_ups.open()
            # The caller's words are read only for the risk cues of calls not yet graded.
            accounts = uow.incidents.accounts([row["id"] for row in live if row["grade"] is None])
        grades = [g.code for g in self.assessment.grades]
        by_reference: dict[str, dict[str, Any]] = {}
        items = []
        open_task_of = {t["incident_id"]: t for t in tasks}
        for row in live:
            risk = highest_level(levels.get(row["id"], {}), self.assessment.levels)
            clock = self.clocks.clock(row)
            state = clock.state(now, row["arrived_at"]) if clock else None
            on = [
                {
                    "call_sign": u["call_sign"],
                    "status": u["status"],
                    "unit_type": u["unit_type"],
                    "type_label": type_words(self.policy, u["unit_type"]),
                }
                for u in units_on.get(row["id"], [])
            ]
            backup = backups.get(row["id"])
            entry = {
                "reference": row["reference"],
                "status": row["status"],
                "grade": row["grade"],
                "risk": risk,
                "category": row["opening_category"],
                "received_at": row["received_at"],
                "area": row["area"],
                "call_sign": on[0]["call_sign"] if on else None,  # the first, by call sign
                "unit_status": on[0]["status"] if on else None,
                "units": on,
                "backup": backup_view(backup, self.policy) if backup else None,
                "target_minutes": clock.target_minutes if clock else None,
                "due_at": clock.due_at if clock else None,
                "at_risk_at": clock.at_risk_at if clock else None,
                "clock": state,
                "seconds_left": round((clock.due_at - now).total_seconds()) if clock else None,
                "task": open_task_of.get(row["id"], {}).get("id"),
            } | self._grading(row, accounts, now)
            by_reference[row["reference"]] = entry
            items.append(
                QueueItem(row["reference"], row["grade"], risk, row["received_at"], len(entry["cues"]))
            )
        ungraded_after = (self.policy.grading.with_cues_after, self.policy.grading.without_cues_after)
        ordered = [
            by_reference[i.reference]
            for i in queue_order(items, grades, self.assessment.levels, ungraded_after)
        ]
        waiting = [e for e in ordered if e["status"] in (Status.OPEN.value, Status.GRADED.value)]
        held = [e for e in ordered if e["status"] not in (Status.OPEN.value, Status.GRADED.value)]
        reference_of = {row["id"]: row["reference"] for row in live}
        task_rows = [
            {
                "id": t["id"],
                "reference": t["reference"],
                "grade": t["grade"],
                "mandatory": t["mandatory"],
                "why": t["mandatory_why"],
                "triggers": [x["trigger"] for x in t["triggers"]],
                "opened_at": t["opened_at"],
                "escalations": t["escalations"],
                "overdue": t["escalations"] > 0,
            }
            for t in tasks
        ]
        return {
            "queue": waiting,
            "held": held,
            "tasks": task_rows,
            "units": [
                {
                    "call_sign": u["call_sign"],
                    "unit_type": u["unit_type"],
                    "type_label": type_words(self.policy, u["unit_type"]),
                    "station": u["station_name"],
                    "skills": list(u["skills"]),
                    "skill_labels": list(skill_words(self.policy, u["skills"])),
                    "status": u["status"],
                    "incident": reference_of.get(u["incident_id"]) if u["incident_id"] else None,
                    "position_at": u["position_at"] if u["last_latitude"] is not None else None,
                }
                for u in unit_rows
            ],
            "follow_ups": [_follow_up_row(f, now) for f in follow_ups],
            "ungraded": sum(1 for e in ordered if e["grade"] is None),
            "grading_late": sum(1 for e in ordered if e["grading"] == "late"),
            "breached": sum(1 for e in ordered if e["clock"] == "breached"),
            "at_risk": sum(1 for e in ordered if e["clock"] == "at_risk"),
            "overdue_deadlines": len(overdue),
            "failed_deadlines": len(failed),
            "as_of": now,
        }

    def _grading(self, row: dict[str, Any], accounts: dict[str, str], now: datetime) -> dict[str, Any]:
        """An ungraded call's grading clock and the risk cues that place it on the queue."""
        age = round((now - row["received_at"]).total_seconds())
        if row["grade"] is not None:
            return {
                "channel": row["channel"],
                "age_seconds": age,
                "cues": [],
                "grading": None,
                "grading_due_at": None,
                "grading_seconds_left": None,
            }
        due = grading_due(row["channel"], row["received_at"], self.policy.grading)
        cues = risk_cues(
            row["channel"],
            row["opening_category"],
            frozenset(row["qualifiers"]),
            accounts.get(row["id"], ""),
            self.assessment,
        )
        return {
            "channel": row["channel"],
            "age_seconds": age,
            "cues": list(cues),
            "grading": grading_state(due, now),
            "grading_due_at": due,
            "grading_seconds_left": round((due - now).total_seconds()),
        }

    def recommendations(
        self, actor: Actor, reference: str, now: datetime | None = None
    ) -> tuple[dict[str, Any], list[Recommendation]]:
        """Units recommended for a graded incident by skill and distance (advisory), measured
        from each unit's last known position at ``now`` (without ``now``: from its station)."""
        require(actor.role, Permission.VIEW_QUEUE)
        with self._uow() as uow:
            incident = uow.incidents.require(reference)
            return self._recommend(uow, incident, now)

    def _recommend(
        self, uow: SqlUnitOfWork, incident: dict[str, Any], now: datetime | None
    ) -> tuple[dict[str, Any], list[Recommendation]]:
        if incident["grade"] is None:
            raise DomainError("resources are shown once the incident is graded", "reference")
        latest = uow.assessments.latest(incident["id"])
        indicators = frozenset(latest["indicators"]) if latest else frozenset()
        required, wanted, why = needed_skills(
            self.policy, incident["opening_category"], frozenset(incident["qualifiers"]), indicators
        )
        backup = uow.backups.open_request(incident["id"])
        if backup is not None:  # the skills a backup request asks for are wanted too
            wanted = (*wanted, *(s for s in backup["skills"] if s not in wanted and s not in required))
            why = (*why, "backup")
        area, area_why = self.clocks.area(uow, incident)
        where = self.clocks.position(uow, incident)
        units = [unit_view(u) for u in uow.dispatch.available_units()]
        found = recommend(units, where, area, required, wanted, self.policy, now)
        needs = {
            "required": list(required),
            "wanted": list(wanted),
            "required_words": list(skill_words(self.policy, required)),
            "wanted_words": list(skill_words(self.policy, wanted)),
            "because": list(why),
            "backup": backup_view(backup, self.policy) if backup else None,
            "area": area,
            "area_why": area_why,
            "located": where is not None,
        }
        return needs, found

    # ---- assigning and moving units -------------------------------------------------------

    def assign(
        self, actor: Actor, reference: str, call_sign: str, reason: str | None, now: datetime
    ) -> dict[str, Any]:
        """Send an available unit to a graded incident, or one more to an incident its units
        already hold. Choosing other than the first recommendation needs a reason, which is
        recorded. A unit committed anywhere (or unavailable) is refused, saying where."""
        require(actor.role, Permission.DISPATCH)
        text = require_reason(reason, False)
        with self._uow(write=True) as uow:
            incident = uow.incidents.require(reference, for_update=True)
            if incident["status"] not in SENDABLE:
                raise DomainError(
                    "units are sent to a graded incident or one its units hold; "
                    f"this one is {incident['status'].replace('_', ' ')}",
                    "reference",
                )
            unit = uow.dispatch.unit(call_sign, for_update=True)
            held = uow.backups.reference_of(unit["incident_id"]) if unit["incident_id"] else None
            require_free(call_sign, UnitStatus(unit["status"]), held, incident["reference"])
            _needs, found = self._recommend(uow, incident, now)
            ranked = [r.call_sign for r in found]
            followed = bool(ranked) and ranked[0] == call_sign
            if ranked and not followed and not text:
                raise DomainError(
                    f"{ranked[0]} was recommended; give the reason for sending {call_sign} instead", "reason"
                )
            self._move_unit(uow, unit, UnitStatus.ASSIGNED, now, incident["id"], actor.username)
            uow.dispatch.add_assignment(
                {
                    "incident_id": incident["id"],
                    "call_sign": call_sign,
                    "assigned_at": now,
                    "assigned_by": actor.username,
                    "recommended": ranked,
                    "followed": followed,
                    "reason": text,
                }
            )
            changes = self._follow_units(uow, incident, now)
            if incident["dispatched_at"] is None:
                changes["dispatched_at"] = now
            after = self._save_incident(
                uow,
                actor,
                incident,
                changes,
                "incident.dispatched",
                {"call_sign": call_sign, "recommended": ranked[:3], "followed": followed, "reason": text},
                now,
            )
            note_assignment(uow, actor, incident, call_sign, now)
            uow.commit()
            return after

    def move(self, actor: Actor, call_sign: str, target: UnitStatus, now: datetime) -> dict[str, Any]:
        """A unit's own moves in order: en route, at scene; available and unavailable."""
        require(actor.role, Permission.DISPATCH)
        with self._uow(write=True) as uow:
            unit = uow.dispatch.unit(call_sign, for_update=True)
            check_unit_move(UnitStatus(unit["status"]), target)
            self._move_unit(uow, unit, target, now, unit["incident_id"], actor.username)
            if unit["incident_id"] is not None:
                incident = uow.incidents.get_by_id(unit["incident_id"])
                assert incident is not None
                assignment = uow.dispatch.current_assignment(incident["id"], call_sign)
                if target is UnitStatus.EN_ROUTE and assignment:
                    uow.dispatch.update_assignment(assignment["id"], {"en_route_at": now})
                if target is UnitStatus.AT_SCENE:
                    if assignment:
                        uow.dispatch.update_assignment(assignment["id"], {"arrived_at": now})
                    scene = self.clocks.position(uow, incident)
                    if scene is not None:  # where it is now: the incident's location
                        uow.backups.set_position(call_sign, scene.latitude, scene.longitude, now)
                    changes = self._follow_units(uow, incident, now)
                    if incident["arrived_at"] is None:  # the clock stops at the first arrival
                        changes["arrived_at"] = now
                    self.clocks.stop(uow, incident["id"])
                    self._save_incident(
                        uow, actor, incident, changes, "incident.arrived", {"call_sign": call_sign}, now
                    )
            uow.commit()
            return unit | {"status": target.value}

    def take_away(
        self, actor: Actor, call_sign: str, reason: str | None, now: datetime, unavailable: bool = False
    ) -> dict[str, Any]:
        """Free a committed unit before its incident is finished (diverted, stood down).

        Other units on the incident stay, and its status follows them. When none is left,
        the incident goes back on the dispatch queue and a reassessment task opens at once.
        """
        require(actor.role, Permission.DISPATCH)
        text = require_reason(reason, True)
        with self._uow(write=True) as uow:
            unit = uow.dispatch.unit(call_sign, for_update=True)
            if UnitStatus(unit["status"]) not in COMMITTED or unit["incident_id"] is None:
                raise DomainError(f"{call_sign} holds no incident to be taken away from", "call_sign")
            incident = uow.incidents.get_by_id(unit["incident_id"])
            assert incident is not None
            target = UnitStatus.UNAVAILABLE if unavailable else UnitStatus.AVAILABLE
            self._release(uow, unit, incident["id"], target, "taken_away", now, actor.username)
            changes = self._follow_units(uow, incident, now)
            after = self._save_incident(
                uow,
                actor,
                incident,
                changes,
                "incident.unit_taken_away",
                {"call_sign": call_sign, "reason": text},
                now,
            )
            if after["status"] != Status.GRADED.value:  # others still hold it
                uow.commit()
                return after | {"task": None}
            self.clocks.restart(uow, after, now)
            task = self.clocks.open_task(
                uow, after, Trigger.UNIT_TAKEN, now, actor.username, {"call_sign": call_sign}
            )
            uow.commit()
            return after | {"task": task}

    def hand_over(
        self, actor: Actor, call_sign: str, to_call_sign: str, reason: str | None, now: datetime
    ) -> dict[str, Any]:
        """Pass one unit's place on an incident to another available unit in one step; the
        incident's other units stay."""
        require(actor.role, Permission.DISPATCH)
        text = require_reason(reason, True)
        if call_sign == to_call_sign:
            raise DomainError("hand over to a different unit", "to_call_sign")
        with self._uow(write=True) as uow:
            unit = uow.dispatch.unit(call_sign, for_update=True)
            if UnitStatus(unit["status"]) not in COMMITTED or unit["incident_id"] is None:
                raise DomainError(f"{call_sign} holds no incident to hand over", "call_sign")
            other = uow.dispatch.unit(to_call_sign, for_update=True)
            incident = uow.incidents.get_by_id(unit["incident_id"])
            assert incident is not None
            held = uow.backups.reference_of(other["incident_id"]) if other["incident_id"] else None
            require_free(
                to_call_sign, UnitStatus(other["status"]), held, incident["reference"], "to_call_sign"
            )
            self._release(uow, unit, incident["id"], UnitStatus.AVAILABLE, "handed_over", now, actor.username)
            self._move_unit(uow, other, UnitStatus.ASSIGNED, now, incident["id"], actor.username)
            uow.dispatch.add_assignment(
                {
                    "incident_id": incident["id"],
                    "call_sign": to_call_sign,
                    "assigned_at": now,
                    "assigned_by": actor.username,
                    "recommended": [],
                    "followed": False,
                    "reason": text,
                }
            )
            changes = self._follow_units(uow, incident, now)
            after = self._save_incident(
                uow,
                actor,
                incident,
                changes,
                "incident.handed_over",
                {"from": call_sign, "to": to_call_sign, "reason": text},
                now,
            )
            uow.commit()
            return after

    def cut_off(self, actor: Actor, reference: str, now: datetime) -> int:
        """The call was cut off: a reassessment task opens at once (REFERENCE 2.4)."""
        require(actor.role, Permission.UPDATE_INCIDENT)
        with self._uow(write=True) as uow:
            incident = uow.incidents.require(reference, for_update=True)
            if incident["status"] == Status.CLOSED.value:
                raise DomainError("the incident is closed", "reference")
            uow.journal.event(now, actor.username, "incident.cut_off", {}, incident["id"])
            task = self.clocks.open_task(uow, incident, Trigger.CUT_OFF, now, actor.username)
            uow.commit()
            return task

    def timing(self, actor: Actor, reference: str, now: datetime) -> dict[str, Any]:
        """Times received, graded, dispatched and arrived, from the call and from dispatch;
        the reading is audited."""
        require(actor.role, Permission.VIEW_INCIDENT)
        with self._uow(write=True) as uow:
            incident = uow.incidents.require(reference)
            assignments = uow.dispatch.assignments_of(incident["id"])
            tasks = uow.dispatch.tasks_of(incident["id"])
            appointments = uow.dispatch.appointments_of(incident["id"])
            deadlines = uow.dispatch.pending_deadlines(incident["id"])
            backups = uow.backups.requests_of(incident["id"])
            holding = uow.backups.units_holding(incident["id"])
            consulted(uow, actor, incident["reference"], now, "dispatch")
            uow.commit()
        current = {a["call_sign"]: a for a in assignments if a["ended_at"] is None}
        return {
            "times": measured(incident),
            "clock": asdict(clock) if (clock := self.clocks.clock(incident)) else None,
            "assignments": assignments,
            "tasks": tasks,
            "appointments": appointments,
            "deadlines": deadlines,
            "backups": [b | backup_view(b, self.policy) for b in backups],
            "units": [
                {
                    "call_sign": u["call_sign"],
                    "status": u["status"],
                    "unit_type": u["unit_type"],
                    "type_label": type_words(self.policy, u["unit_type"]),
                    "skill_labels": list(skill_words(self.policy, u["skills"])),
                    "assignment": current.get(u["call_sign"]),
                }
                for u in holding
            ],
        }

    # ---- shared steps ----------------------------------------------------------------------

    def _move_unit(
        self,
        uow: SqlUnitOfWork,
        unit: dict[str, Any],
        target: UnitStatus,
        now: datetime,
        incident_id: str | None,
        who: str,
    ) -> None:
        changes = {"status": target.value, "status_at": now, "incident_id": incident_id}
        if not uow.dispatch.update_unit(unit["call_sign"], unit["version"], changes):
            raise Conflict(f"{unit['call_sign']} changed while you were dispatching; reload", "call_sign")
        uow.journal.event(
            now,
            who,
            "unit.status",
            {"call_sign": unit["call_sign"], "before": unit["status"], "after": target.value},
            incident_id or unit["incident_id"],  # a unit released shows on the incident it left
        )

    def _follow_units(self, uow: SqlUnitOfWork, incident: dict[str, Any], now: datetime) -> dict[str, Any]:
        """The incident's changes so that its status follows its units (as they stand now, in
        this transaction): at scene, dispatched, or graded when none is left."""
        held = [UnitStatus(u["status"]) for u in uow.backups.units_holding(incident["id"])]
        target = incident_status_of(held) or Status.GRADED
        changes: dict[str, Any] = {"updated_at": now}
        if target.value != incident["status"]:
            changes["status"] = target.value
        return changes

    def _release(
        self,
        uow: SqlUnitOfWork,
        unit: dict[str, Any],
        incident_id: str,
        target: UnitStatus,
        why: str,
        now: datetime,
        who: str,
    ) -> None:
        assignment = uow.dispatch.current_assignment(incident_id, unit["call_sign"])
        if assignment:
            uow.dispatch.update_assignment(assignment["id"], {"ended_at": now, "end_reason": why})
        self._move_unit(uow, unit, target, now, None, who)

    def _save_incident(
        self,
        uow: SqlUnitOfWork,
        actor: Actor,
        incident: dict[str, Any],
        changes: dict[str, Any],
        kind: str,
        detail: dict[str, Any],
        now: datetime,
    ) -> dict[str, Any]:
        if not uow.incidents.update(incident["id"], incident["version"], changes):
            raise Conflict("the incident changed while you were dispatching; reload", "version")
        shown = {k: _as_json(v) for k, v in changes.items() if k != "updated_at"}
        before = {k: _as_json(incident[k]) for k in shown}
        uow.journal.event(
            now, actor.username, kind, {"before": before, "after": shown} | detail, incident["id"]
        )
        uow.journal.audit(
            now,
            actor.username,
            Operation.ALTERATION,
            "incident",
            incident["reference"],
            OPERATIONAL,
            {"fields": sorted(shown)},
        )
        return incident | changes | {"version": incident["version"] + 1}


def _follow_up_row(row: dict[str, Any], now: datetime) -> dict[str, Any]:
    return {
        "id": row["id"],
        "reference": row["reference"],
        "grade": row["grade"],
        "opened_at": row["opened_at"],
        "due_at": row["due_at"],
        "seconds_left": round((row["due_at"] - now).total_seconds()),
        "overdue": now >= row["due_at"],
        "escalations": row["escalations"],
    }


def _as_json(value: Any) -> Any:
    """Event data is JSON: times (dispatched_at, arrived_at) go in as ISO 8601 text."""
    return value.isoformat() if isinstance(value, datetime) else value


def measured(incident: dict[str, Any]) -> dict[str, Any]:
    """Seconds from the call to grading, dispatch and arrival, and from dispatch to arrival."""

    def since(start: datetime | None, end: datetime | None) -> int | None:
        return round((end - start).total_seconds()) if start and end else None

    received = incident["received_at"]
    return {
        "received_at": received,
        "graded_at": incident["graded_at"],
        "dispatched_at": incident["dispatched_at"],
        "arrived_at": incident["arrived_at"],
        "call_to_grade_s": since(received, incident["graded_at"]),
        "call_to_dispatch_s": since(received, incident["dispatched_at"]),
        "call_to_arrival_s": since(received, incident["arrived_at"]),
        "dispatch_to_arrival_s": since(incident["dispatched_at"], incident["arrived_at"]),
    }
