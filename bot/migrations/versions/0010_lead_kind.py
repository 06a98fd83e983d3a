"""leads keep the emergency's kind (self_harm, violence, fire, …)

A self-harm or violence lead showed only its cause (其他): staff could neither see nor filter what kind
of emergency it was. The kind detection found is kept beside the cause; leads from before have none.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("leads") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=32), nullable=True))
        batch.create_index("ix_leads_kind", ["kind"])


def downgrade() -> None:
    with op.batch_alter_table("leads") as batch:
        batch.drop_index("ix_leads_kind")
        batch.drop_column("kind")
