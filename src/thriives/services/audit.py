"""Use-case: verify the audit log's hash chain end to end."""

from __future__ import annotations

from thriives.adapters.db.uow import UnitOfWorkFactory
from thriives.domain.audit_chain import Finding, verify_chain


def verify_audit(uow: UnitOfWorkFactory) -> tuple[int, list[Finding]]:
    """Return how many entries were read and every problem found (none when intact)."""
    with uow() as work:
        head_seq, head_hash = work.journal.head()
        count = 0

        def counted():  # type: ignore[no-untyped-def]
            nonlocal count
            for entry in work.journal.audit_entries():
                count += 1
                yield entry

        findings = verify_chain(counted(), head_seq, head_hash)
    return count, findings
