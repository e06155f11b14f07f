"""Follow-ups: the call-back or referral a call resolved without deployment is owed.

A follow-up opens when the incident is graded to a grade in ``follow_up.grades``
(``Clocks.sync_follow_up``, the step every grading path takes), falls due a policy time
later (the deadline worker escalates it to the supervisor while it stays open), and is
completed here with its outcome: called back, referred to a named agency, or no contact.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from thriives.adapters.db.uow import UnitOfWorkFactory
from thriives.domain.accounts import Actor, Permission, require
from thriives.domain.audit_chain import Operation
from thriives.domain.errors import Conflict
from thriives.domain.grading_clock import check_outcome
from thriives.services.clocks import FOLLOW_UP, Clocks

OPERATIONAL = "operational: follow-up of a call resolved without deployment"


class FollowUpService:
    def __init__(self, uow: UnitOfWorkFactory, clocks: Clocks) -> None:
        self._uow = uow
        self.clocks = clocks
        self.policy = clocks.policy.follow_up

    def open(self, actor: Actor) -> list[dict[str, Any]]:
        """Every open follow-up, the soonest due first. No caller details: not a consultation."""
        require(actor.role, Permission.VIEW_QUEUE)
        with self._uow() as uow:
            return uow.follow_ups.open()

    def of_incident(self, actor: Actor, incident_id: str) -> list[dict[str, Any]]:
        require(actor.role, Permission.VIEW_QUEUE)
        with self._uow() as uow:
            return uow.follow_ups.of_incident(incident_id)

    def get(self, actor: Actor, follow_up_id: int) -> dict[str, Any]:
        require(actor.role, Permission.VIEW_QUEUE)
        with self._uow() as uow:
            return uow.follow_ups.get(follow_up_id)

    def complete(
        self,
        actor: Actor,
        follow_up_id: int,
        outcome: str | None,
        agency: str | None,
        note: str | None,
        now: datetime,
    ) -> dict[str, Any]:
        """Record how a follow-up ended and stop its clock.

        1. Check the outcome (a referral names its agency) before touching anything.
        2. Lock the follow-up; refuse one already finished (guarded update).
        3. Cancel its overdue reminder; journal ``follow_up.completed`` and an alteration
           audit entry; commit.
        """
        require(actor.role, Permission.REASSESS)
        known, agency, note = check_outcome(outcome, agency, note, self.policy)
        with self._uow(write=True) as uow:
            follow_up = uow.follow_ups.get(follow_up_id, for_update=True)
            if follow_up["status"] != "open":
                raise Conflict(f"this follow-up is already {follow_up['status']}", "follow_up")
            changes = {
                "status": "done",
                "done_at": now,
                "done_by": actor.username,
                "outcome": known.code,
                "agency": agency,
                "note": note,
            }
            if not uow.follow_ups.update(follow_up_id, "open", changes):
                raise Conflict("this follow-up changed while you were recording it; reload", "follow_up")
            uow.dispatch.cancel_deadlines(follow_up["incident_id"], FOLLOW_UP, follow_up_id)
            data = {"follow_up": follow_up_id, "outcome": known.code, "agency": agency, "note": note}
            uow.journal.event(now, actor.username, "follow_up.completed", data, follow_up["incident_id"])
            uow.journal.audit(
                now,
                actor.username,
                Operation.ALTERATION,
                "incident",
                follow_up["reference"],
                OPERATIONAL,
                {"follow_up": follow_up_id, "outcome": known.code},
            )
            uow.commit()
        return follow_up | changes
