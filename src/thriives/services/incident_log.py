"""The incident log: add a free-text entry (append-only) and read the entries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from thriives.adapters.db.uow import UnitOfWorkFactory
from thriives.domain.accounts import Actor, Permission, require
from thriives.domain.audit_chain import Operation
from thriives.domain.incident_log import check_log_text
from thriives.domain.incidents import Status

OPERATIONAL = "operational: incident log"


class IncidentLogService:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def add(self, actor: Actor, reference: str, text: str | None, now: datetime) -> dict[str, Any]:
        """Add an entry, time-stamped and attributed, to a live or closed incident.

        1. Check the role and the text (required, bounded, no control characters).
        2. Append the entry; journal an ``incident.log`` event and audit an alteration; commit.
        The incident row itself is not changed, so nobody editing it is disturbed.
        """
        require(actor.role, Permission.WRITE_LOG)
        entry_text = check_log_text(text)
        with self._uow(write=True) as uow:
            incident = uow.incidents.require(reference[:40])
            entry = {
                "incident_id": incident["id"],
                "text": entry_text,
                "author": actor.username,
                "author_role": actor.role.value,
                "at": now,
                "after_closing": incident["status"] == Status.CLOSED.value,
            }
            entry["id"] = uow.records.add_log(entry)
            data = {"entry": entry["id"], "after_closing": entry["after_closing"]}
            uow.journal.event(now, actor.username, "incident.log", data, incident["id"])
            uow.journal.audit(
                now,
                actor.username,
                Operation.ALTERATION,
                "incident",
                incident["reference"],
                OPERATIONAL,
                {"fields": ["log"], "entry": entry["id"]},
            )
            uow.commit()
        return entry | {"reference": incident["reference"]}

    def entries(self, actor: Actor, reference: str, now: datetime) -> list[dict[str, Any]]:
        """Every entry, oldest first; reading them is audited as a consultation."""
        require(actor.role, Permission.VIEW_INCIDENT)
        with self._uow(write=True) as uow:
            incident = uow.incidents.require(reference[:40])
            rows = uow.records.log_of(incident["id"])
            uow.journal.audit(
                now,
                actor.username,
                Operation.CONSULTATION,
                "incident",
                incident["reference"],
                OPERATIONAL,
                {"read": "log"},
            )
            uow.commit()
        return rows
