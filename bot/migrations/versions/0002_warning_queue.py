"""warning queue: staff, leads and their append-only history

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

STATES = ("new", "claimed", "visiting", "pending", "resolved", "closed", "merged")


def _enum(name, *values):
    return sa.Enum(*values, name=name, native_enum=False, length=32)


def upgrade() -> None:
    op.create_table(
        "staff",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("office", sa.String(length=200), nullable=False),
        sa.Column("region", sa.String(length=12), nullable=False),
        sa.Column("role", _enum("staff_role", "township_staff", "county_supervisor", "admin"), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_staff_token_hash")),
    )
    op.create_table(
        "leads",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("source_channel", _enum("source_channel", "wechat", "hotline", "web", "staff"), nullable=False),
        sa.Column("conversation_id", sa.String(length=255), nullable=True),
        sa.Column(
            "cause",
            _enum(
                "lead_cause",
                "illness",
                "schooling",
                "disability",
                "disaster",
                "unemployment",
                "expense_spike",
                "income_drop",
                "household_change",
                "other",
            ),
            nullable=False,
        ),
        sa.Column("severity", _enum("lead_severity", "life_threatening", "urgent", "normal"), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("region", sa.String(length=12), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=True),
        sa.Column("contact_name", sa.String(length=100), nullable=True),
        sa.Column("contact_phone", sa.String(length=32), nullable=True),
        sa.Column("contact_address", sa.String(length=300), nullable=True),
        sa.Column("consent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("household_key", sa.String(length=64), nullable=True),
        sa.Column("screening", sa.JSON(), nullable=True),
        sa.Column(
            "suggested_handling",
            _enum("lead_handling", "deliver", "refer", "case_conference", "terminate"),
            nullable=True,
        ),
        sa.Column("state", _enum("lead_state", *STATES), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.Column("claimed_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["claimed_by_id"], ["staff.id"], name=op.f("fk_leads_claimed_by_id_staff")),
        sa.ForeignKeyConstraint(["merged_into_id"], ["leads.id"], name=op.f("fk_leads_merged_into_id_leads")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leads")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_leads_idempotency_key")),
    )
    op.create_index(op.f("ix_leads_region"), "leads", ["region"])
    op.create_index(op.f("ix_leads_household_key"), "leads", ["household_key"])
    op.create_index(op.f("ix_leads_state"), "leads", ["state"])
    op.create_table(
        "lead_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("from_state", _enum("lead_state", *STATES), nullable=True),
        sa.Column("to_state", _enum("lead_state", *STATES), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], name=op.f("fk_lead_events_lead_id_leads")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_events")),
    )
    op.create_index("ix_lead_events_lead_id_at", "lead_events", ["lead_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_lead_events_lead_id_at", table_name="lead_events")
    op.drop_table("lead_events")
    op.drop_index(op.f("ix_leads_state"), table_name="leads")
    op.drop_index(op.f("ix_leads_household_key"), table_name="leads")
    op.drop_index(op.f("ix_leads_region"), table_name="leads")
    op.drop_table("leads")
    op.drop_table("staff")
