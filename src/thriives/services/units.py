"""Unit use-cases beside assigning and moving: backup requests and last known positions.

Reached as ``container.dispatch.units``. A backup request asks for further units on an
incident (how many, which skills, why); each unit assigned while it is open counts towards
it (``note_assignment``, in the assigning transaction) and the request is satisfied, with
an event, once enough have been; or it is cancelled with a reason, or ends when the
incident closes. A unit's position is reported by it (``report_position``) or set when it
arrives at scene; recommendations measure from it while it is recent.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from thriives.adapters.db.uow import SqlUnitOfWork, UnitOfWorkFactory
from thriives.domain.accounts import Actor, Permission, require
from thriives.domain.audit_chain import Operation
from thriives.domain.backup import check_backup, is_satisfied, require_backup_allowed
from thriives.domain.dispatch import check_position, skill_words
from thriives.domain.dispatch_policy import DispatchPolicy
from thriives.domain.errors import Conflict, DomainError
from thriives.domain.incidents import require_reason
from thriives.domain.time_window import TimeWindow

OPERATIONAL = "operational: dispatch"


def backup_view(row: dict[str, Any], policy: DispatchPolicy) -> dict[str, Any]:
    """What staff see of a backup request: counts and skills in words."""
    return {
        "id": row["id"],
        "status": row["status"],
        "units": row["units"],
        "skills": list(row["skills"]),
        "skill_labels": list(skill_words(policy, row["skills"])),
        "reason": row["reason"],
        "requested_at": row["requested_at"],
        "requested_by": row["requested_by"],
        "sent": list(row["sent"]),
        "still_wanted": max(0, row["units"] - len(row["sent"])),
    }


def note_assignment(
    uow: SqlUnitOfWork, actor: Actor, incident: dict[str, Any], call_sign: str, now: datetime
) -> None:
    """A unit was assigned to the incident: count it towards an open backup request, and
    mark the request satisfied (with an event) once enough further units have gone."""
    request = uow.backups.open_request(incident["id"], for_update=True)
    if request is None:
        return
    sent = [*request["sent"], call_sign]
    changes: dict[str, Any] = {"sent": sent}
    done = is_satisfied(request["units"], sent)
    if done:
        changes |= {"status": "satisfied", "ended_at": now, "ended_by": actor.username}
    if not uow.backups.update_request(request["id"], changes):
        raise Conflict("the backup request changed meanwhile; reload", "reference")
    if done:
        uow.journal.event(
            now,
            actor.username,
            "incident.backup_satisfied",
            {"request": request["id"], "units": request["units"], "sent": sent},
            incident["id"],
        )


def end_on_close(uow: SqlUnitOfWork, incident_id: str, now: datetime, who: str) -> None:
    """Closing the incident cancels its open backup request, with an event."""
    request = uow.backups.open_request(incident_id, for_update=True)
    if request is None:
        return
    changes = {"status": "cancelled", "ended_at": now, "ended_by": who, "end_reason": "incident closed"}
    if uow.backups.update_request(request["id"], changes):
        uow.journal.event(
            now,
            who,
            "incident.backup_cancelled",
            {"request": request["id"], "reason": "incident closed"},
            incident_id,
        )


class UnitService:
    def __init__(
        self, uow: UnitOfWorkFactory, policy: DispatchPolicy, window: TimeWindow = TimeWindow()
    ) -> None:
        self._uow = uow
        self.policy = policy
        self.window = window  # how far back a reported position's time may be (times.json)

    # ---- backup --------------------------------------------------------------------------

    def request_backup(
        self,
        actor: Actor,
        reference: str,
        units: int,
        skills: Sequence[str],
        reason: str | None,
        now: datetime,
    ) -> dict[str, Any]:
        """Ask for further units on an incident; one open request per incident."""
        require(actor.role, Permission.DISPATCH)
        wanted = check_backup(units, skills, reason, self.policy)
        with self._uow(write=True) as uow:
            incident = uow.incidents.require(reference, for_update=True)
            require_backup_allowed(incident["status"], incident["reference"])
            if uow.backups.open_request(incident["id"], for_update=True) is not None:
                raise DomainError(
                    f"{incident['reference']} already has an open backup request; cancel it first",
                    "reference",
                )
            row = {
                "incident_id": incident["id"],
                "status": "open",
                "units": wanted.units,
                "skills": list(wanted.skills),
                "reason": wanted.reason,
                "requested_at": now,
                "requested_by": actor.username,
                "sent": [],
            }
            row["id"] = uow.backups.add_request(row)
            uow.journal.event(
                now,
                actor.username,
                "incident.backup_requested",
                {
                    "request": row["id"],
                    "units": wanted.units,
                    "skills": list(wanted.skills),
                    "reason": wanted.reason,
                },
                incident["id"],
            )
            uow.journal.audit(
                now,
                actor.username,
                Operation.ALTERATION,
                "incident",
                incident["reference"],
                OPERATIONAL,
                {"fields": ["backup"]},
            )
            uow.commit()
            return backup_view(row, self.policy)

    def cancel_backup(
        self, actor: Actor, reference: str, reason: str | None, now: datetime
    ) -> dict[str, Any]:
        """Withdraw an incident's open backup request, with the reason."""
        require(actor.role, Permission.DISPATCH)
        text = require_reason(reason, True, "reason")
        with self._uow(write=True) as uow:
            incident = uow.incidents.require(reference, for_update=True)
            request = uow.backups.open_request(incident["id"], for_update=True)
            if request is None:
                raise DomainError(f"{incident['reference']} has no open backup request", "reference")
            changes = {"status": "cancelled", "ended_at": now, "ended_by": actor.username, "end_reason": text}
            if not uow.backups.update_request(request["id"], changes):
                raise Conflict("the backup request changed meanwhile; reload", "reference")
            uow.journal.event(
                now,
                actor.username,
                "incident.backup_cancelled",
                {"request": request["id"], "reason": text},
                incident["id"],
            )
            uow.journal.audit(
                now,
                actor.username,
                Operation.ALTERATION,
                "incident",
                incident["reference"],
                OPERATIONAL,
                {"fields": ["backup"]},
            )
            uow.commit()
            return backup_view(request | changes, self.policy)

    # ---- positions ----------------------------------------------------------------------

    def report_position(
        self,
        actor: Actor,
        call_sign: str,
        latitude: float | None,
        longitude: float | None,
        at: datetime | None,
        now: datetime,
    ) -> dict[str, Any]:
        """A unit's last known position (both coordinates), or unknown (neither), at ``at``
        (``now`` if not given; never in the future)."""
        require(actor.role, Permission.DISPATCH)
        where = check_position(latitude, longitude, at, now, self.window)
        when = (at or now) if where is not None else None
        with self._uow(write=True) as uow:
            unit = uow.dispatch.unit(call_sign, for_update=True)
            if (
                where is not None
                and unit["position_at"] is not None
                and when is not None
                and when < unit["position_at"]
            ):
                raise DomainError(
                    f"{call_sign} already reported a later position ({unit['position_at'].isoformat()})", "at"
                )
            lat = where.latitude if where else None
            lon = where.longitude if where else None
            uow.backups.set_position(call_sign, lat, lon, when)
            uow.journal.event(
                now,
                actor.username,
                "unit.position",
                {
                    "call_sign": call_sign,
                    "latitude": lat,
                    "longitude": lon,
                    "at": when.isoformat() if when else None,
                },
                unit["incident_id"],
            )
            uow.journal.audit(
                now,
                actor.username,
                Operation.ALTERATION,
                "unit",
                call_sign,
                OPERATIONAL,
                {"fields": ["position"]},
            )
            uow.commit()
            return {"call_sign": call_sign, "latitude": lat, "longitude": lon, "position_at": when}
