"""WeChat channel: deliveries already taken (MsgId dedupe) and the shared access_token

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wechat_deliveries",
        sa.Column("delivery_key", sa.String(length=120), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("delivery_key", name=op.f("pk_wechat_deliveries")),
    )
    op.create_index(op.f("ix_wechat_deliveries_received_at"), "wechat_deliveries", ["received_at"])
    op.create_table(
        "wechat_access_tokens",
        sa.Column("app_id", sa.String(length=64), nullable=False),
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("app_id", name=op.f("pk_wechat_access_tokens")),
    )


def downgrade() -> None:
    op.drop_table("wechat_access_tokens")
    op.drop_index(op.f("ix_wechat_deliveries_received_at"), table_name="wechat_deliveries")
    op.drop_table("wechat_deliveries")
