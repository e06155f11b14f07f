"""Use-cases of the initial grade at first contact: give it, and read it back.

A handler who hears an emergency grades it in seconds; a dispatcher can send a unit at
once, and the full THRIIVES assessment follows (``services/assessment_due.py`` tells the
supervisor if it does not follow in the policy's time).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from thriives.adapters.db.initial_grade_repository import InitialGradeRepository
from thriives.adapters.db.uow import UnitOfWorkFactory
from thriives.domain.accounts import Actor, Permission, require
from thriives.domain.audit_chain import Operation
from thriives.domain.clocks import DeadlineKind
from thriives.domain.errors import Conflict, DomainError
from thriives.domain.first_contact import check_initial_grade
from thriives.domain.incidents import Status
from thriives.services.assessments import AssessmentService


class InitialGradeService:
    def __init__(self, uow: UnitOfWorkFactory, assessments: AssessmentService) -> None:
        self._uow = uow
        self.assessments = assessments
        self.policy = assessments.policy

    def give(
        self,
        actor: Actor,
        reference: str,
        grade: str,
        indicators: Sequence[str],
        reason: str | None,
        now: datetime,
    ) -> dict[str, Any]:
        """Give an incident its initial grade.

        1. Check the grade (one of the policy's quick grades), the indicators (national
           ones) and the one-line reason; refused naming the field, nothing changed.
        2. In the write transaction, lock the incident: refuse (409) a closed incident or
           one already graded, by a full assessment or an earlier initial grade.
        3. Grade it through the same path a full assessment uses (status graded, grade,
           graded time, area, attendance clock started).
        4. Record who gave it, why and when; schedule the deadline for the full assessment.
        5. Journal ``incident.initial_graded`` and an alteration audit entry; commit.
        """
        require(actor.role, Permission.ASSESS_INCIDENT)
        policy = self.policy
        given = check_initial_grade(
            grade,
            indicators,
            reason,
            policy.initial_grades,
            policy.assess_within_minutes,
            policy.initial_reason_max,
            now,
        )
        with self._uow(write=True) as uow:
            incident = uow.incidents.require(reference, for_update=True)
            if incident["status"] == Status.CLOSED.value:
                raise Conflict("a closed incident cannot be graded; reopen it first", "status")
            store = InitialGradeRepository(uow.connection)
            if store.get(incident["id"]) is not None:
                raise Conflict(
                    "this incident already has an initial grade; complete the full assessment", "grade"
                )
            if incident["grade"] is not None:
                raise Conflict(
                    "this incident is already graded; a new grade comes from a full assessment", "grade"
                )
            changes = self.assessments.grade_in(uow, incident, given.grade, now, actor.username)
            if changes is None:  # cannot happen under the row lock; refuse rather than guess
                raise DomainError("the incident changed while you graded it; reload", "version")
            store.add(
                {
                    "incident_id": incident["id"],
                    "grade": given.grade,
                    "indicators": list(given.indicators),
                    "reason": given.reason,
                    "given_by": actor.username,
                    "given_at": now,
                    "assess_by": given.assess_by,
                }
            )
            uow.dispatch.add_deadline(DeadlineKind.ASSESSMENT_DUE.value, given.assess_by, now, incident["id"])
            uow.journal.event(
                now,
                actor.username,
                "incident.initial_graded",
                {
                    "before": {"grade": incident["grade"], "status": incident["status"]},
                    "after": {"grade": given.grade, "status": changes.get("status", incident["status"])},
                    "indicators": list(given.indicators),
                    "reason": given.reason,
                    "assess_by": given.assess_by.isoformat(),
                },
                incident["id"],
            )
            uow.journal.audit(
                now,
                actor.username,
                Operation.ALTERATION,
                "incident",
                reference,
                "initial grade at first contact",
                {"grade": given.grade},
            )
            uow.commit()
        return self.record_of(incident["id"]) or {}

    def record_of(self, incident_id: str) -> dict[str, Any] | None:
        """The initial grade as recorded (no permission check: callers have read the incident)."""
        with self._uow() as uow:
            return InitialGradeRepository(uow.connection).get(incident_id)

    def record(self, actor: Actor, reference: str) -> dict[str, Any] | None:
        require(actor.role, Permission.VIEW_INCIDENT)
        with self._uow() as uow:
            incident = uow.incidents.require(reference)
            return InitialGradeRepository(uow.connection).get(incident["id"])
