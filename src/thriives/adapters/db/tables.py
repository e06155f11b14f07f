"""The schema, declared once; Alembic migrations must produce exactly this (a test checks)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)

# SQLite only makes INTEGER PRIMARY KEY an auto-incrementing row id.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, on both stores. Naive datetimes are refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use aware UTC datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(40), nullable=False, unique=True),
    Column("display_name", String(200), nullable=False),
    Column("role", String(40), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("failed_logins", Integer, nullable=False, default=0),
    Column("locked_until", UtcDateTime, nullable=True),
    Column("active", Boolean, nullable=False, default=True),
    Column("is_demo", Boolean, nullable=False, default=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("team", String(40), nullable=True),  # added by 0005: the watch or team, for supervision
    # Added by 0011: set by a password reset; the next log-in must choose a new password.
    Column("must_change_password", Boolean, nullable=False, default=False),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", String(64), primary_key=True),  # SHA-256 of the cookie value
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_seen_at", UtcDateTime, nullable=False),
    Column("ended_at", UtcDateTime, nullable=True),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", String(64), primary_key=True),  # SHA-256 of the token
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("label", String(100), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime, nullable=True),
    Column("expires_at", UtcDateTime, nullable=True),  # added by 0011; null: issued without expiry
)

# Added by 0011: failed log-ins counted by account name ("account:NAME") and by client
# address ("source:ADDRESS"), for backoff instead of a lock.
login_throttles = Table(
    "login_throttles",
    metadata,
    Column("key", String(120), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("wait_until", UtcDateTime, nullable=True),
    Column("last_failure_at", UtcDateTime, nullable=False, index=True),
)

incidents = Table(
    "incidents",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("reference", String(32), nullable=False, unique=True),
    Column("status", String(20), nullable=False),
    Column("channel", String(10), nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("opening_category", String(40), nullable=False),
    Column("qualifiers", JSON, nullable=False),
    Column("asb_qualifier", String(20), nullable=True),
    Column("caller_name", String(200), nullable=True),
    Column("caller_phone", String(32), nullable=True),
    Column("location_text", String(500), nullable=True),
    Column("postcode", String(8), nullable=True),
    Column("latitude", Float, nullable=True),
    Column("longitude", Float, nullable=True),
    Column("account", Text, nullable=False),
    Column("closing_category", String(40), nullable=True),
    Column("closure_reason", String(40), nullable=True),
    Column("closure_note", Text, nullable=True),
    Column("policy_version", String(40), nullable=False),
    Column("created_by", Integer, ForeignKey("users.id"), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("version", Integer, nullable=False),
    Column("grade", String(20), nullable=True),
    Column("graded_at", UtcDateTime, nullable=True),
    Column("dash_exemption", String(2000), nullable=True),  # why a DA incident closed without DASH
    # Added by 0004: the area whose target applies, and the first dispatch and arrival.
    Column("area", String(10), nullable=True),
    Column("dispatched_at", UtcDateTime, nullable=True),
    Column("arrived_at", UtcDateTime, nullable=True),
    Index("ix_incidents_status_received_at", "status", "received_at"),
    Index("ix_incidents_caller_phone", "caller_phone"),
)

reference_counters = Table(
    "reference_counters",
    metadata,
    Column("day", String(6), primary_key=True),
    Column("last_number", BigInteger, nullable=False),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("key", String(200), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("incident_id", String(36), ForeignKey("incidents.id"), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("user_id", "key"),
)

events = Table(
    "events",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime, nullable=False),
    Column("incident_id", String(36), ForeignKey("incidents.id"), nullable=True, index=True),
    Column("actor", String(40), nullable=False),
    Column("kind", String(60), nullable=False),
    Column("data", JSON, nullable=False),
    # added by 0010: the events' keyed chain (null on events from before it)
    Column("seal", String(64), nullable=True),
    Column("key_id", String(40), nullable=True),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("at", UtcDateTime, nullable=False),
    Column("actor", String(40), nullable=False),
    Column("operation", String(20), nullable=False),
    Column("record_type", String(40), nullable=False),
    Column("record_id", String(64), nullable=False),
    Column("justification", String(2000), nullable=False),
    Column("detail", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),  # the seal
    Column("key_id", String(40), nullable=True),  # added by 0010; null before keyed sealing
    Index("ix_audit_log_record", "record_type", "record_id"),
)

audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
    # added by 0010: where keyed sealing began, and the events' chain head
    Column("keyed_from", BigInteger, nullable=False, server_default="1"),
    Column("event_count", BigInteger, nullable=False, server_default="0"),
    Column("event_seal", String(64), nullable=False, server_default="0" * 64),
    Column("event_from", BigInteger, nullable=False, server_default="1"),
)

districts = Table(
    "districts",
    metadata,
    Column("code", String(10), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("kind", String(10), nullable=False),  # urban or rural: picks the attendance target
)

stations = Table(
    "stations",
    metadata,
    Column("code", String(10), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("district_code", String(10), ForeignKey("districts.code"), nullable=False),
    Column("latitude", Float, nullable=False),
    Column("longitude", Float, nullable=False),
)

units = Table(
    "units",
    metadata,
    Column("call_sign", String(20), primary_key=True),
    Column("unit_type", String(30), nullable=False),
    Column("station_code", String(10), ForeignKey("stations.code"), nullable=False),
    Column("skills", JSON, nullable=False),
    Column("status", String(20), nullable=False),
    # Added by 0004: its home position (its station's), what it holds (at most one incident;
    # since 0008 an incident may be held by several units), and a version for guarded updates.
    Column("latitude", Float, nullable=True),
    Column("longitude", Float, nullable=True),
    Column("incident_id", String(36), ForeignKey("incidents.id"), nullable=True),
    Column("status_at", UtcDateTime, nullable=True),
    Column("version", Integer, nullable=False, server_default="1"),
    Index("ix_units_incident_id", "incident_id"),
    # Added by 0008: the last position it reported (or arrived at), and when.
    Column("last_latitude", Float, nullable=True),
    Column("last_longitude", Float, nullable=True),
    Column("position_at", UtcDateTime, nullable=True),
)

assessments = Table(
    "assessments",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("incident_id", String(36), ForeignKey("incidents.id"), nullable=False),
    Column("version", Integer, nullable=False),  # 1 for the first, then each reassessment
    Column("model", String(40), nullable=False),
    Column("policy_version", String(40), nullable=False),
    Column("submission", JSON, nullable=False),  # what the handler recorded, as given
    Column("levels", JSON, nullable=False),  # effective factor levels
    Column("raised", JSON, nullable=False),  # levels raised by answers, with their cause
    Column("indicators", JSON, nullable=False),
    Column("question_sets", JSON, nullable=False),
    Column("proposed_grade", String(20), nullable=False),
    Column("reasons", JSON, nullable=False),  # every rule that fired and its fact
    Column("final_grade", String(20), nullable=False),
    Column("override_reason", String(2000), nullable=True),
    Column("downgrade", Boolean, nullable=False),
    Column("suggestions", JSON, nullable=False),  # categorisation cues shown to the handler
    Column("created_by", String(40), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("incident_id", "version", name="uq_assessments_incident_version"),
)

dash_assessments = Table(
    "dash_assessments",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("incident_id", String(36), ForeignKey("incidents.id"), nullable=False, index=True),
    Column("policy_version", String(40), nullable=False),
    Column("answers", JSON, nullable=False),
    Column("comments", JSON, nullable=False),
    Column("yes_count", Integer, nullable=False),
    Column("score_level", String(10), nullable=False),
    Column("level", String(10), nullable=False),
    Column("basis", String(30), nullable=False),
    Column("override_reason", String(2000), nullable=True),
    Column("marac_referral", Boolean, nullable=False),
    Column("created_by", String(40), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

review_items = Table(
    "review_items",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("incident_id", String(36), ForeignKey("incidents.id"), nullable=False, index=True),
    Column("kind", String(40), nullable=False),  # downgrade, categorisation_cue, ...
    Column("detail", JSON, nullable=False),
    Column("status", String(20), nullable=False),  # open, approved, rejected, noted
    Column("created_by", String(40), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    # Added by 0005: the supervisor's decision on a downgrade or the review that closed it.
    Column("decided_by", String(40), nullable=True),
    Column("decided_at", UtcDateTime, nullable=True),
    Column("decision_reason", String(2000), nullable=True),
    Index("ix_review_items_status_kind", "status", "kind"),
)

aide_memoires = Table(
    "aide_memoires",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("category", String(40), nullable=False),
    Column("version", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("author", String(40), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("category", "version", name="uq_aide_memoires_category_version"),
)

# The intelligence tables live in their own module (it imports this one) but share this
# metadata: importing them here means whoever reads ``metadata`` sees the whole schema.
from thriives.adapters.db import dispatch_tables as _dispatch_tables  # noqa: E402,F401
from thriives.adapters.db import first_contact_tables as _first_contact_tables  # noqa: E402,F401
from thriives.adapters.db import intel_tables as _intel_tables  # noqa: E402,F401
from thriives.adapters.db import record_tables as _record_tables  # noqa: E402,F401
from thriives.adapters.db import supervision_tables as _supervision_tables  # noqa: E402,F401
