"""units: several units per incident, last known positions, backup requests

Revision ID: 0008
Revises: 0005
Create Date: 2026-12-07 22:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("units", schema=None) as batch_op:
        # An incident may now be held by several units: the index stays, no longer unique.
        batch_op.drop_index("ix_units_incident_id")
        batch_op.create_index("ix_units_incident_id", ["incident_id"], unique=False)
        batch_op.add_column(sa.Column("last_latitude", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("last_longitude", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("position_at", sa.DateTime(timezone=True), nullable=True))

    op.create_table(
        "backup_requests",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("incident_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("reason", sa.String(length=2000), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requested_by", sa.String(length=40), nullable=False),
        sa.Column("sent", sa.JSON(), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_by", sa.String(length=40), nullable=True),
        sa.Column("end_reason", sa.String(length=2000), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_backup_requests_incident_id_incidents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_backup_requests")),
    )
    with op.batch_alter_table("backup_requests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_backup_requests_incident_id_status", ["incident_id", "status"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("backup_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_backup_requests_incident_id_status")
    op.drop_table("backup_requests")
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.drop_column("position_at")
        batch_op.drop_column("last_longitude")
        batch_op.drop_column("last_latitude")
        batch_op.drop_index("ix_units_incident_id")
        batch_op.create_index("ix_units_incident_id", ["incident_id"], unique=True)
