"""The initial grade given at first contact: one row per incident graded that way.

The row keeps who gave it, why, from which national indicators and when, when the full
assessment was due and when it followed (or when the supervisor was told it had not).
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, ForeignKey, Integer, String, Table

from thriives.adapters.db.tables import UtcDateTime, metadata

initial_grades = Table(
    "initial_grades",
    metadata,
    Column("incident_id", String(36), ForeignKey("incidents.id"), primary_key=True),
    Column("grade", String(20), nullable=False),
    Column("indicators", JSON, nullable=False),
    Column("reason", String(2000), nullable=False),
    Column("given_by", String(40), nullable=False),
    Column("given_at", UtcDateTime, nullable=False),
    Column("assess_by", UtcDateTime, nullable=False),  # when the full assessment is due
    Column("assessed_at", UtcDateTime, nullable=True),  # when it followed
    Column("assessment_version", Integer, nullable=True),
    Column("escalated_at", UtcDateTime, nullable=True),  # the supervisor told it was late
)
