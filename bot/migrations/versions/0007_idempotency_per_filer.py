"""idempotency keys belong to their filer; a replay must send the same filing

A key was unique across the whole queue: any staff token re-sending another region's key got that
lead back (with its contact details), and a key squatted first (e.g. `hotline:<call_id>`) swallowed the
real filer's later emergency. Keys are now unique per filer, and the draft's hash is kept so a replay
with a different payload is refused. Existing leads were filed by their channel: that is their filer.

Calls get the region of the staff member who started them: any staff token could read, edit, end and
file another region's call. Calls from before have none and are for admins only.

Console logins get a session (its id's hash here, the id in the cookie) instead of the raw token in
the cookie, so logging out revokes it.

Revision ID: 0007
Revises: 0005 (the WeChat engineer's 0006 is not merged yet; when it is, this revises 0006)
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("leads") as batch:
        batch.add_column(sa.Column("filer", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("draft_hash", sa.String(length=64), nullable=True))
    op.execute("UPDATE leads SET filer = source_channel")
    with op.batch_alter_table("leads") as batch:
        batch.alter_column("filer", existing_type=sa.String(length=64), nullable=False)
        batch.drop_constraint("uq_leads_idempotency_key", type_="unique")
        batch.create_unique_constraint("uq_leads_filer", ["filer", "idempotency_key"])
    with op.batch_alter_table("calls") as batch:
        batch.add_column(sa.Column("region", sa.String(length=12), nullable=True))
    op.create_table(
        "staff_sessions",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name=op.f("fk_staff_sessions_staff_id_staff")),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_staff_sessions")),
    )


def downgrade() -> None:
    op.drop_table("staff_sessions")
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("region")
    # Keys shared by several filers become unique again by carrying their filer (the first keeps its own).
    op.execute(
        "UPDATE leads SET idempotency_key = SUBSTR(filer || ':' || idempotency_key, 1, 200) "
        "WHERE id NOT IN (SELECT MIN(id) FROM leads GROUP BY idempotency_key)"
    )
    with op.batch_alter_table("leads") as batch:
        batch.drop_constraint("uq_leads_filer", type_="unique")
        batch.create_unique_constraint("uq_leads_idempotency_key", ["idempotency_key"])
        batch.drop_column("draft_hash")
        batch.drop_column("filer")
