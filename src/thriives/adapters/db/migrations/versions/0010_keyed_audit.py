"""keyed audit: key ids on audit entries, the events' sealed chain, append-only guards

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08 01:50:00

Entries and events already in the store keep their old form: audit entries stay in the
plain SHA-256 chain (``key_id`` null) and are held by the first keyed entry, which seals
the last one's hash; events written before this migration are not in the events' chain.
``audit_head.keyed_from`` and ``audit_head.event_from`` record the boundaries.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

GENESIS = "0" * 64


def upgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("key_id", sa.String(length=40), nullable=True))
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seal", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("key_id", sa.String(length=40), nullable=True))
    with op.batch_alter_table("audit_head", schema=None) as batch_op:
        batch_op.add_column(sa.Column("keyed_from", sa.BigInteger(), server_default="1", nullable=False))
        batch_op.add_column(sa.Column("event_count", sa.BigInteger(), server_default="0", nullable=False))
        batch_op.add_column(
            sa.Column("event_seal", sa.String(length=64), server_default=GENESIS, nullable=False)
        )
        batch_op.add_column(sa.Column("event_from", sa.BigInteger(), server_default="1", nullable=False))
    op.execute(
        "UPDATE audit_head SET keyed_from = seq + 1,"
        " event_from = (SELECT COALESCE(MAX(id), 0) + 1 FROM events) WHERE id = 1"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(GUARDS_POSTGRESQL)
    else:
        for statement in GUARDS_SQLITE:
            op.execute(statement)


# The head may only move forward, and its boundaries never move; nothing may be deleted.
HEAD_BACKWARDS = (
    "NEW.seq < OLD.seq OR NEW.event_count < OLD.event_count"
    " OR NEW.keyed_from <> OLD.keyed_from OR NEW.event_from <> OLD.event_from"
)

GUARDS_POSTGRESQL = f"""
CREATE FUNCTION events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER events_no_update_delete BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_refuse_change();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_refuse_change();
CREATE FUNCTION audit_head_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'UPDATE' THEN
        RAISE EXCEPTION 'audit_head only moves forward: % refused', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF {HEAD_BACKWARDS} THEN
        RAISE EXCEPTION 'audit_head only moves forward: UPDATE refused'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER audit_head_forward_only BEFORE UPDATE OR DELETE ON audit_head
    FOR EACH ROW EXECUTE FUNCTION audit_head_forward_only();
CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head
    FOR EACH STATEMENT EXECUTE FUNCTION audit_head_forward_only();
"""

GUARDS_SQLITE = [
    *(
        f"""CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table}
    BEGIN SELECT RAISE(ABORT, '{table} is append-only: {operation} refused'); END"""
        for table in ("audit_log", "events")
        for operation in ("UPDATE", "DELETE")
    ),
    f"""CREATE TRIGGER audit_head_forward_only BEFORE UPDATE ON audit_head
    WHEN {HEAD_BACKWARDS}
    BEGIN SELECT RAISE(ABORT, 'audit_head only moves forward: UPDATE refused'); END""",
    """CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
    BEGIN SELECT RAISE(ABORT, 'audit_head only moves forward: DELETE refused'); END""",
]


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_head_no_truncate ON audit_head")
        op.execute("DROP TRIGGER IF EXISTS audit_head_forward_only ON audit_head")
        op.execute("DROP FUNCTION IF EXISTS audit_head_forward_only()")
        op.execute("DROP TRIGGER IF EXISTS events_no_truncate ON events")
        op.execute("DROP TRIGGER IF EXISTS events_no_update_delete ON events")
        op.execute("DROP FUNCTION IF EXISTS events_refuse_change()")
    else:
        for name in (
            "audit_head_no_delete",
            "audit_head_forward_only",
            "events_no_delete",
            "events_no_update",
            "audit_log_no_delete",
            "audit_log_no_update",
        ):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    with op.batch_alter_table("audit_head", schema=None) as batch_op:
        batch_op.drop_column("event_from")
        batch_op.drop_column("event_seal")
        batch_op.drop_column("event_count")
        batch_op.drop_column("keyed_from")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("key_id")
        batch_op.drop_column("seal")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_column("key_id")
