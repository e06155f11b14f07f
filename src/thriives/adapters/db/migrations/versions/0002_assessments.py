"""assessments, DASH, review items, aide-memoires

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "aide_memoires",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aide_memoires")),
        sa.UniqueConstraint("category", "version", name="uq_aide_memoires_category_version"),
    )
    op.create_table(
        "assessments",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("incident_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=40), nullable=False),
        sa.Column("policy_version", sa.String(length=40), nullable=False),
        sa.Column("submission", sa.JSON(), nullable=False),
        sa.Column("levels", sa.JSON(), nullable=False),
        sa.Column("raised", sa.JSON(), nullable=False),
        sa.Column("indicators", sa.JSON(), nullable=False),
        sa.Column("question_sets", sa.JSON(), nullable=False),
        sa.Column("proposed_grade", sa.String(length=20), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("final_grade", sa.String(length=20), nullable=False),
        sa.Column("override_reason", sa.String(length=2000), nullable=True),
        sa.Column("downgrade", sa.Boolean(), nullable=False),
        sa.Column("suggestions", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_assessments_incident_id_incidents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessments")),
        sa.UniqueConstraint("incident_id", "version", name="uq_assessments_incident_version"),
    )
    op.create_table(
        "dash_assessments",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("incident_id", sa.String(length=36), nullable=False),
        sa.Column("policy_version", sa.String(length=40), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("comments", sa.JSON(), nullable=False),
        sa.Column("yes_count", sa.Integer(), nullable=False),
        sa.Column("score_level", sa.String(length=10), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("basis", sa.String(length=30), nullable=False),
        sa.Column("override_reason", sa.String(length=2000), nullable=True),
        sa.Column("marac_referral", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_dash_assessments_incident_id_incidents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dash_assessments")),
    )
    with op.batch_alter_table("dash_assessments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dash_assessments_incident_id"), ["incident_id"], unique=False)

    op.create_table(
        "review_items",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("incident_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_review_items_incident_id_incidents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_items")),
    )
    with op.batch_alter_table("review_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_items_incident_id"), ["incident_id"], unique=False)
        batch_op.create_index("ix_review_items_status_kind", ["status", "kind"], unique=False)

    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("grade", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("graded_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("dash_exemption", sa.String(length=2000), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_column("dash_exemption")
        batch_op.drop_column("graded_at")
        batch_op.drop_column("grade")

    with op.batch_alter_table("review_items", schema=None) as batch_op:
        batch_op.drop_index("ix_review_items_status_kind")
        batch_op.drop_index(batch_op.f("ix_review_items_incident_id"))

    op.drop_table("review_items")
    with op.batch_alter_table("dash_assessments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dash_assessments_incident_id"))

    op.drop_table("dash_assessments")
    op.drop_table("assessments")
    op.drop_table("aide_memoires")
