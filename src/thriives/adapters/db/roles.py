"""PostgreSQL roles: the owner migrates, the application gets only the rights it needs.

``thriives migrate`` connects as the owner (``THRIIVES_MIGRATE_DATABASE_URL``), which
creates and owns every table, trigger and function. After migrating it grants the
application's role (the user in ``THRIIVES_DATABASE_URL``) exactly this:

1. USAGE on the schema, and no CREATE: no DDL anywhere (PostgreSQL 15 grants PUBLIC no
   CREATE on ``public``; it is revoked here for older servers too).
2. SELECT, INSERT, UPDATE and DELETE on the working tables.
3. SELECT and INSERT only on the append-only logs (``audit_log``, ``events``,
   ``incident_log``): no UPDATE, DELETE or TRUNCATE there.
4. SELECT and UPDATE on ``audit_head`` (the writer moves it; a trigger lets it only move
   forward), SELECT on ``alembic_version``.
5. USAGE, SELECT and UPDATE on the sequences (ids; the demo import moves them with setval).

Not being the owner, the application role cannot ALTER a table, drop or disable a trigger.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.engine import make_url

APPEND_ONLY = ("audit_log", "events", "incident_log")
SPECIAL = {
    **{table: "SELECT, INSERT" for table in APPEND_ONLY},
    "audit_head": "SELECT, UPDATE",
    "alembic_version": "SELECT",
}


def application_role(database_url: str, migrate_url: str | None) -> str | None:
    """The role to grant to: the application URL's user, when it is not the migrating one."""
    if migrate_url is None:
        return None
    app, owner = make_url(database_url), make_url(migrate_url)
    if app.get_backend_name() != "postgresql" or not app.username or app.username == owner.username:
        return None
    return app.username


def _quoted(connection: Connection, name: str) -> str:
    return connection.dialect.identifier_preparer.quote(name)


def grant_application_role(owner: Engine, role: str) -> None:
    """Give ``role`` the application's rights on every table, and nothing more (see above)."""
    with owner.begin() as connection:
        who = _quoted(connection, role)
        connection.execute(text("REVOKE CREATE ON SCHEMA public FROM PUBLIC"))
        connection.execute(text(f"GRANT USAGE ON SCHEMA public TO {who}"))
        for table in inspect(connection).get_table_names():
            name = _quoted(connection, table)
            connection.execute(text(f"REVOKE ALL ON {name} FROM {who}"))
            rights = SPECIAL.get(table, "SELECT, INSERT, UPDATE, DELETE")
            connection.execute(text(f"GRANT {rights} ON {name} TO {who}"))
        connection.execute(text(f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {who}"))
