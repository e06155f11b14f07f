"""Links between incidents, the incident log, and the indexes incident search reads by.

``incident_relations`` holds one row per decision a handler made about two incidents: the
first is a duplicate of the second (and was closed as one), they are related, or they were
declared separate (so the pair is not offered again). ``incident_log`` is the running
free-text log; on PostgreSQL the database refuses to alter or remove an entry.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Index, String, Table, Text

from thriives.adapters.db.tables import BigId, UtcDateTime, incidents, metadata

incident_relations = Table(
    "incident_relations",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("incident_id", String(36), ForeignKey("incidents.id"), nullable=False, index=True),
    Column("other_id", String(36), ForeignKey("incidents.id"), nullable=False, index=True),
    Column("relation", String(20), nullable=False),  # duplicate (of other), related, separate
    Column("reason", String(2000), nullable=True),
    Column("created_by", String(40), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

incident_log = Table(
    "incident_log",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("incident_id", String(36), ForeignKey("incidents.id"), nullable=False, index=True),
    Column("text", Text, nullable=False),
    Column("author", String(40), nullable=False),
    Column("author_role", String(40), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("after_closing", Boolean, nullable=False),  # added when the incident was closed
)

# Incident search reads by date (newest first), postcode and caller's number; the last has
# an index since 0001.
Index("ix_incidents_received_at", incidents.c.received_at)
Index("ix_incidents_postcode", incidents.c.postcode)

__all__ = ["incident_log", "incident_relations"]
