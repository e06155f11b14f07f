"""Keeping each incident's QA facts and review items current, inside the caller's transaction.

The services that open, assess, search, close and reassess call these with their own unit
of work, so the dashboard's facts and the review queue change in the same commit as the
record they describe, and a crash never leaves them behind or ahead of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from thriives.adapters.db.uow import SqlUnitOfWork
from thriives.domain.compliance import shift_of, week_of
from thriives.domain.review_form import SupervisionPolicy

UNASSIGNED_TEAM = "no team"


@dataclass(frozen=True)
class FactsKeeper:
    policy: SupervisionPolicy
    zone: ZoneInfo

    def row(self, incident_id: str, received_at: datetime, handler: str, team: str | None) -> dict[str, Any]:
        local = received_at.astimezone(self.zone)
        return {
            "incident_id": incident_id,
            "received_at": received_at,
            "handler": handler,
            "team": team or UNASSIGNED_TEAM,
            "shift": shift_of(local, self.policy.shifts),
            "week": week_of(local),
        }

    def opened(self, uow: SqlUnitOfWork, incident: dict[str, Any], handler: str, user_id: int | None) -> None:
        user = uow.users.by_id(user_id) if user_id is not None else None
        uow.supervision.add_facts(
            self.row(incident["id"], incident["received_at"], handler, user["team"] if user else None)
        )

    def assessed(self, uow: SqlUnitOfWork, incident_id: str) -> None:
        uow.supervision.set_fact(incident_id, assessed=1)

    def searched(self, uow: SqlUnitOfWork, incident_id: str) -> None:
        uow.supervision.set_fact(incident_id, searched=1)

    def closed(self, uow: SqlUnitOfWork, incident: dict[str, Any], closing_category: str) -> None:
        same = int(closing_category == incident["opening_category"])
        uow.supervision.set_fact(incident["id"], closed=1, same_category=same)

    def reopened(self, uow: SqlUnitOfWork, incident_id: str) -> None:
        uow.supervision.set_fact(incident_id, closed=0, same_category=0)

    def task_opened(self, uow: SqlUnitOfWork, incident_id: str) -> None:
        uow.supervision.add_to_facts(incident_id, tasks=1)

    def task_done(self, uow: SqlUnitOfWork, incident_id: str, on_time: bool) -> None:
        if on_time:
            uow.supervision.add_to_facts(incident_id, tasks_on_time=1)

    def reviewed(self, uow: SqlUnitOfWork, incident_id: str, score: int, category_right: bool | None) -> None:
        deltas = {"reviews": 1, "score_total": score}
        if category_right is not None:
            deltas |= {"category_reviews": 1, "category_correct": int(category_right)}
        uow.supervision.add_to_facts(incident_id, **deltas)

    def enqueue(
        self,
        uow: SqlUnitOfWork,
        incident_id: str,
        kind: str,
        detail: dict[str, Any],
        actor: str,
        now: datetime,
        once: bool = True,
    ) -> int | None:
        """Put an incident in the review queue under ``kind`` (once per kind unless told)."""
        if once and uow.supervision.has_item(incident_id, kind):
            return None
        item = uow.supervision.add_item(
            {
                "incident_id": incident_id,
                "kind": kind,
                "detail": detail,
                "status": "open",
                "created_by": actor,
                "created_at": now,
            }
        )
        uow.journal.event(now, actor, "review.queued", {"item": item, "kind": kind}, incident_id)
        return item
