"""The store's own guards on the audit log, the events and the head: are they in place?

Migrations 0001 and 0010 install triggers that refuse to change or remove audit entries
and events and to move the head backwards. Someone with the owner's rights can drop or
(on PostgreSQL) disable them; verification asks the store whether each is there and on.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

POSTGRESQL_GUARDS = {
    "audit_log_no_update_delete": "audit_log",
    "audit_log_no_truncate": "audit_log",
    "events_no_update_delete": "events",
    "events_no_truncate": "events",
    "audit_head_forward_only": "audit_head",
    "audit_head_no_truncate": "audit_head",
}
SQLITE_GUARDS = {
    "audit_log_no_update": "audit_log",
    "audit_log_no_delete": "audit_log",
    "events_no_update": "events",
    "events_no_delete": "events",
    "audit_head_forward_only": "audit_head",
    "audit_head_no_delete": "audit_head",
}


def guard_problems(connection: Connection) -> list[str]:
    """Each guard trigger that is missing or disabled, in plain words (empty when all hold)."""
    if connection.dialect.name == "postgresql":
        rows = connection.execute(
            text(
                "SELECT t.tgname, c.relname, t.tgenabled FROM pg_trigger t"
                " JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal"
            )
        ).all()
        found = {(row.tgname, row.relname): row.tgenabled for row in rows}
        problems = []
        for name, table in POSTGRESQL_GUARDS.items():
            state = found.get((name, table))
            if state is None:
                problems.append(f"the trigger {name} on {table} is missing (dropped)")
            elif state == "D":
                problems.append(f"the trigger {name} on {table} is disabled")
        return problems
    rows = connection.execute(text("SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger'")).all()
    present = {(row.name, row.tbl_name) for row in rows}
    return [
        f"the trigger {name} on {table} is missing (dropped)"
        for name, table in SQLITE_GUARDS.items()
        if (name, table) not in present
    ]
