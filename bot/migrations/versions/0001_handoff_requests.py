"""handoff requests: a resident asked for a person and the bot paused

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "handoff_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("conversation_id", sa.String(length=255), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("transcript", sa.JSON(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("open", "resumed", name="handoff_status", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("resumed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resumed_by", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoff_requests")),
    )
    op.create_index(
        "ix_handoff_requests_conversation_status",
        "handoff_requests",
        ["conversation_id", "status"],
    )


def downgrade() -> None:
    op.drop_index("ix_handoff_requests_conversation_status", table_name="handoff_requests")
    op.drop_table("handoff_requests")
