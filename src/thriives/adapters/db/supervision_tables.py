"""The supervision tables: reviews, sample draws, and the per-incident facts the dashboard sums.

``qa_facts`` holds one row per incident, written in the same transaction as each change it
reflects (opened, assessed, searched, closed, a reassessment task opened or finished, a
review), so the compliance dashboard adds up one narrow table instead of joining the whole
record, and is never behind it.
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, String, Table, Text

from thriives.adapters.db.tables import BigId, UtcDateTime, metadata

reviews = Table(
    "reviews",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("incident_id", String(36), ForeignKey("incidents.id"), nullable=False, index=True),
    Column("review_item_id", Integer, ForeignKey("review_items.id"), nullable=False),
    Column("form_version", String(40), nullable=False),
    Column("answers", JSON, nullable=False),
    Column("score", Integer, nullable=False),
    Column("feedback", Text, nullable=False),
    Column("reviewer", String(40), nullable=False),
    Column("reviewed_at", UtcDateTime, nullable=False),
    Column("handler", String(40), nullable=False),  # whose work was reviewed
    Column("acknowledged_at", UtcDateTime, nullable=True),
    Column("acknowledgement", String(2000), nullable=True),
    Index("ix_reviews_handler_acknowledged_at", "handler", "acknowledged_at"),
)

sample_draws = Table(
    "sample_draws",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("period", String(7), nullable=False),  # YYYY-MM, local
    Column("seed", String(100), nullable=False),
    Column("policy_version", String(40), nullable=False),
    Column("share", JSON, nullable=False),  # the policy it drew to: share and per handler
    Column("candidates", Integer, nullable=False),
    Column("picks", JSON, nullable=False),  # [{reference, handler, score, why}]
    Column("drawn_by", String(40), nullable=False),
    Column("drawn_at", UtcDateTime, nullable=False),
)

qa_facts = Table(
    "qa_facts",
    metadata,
    Column("incident_id", String(36), ForeignKey("incidents.id"), primary_key=True),
    Column("received_at", UtcDateTime, nullable=False),
    Column("handler", String(40), nullable=False),
    Column("team", String(40), nullable=False),
    Column("shift", String(20), nullable=False),
    Column("week", String(8), nullable=False),
    Column("assessed", Integer, nullable=False, server_default="0"),
    Column("searched", Integer, nullable=False, server_default="0"),
    Column("closed", Integer, nullable=False, server_default="0"),
    Column("same_category", Integer, nullable=False, server_default="0"),
    Column("category_reviews", Integer, nullable=False, server_default="0"),
    Column("category_correct", Integer, nullable=False, server_default="0"),
    Column("tasks", Integer, nullable=False, server_default="0"),
    Column("tasks_on_time", Integer, nullable=False, server_default="0"),
    Column("reviews", Integer, nullable=False, server_default="0"),
    Column("score_total", Integer, nullable=False, server_default="0"),
    Index("ix_qa_facts_received_at", "received_at"),
)
