"""The dispatch tables: assignments, deadlines, reassessment tasks, appointment slots, backup
requests.

``deadlines`` is every clock: a row per thing that must happen at a time, fired by
``thriives worker`` with a guarded update in the same transaction as its effect, so a
crash before commit leaves it pending (it fires again) and a commit marks it fired once.
"""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, ForeignKey, Index, Integer, String, Table, Text

from thriives.adapters.db.tables import BigId, UtcDateTime, metadata

assignments = Table(
    "assignments",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("incident_id", String(36), ForeignKey("incidents.id"), nullable=False, index=True),
    Column("call_sign", String(20), ForeignKey("units.call_sign"), nullable=False),
    Column("assigned_at", UtcDateTime, nullable=False),
    Column("assigned_by", String(40), nullable=False),
    Column("recommended", JSON, nullable=False),  # call signs recommended, best first
    Column("followed", Boolean, nullable=False),  # the dispatcher chose the first recommendation
    Column("reason", String(2000), nullable=True),  # why another unit, when not followed
    Column("en_route_at", UtcDateTime, nullable=True),
    Column("arrived_at", UtcDateTime, nullable=True),
    Column("ended_at", UtcDateTime, nullable=True),
    Column("end_reason", String(40), nullable=True),  # cleared, taken_away, reassigned, closed
)

deadlines = Table(
    "deadlines",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("kind", String(40), nullable=False),
    Column("incident_id", String(36), ForeignKey("incidents.id"), nullable=True),
    Column("subject_id", Integer, nullable=True),  # the task or appointment it concerns
    Column("due_at", UtcDateTime, nullable=False),
    Column("state", String(12), nullable=False),  # pending, fired, cancelled, failed
    Column("created_at", UtcDateTime, nullable=False),
    Column("fired_at", UtcDateTime, nullable=True),
    Column("fired_by", String(80), nullable=True),  # the worker that fired it
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("error", Text, nullable=True),
    Index("ix_deadlines_state_due_at", "state", "due_at"),
    Index("ix_deadlines_incident_id", "incident_id"),
)

reassessments = Table(
    "reassessments",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("incident_id", String(36), ForeignKey("incidents.id"), nullable=False, index=True),
    Column("status", String(12), nullable=False),  # open, done
    Column("triggers", JSON, nullable=False),  # every trigger that added to it, with its time
    Column("mandatory", Boolean, nullable=False),
    Column("mandatory_why", String(200), nullable=False),
    Column("opened_at", UtcDateTime, nullable=False),
    Column("escalations", Integer, nullable=False, server_default="0"),
    Column("last_escalated_at", UtcDateTime, nullable=True),
    Column("done_at", UtcDateTime, nullable=True),
    Column("done_by", String(40), nullable=True),
    Column("contact_outcome", String(40), nullable=True),
    Column("contact_note", Text, nullable=True),
    Column("assessment_version", Integer, nullable=True),
    Column("safeguarding", JSON, nullable=True),
    Column("safeguarding_note", Text, nullable=True),
    Column("review_at", UtcDateTime, nullable=True),
    Index("ix_reassessments_status_opened_at", "status", "opened_at"),
)

appointment_slots = Table(
    "appointment_slots",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("district_code", String(10), ForeignKey("districts.code"), nullable=False),
    Column("day", String(10), nullable=False),  # local date, YYYY-MM-DD
    Column("shift", String(40), nullable=False),
    Column("starts_at", UtcDateTime, nullable=False),
    Column("ends_at", UtcDateTime, nullable=False),
    Column("capacity", Integer, nullable=False),
    Column("booked", Integer, nullable=False, server_default="0"),
    Index("ix_appointment_slots_area_day_shift", "district_code", "day", "shift", unique=True),
)

appointments = Table(
    "appointments",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("incident_id", String(36), ForeignKey("incidents.id"), nullable=False, index=True),
    Column("slot_id", Integer, ForeignKey("appointment_slots.id"), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("place", String(500), nullable=False),
    Column("status", String(12), nullable=False),  # booked, kept, missed, cancelled
    Column("reasons", JSON, nullable=False),  # why it was allowed
    Column("booked_by", String(40), nullable=False),
    Column("booked_at", UtcDateTime, nullable=False),
    Column("ended_at", UtcDateTime, nullable=True),
    Column("end_note", String(2000), nullable=True),
)

# A call graded "resolution without deployment" is owed a call-back or a referral by a time.
follow_ups = Table(
    "follow_ups",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("incident_id", String(36), ForeignKey("incidents.id"), nullable=False, index=True),
    Column("status", String(12), nullable=False),  # open, done, cancelled
    Column("grade", String(40), nullable=False),  # the grade that called for it
    Column("opened_at", UtcDateTime, nullable=False),
    Column("opened_by", String(40), nullable=False),
    Column("due_at", UtcDateTime, nullable=False),
    Column("escalations", Integer, nullable=False, server_default="0"),
    Column("last_escalated_at", UtcDateTime, nullable=True),
    Column("done_at", UtcDateTime, nullable=True),
    Column("done_by", String(40), nullable=True),
    Column("outcome", String(40), nullable=True),  # called_back, referred, no_contact, ...
    Column("agency", String(200), nullable=True),  # the agency referred to
    Column("note", Text, nullable=True),
    Index("ix_follow_ups_status_due_at", "status", "due_at"),
)

backup_requests = Table(
    "backup_requests",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("incident_id", String(36), ForeignKey("incidents.id"), nullable=False),
    Column("status", String(12), nullable=False),  # open, satisfied, cancelled
    Column("units", Integer, nullable=False),  # how many further units are wanted
    Column("skills", JSON, nullable=False),  # skills wanted of them
    Column("reason", String(2000), nullable=False),
    Column("requested_at", UtcDateTime, nullable=False),
    Column("requested_by", String(40), nullable=False),
    Column("sent", JSON, nullable=False),  # call signs assigned since the request
    Column("ended_at", UtcDateTime, nullable=True),
    Column("ended_by", String(40), nullable=True),
    Column("end_reason", String(2000), nullable=True),
    Index("ix_backup_requests_incident_id_status", "incident_id", "status"),
)
