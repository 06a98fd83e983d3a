"""Staff take over a conversation: who claimed a handoff, where the resident is, whether it is urgent,
when the resident last wrote (WeChat's 48-hour window), and every message said while a person has it

Requests from before have no region: like calls without one, they are for admins only.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("handoff_requests") as batch:
        batch.add_column(sa.Column("region", sa.String(length=12), nullable=True))
        batch.add_column(sa.Column("urgent", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch.add_column(sa.Column("claimed_by", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("claimed_by_name", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("last_heard_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "handoff_messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("handoff_id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=255), nullable=False),
        sa.Column(
            "author",
            sa.Enum("resident", "staff", "system", name="handoff_author", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("staff_name", sa.String(length=255), nullable=True),
        sa.Column("staff_office", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ["handoff_id"],
            ["handoff_requests.id"],
            name=op.f("fk_handoff_messages_handoff_id_handoff_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoff_messages")),
    )
    op.create_index("ix_handoff_messages_conversation_id", "handoff_messages", ["conversation_id", "id"])
    op.create_index("ix_handoff_messages_handoff_id", "handoff_messages", ["handoff_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_handoff_messages_handoff_id", table_name="handoff_messages")
    op.drop_index("ix_handoff_messages_conversation_id", table_name="handoff_messages")
    op.drop_table("handoff_messages")
    with op.batch_alter_table("handoff_requests") as batch:
        for column in ("last_heard_at", "claimed_at", "claimed_by_name", "claimed_by", "urgent", "region"):
            batch.drop_column(column)
