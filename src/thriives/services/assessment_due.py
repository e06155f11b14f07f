"""The full assessment due after an initial grade, inside the caller's transaction.

An initial grade lets a unit be sent at once; the full THRIIVES assessment must follow
within the policy's time for that grade. ``followed`` records it when it does (and cancels
the deadline); ``escalate`` is what the deadline worker does when it has not: queue the
incident for the supervisor and say so on its timeline.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from thriives.adapters.db.initial_grade_repository import InitialGradeRepository
from thriives.adapters.db.uow import SqlUnitOfWork
from thriives.domain.clocks import DeadlineKind
from thriives.services.qa_facts import FactsKeeper

DUE = [DeadlineKind.ASSESSMENT_DUE.value]
LATE_KIND = "late_assessment"  # the review queue's kind for it


def assessment_followed(
    uow: SqlUnitOfWork, incident_id: str, version: int, actor: str, now: datetime
) -> None:
    """Record the first full assessment after an initial grade (if one is waiting)."""
    initial_grades = InitialGradeRepository(uow.connection)
    waiting = initial_grades.get(incident_id)
    if waiting is None or waiting["assessed_at"] is not None:
        return
    initial_grades.assessed(incident_id, version, now)
    uow.dispatch.cancel_deadlines(incident_id, DUE)
    minutes = round((now - waiting["given_at"]).total_seconds() / 60)
    uow.journal.event(
        now,
        actor,
        "incident.full_assessment_followed",
        {
            "initial_grade": waiting["grade"],
            "version": version,
            "minutes_after": minutes,
            "in_time": now <= waiting["assess_by"],
        },
        incident_id,
    )


def escalate(
    uow: SqlUnitOfWork, incident: dict[str, Any] | None, facts: FactsKeeper | None, actor: str, now: datetime
) -> None:
    """The assessment deadline fired: if no full assessment followed, tell the supervisor."""
    if incident is None:
        return
    initial_grades = InitialGradeRepository(uow.connection)
    waiting = initial_grades.get(incident["id"])
    if waiting is None or waiting["assessed_at"] is not None or incident["status"] == "closed":
        return  # assessed (or closed) meanwhile: nothing to do
    if not initial_grades.escalated(incident["id"], now):
        return
    detail = {
        "initial_grade": waiting["grade"],
        "given_by": waiting["given_by"],
        "given_at": waiting["given_at"].isoformat(),
        "due_at": waiting["assess_by"].isoformat(),
    }
    uow.journal.event(now, actor, "incident.full_assessment_late", detail, incident["id"])
    if facts is not None:
        facts.enqueue(uow, incident["id"], LATE_KIND, detail, actor, now)
