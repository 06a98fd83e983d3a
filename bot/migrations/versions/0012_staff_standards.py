"""standards entered by staff, and households re-screened when one changes (issue #19)

A county supervisor or admin enters the 低保标准 their region publishes; each value is one row, kept as
history and never changed (who entered it and when is the audit). A household that agreed at a
pre-screen's result is kept (screening facts only) and re-screened when its standard changes.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_standards",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("region", sa.String(length=12), nullable=False),
        sa.Column("parameter", sa.String(length=64), nullable=False),
        sa.Column("value_cents", sa.Integer(), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("document", sa.String(length=200), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=True),
        sa.Column(
            "entered_by",
            sa.Integer(),
            sa.ForeignKey("staff.id", name="fk_staff_standards_entered_by_staff"),
            nullable=False,
        ),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_staff_standards_region_parameter", "staff_standards", ["region", "parameter", "since"], unique=True
    )
    op.create_table(
        "monitored_households",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("conversation_id", sa.String(length=255), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("region", sa.String(length=12), nullable=False),
        sa.Column("household", sa.JSON(), nullable=False),
        sa.Column("primary_layer", sa.String(length=32), nullable=False),
        sa.Column("standard", sa.String(length=200), nullable=True),
        sa.Column("consented_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("screened_on", sa.Date(), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("conversation_id", name="uq_monitored_households_conversation_id"),
    )


def downgrade() -> None:
    op.drop_table("monitored_households")
    op.drop_index("ix_staff_standards_region_parameter", table_name="staff_standards")
    op.drop_table("staff_standards")
