"""links between incidents, the incident log, search indexes

Revision ID: 0009
Revises: 0005
Create Date: 2026-12-07 22:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "incident_relations",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("incident_id", sa.String(length=36), nullable=False),
        sa.Column("other_id", sa.String(length=36), nullable=False),
        sa.Column("relation", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=2000), nullable=True),
        sa.Column("created_by", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_incident_relations_incident_id_incidents")
        ),
        sa.ForeignKeyConstraint(
            ["other_id"], ["incidents.id"], name=op.f("fk_incident_relations_other_id_incidents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_relations")),
    )
    with op.batch_alter_table("incident_relations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_incident_relations_incident_id"), ["incident_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_incident_relations_other_id"), ["other_id"], unique=False)
    op.create_table(
        "incident_log",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("incident_id", sa.String(length=36), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=40), nullable=False),
        sa.Column("author_role", sa.String(length=40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("after_closing", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_incident_log_incident_id_incidents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_log")),
    )
    with op.batch_alter_table("incident_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_incident_log_incident_id"), ["incident_id"], unique=False)
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.create_index("ix_incidents_received_at", ["received_at"], unique=False)
        batch_op.create_index("ix_incidents_postcode", ["postcode"], unique=False)
    # As with the audit log, the database itself refuses to alter or remove a log entry.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(LOG_APPEND_ONLY)
    else:
        for statement in LOG_APPEND_ONLY_SQLITE:
            op.execute(statement)


LOG_APPEND_ONLY = """
CREATE FUNCTION incident_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'incident_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER incident_log_no_update_delete BEFORE UPDATE OR DELETE ON incident_log
    FOR EACH ROW EXECUTE FUNCTION incident_log_refuse_change();
"""
LOG_APPEND_ONLY_SQLITE = [
    f"""CREATE TRIGGER incident_log_no_{operation.lower()} BEFORE {operation} ON incident_log
    BEGIN SELECT RAISE(ABORT, 'incident_log is append-only: {operation} refused'); END"""
    for operation in ("UPDATE", "DELETE")
]


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS incident_log_no_update_delete ON incident_log")
        op.execute("DROP FUNCTION IF EXISTS incident_log_refuse_change()")
    else:
        op.execute("DROP TRIGGER IF EXISTS incident_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS incident_log_no_delete")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_index("ix_incidents_postcode")
        batch_op.drop_index("ix_incidents_received_at")
    with op.batch_alter_table("incident_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_log_incident_id"))
    op.drop_table("incident_log")
    with op.batch_alter_table("incident_relations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_relations_other_id"))
        batch_op.drop_index(batch_op.f("ix_incident_relations_incident_id"))
    op.drop_table("incident_relations")
