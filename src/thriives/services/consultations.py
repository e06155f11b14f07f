"""Recording a read of an incident's records as a consultation in the audit (who, when,
why, what was read), in the reader's own unit of work: the read and its record commit
together, so nothing is shown that was not audited."""

from __future__ import annotations

from datetime import datetime

from thriives.adapters.db.uow import SqlUnitOfWork
from thriives.domain.accounts import Actor
from thriives.domain.audit_chain import Operation

OPERATIONAL = "operational: incident handling"


def consulted(uow: SqlUnitOfWork, actor: Actor, reference: str, now: datetime, read: str) -> None:
    """Audit that ``actor`` read ``read`` (assessments, searches, dispatch, ...) of an incident."""
    uow.journal.audit(
        now, actor.username, Operation.CONSULTATION, "incident", reference, OPERATIONAL, {"read": read}
    )
