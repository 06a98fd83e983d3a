"""one open lead per household, enforced by the database

Two filers reporting one household at the same moment both saw "no open lead" and both opened one.
A partial unique index makes the second insert fail; the service then links it to the first.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

OPEN = sa.text("household_key IS NOT NULL AND state IN ('new', 'claimed', 'visiting', 'pending')")


def upgrade() -> None:
    op.create_index(
        "uq_leads_open_household",
        "leads",
        ["household_key"],
        unique=True,
        postgresql_where=OPEN,
        sqlite_where=OPEN,
    )


def downgrade() -> None:
    op.drop_index("uq_leads_open_household", table_name="leads")
