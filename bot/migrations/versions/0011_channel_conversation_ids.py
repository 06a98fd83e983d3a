"""web chat and WeChat conversations carry their channel's prefix (webchat:…, wechat:…)

Conversation ids are namespaced by channel (bot/edge.py): before, a REST caller or a web-chat page that
named a WeChat openid reached that resident's conversation and its staff replies. Conversations from
before keep going under their new ids: the open handoffs and their messages, and Rasa's tracker events
(the `events` table, when Rasa has created it) of conversations whose messages came in through those
channels. Leads keep the id they were filed under (a record of what happened).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

CHANNELS = ("webchat", "wechat")


def upgrade() -> None:
    for channel in CHANNELS:
        prefix = f"{channel}:"
        op.execute(
            sa.text(
                "UPDATE handoff_messages SET conversation_id = :prefix || conversation_id "
                "WHERE conversation_id NOT LIKE '%:%' AND handoff_id IN "
                "(SELECT id FROM handoff_requests WHERE channel = :channel)"
            ).bindparams(prefix=prefix, channel=channel)
        )
        op.execute(
            sa.text(
                "UPDATE handoff_requests SET conversation_id = :prefix || conversation_id "
                "WHERE channel = :channel AND conversation_id NOT LIKE '%:%'"
            ).bindparams(prefix=prefix, channel=channel)
        )
    if "events" not in sa.inspect(op.get_bind()).get_table_names():
        return  # Rasa has not run on this database yet
    for channel in CHANNELS:
        op.execute(
            sa.text(
                "UPDATE events SET sender_id = :prefix || sender_id WHERE sender_id NOT LIKE '%:%' AND sender_id IN "
                "(SELECT DISTINCT sender_id FROM events WHERE type_name = 'user' AND data LIKE :channel_field)"
            ).bindparams(prefix=f"{channel}:", channel_field=f'%"input_channel": "{channel}"%')
        )


def downgrade() -> None:
    for channel in CHANNELS:
        prefix = f"{channel}:"
        for table, column in (("handoff_messages", "conversation_id"), ("handoff_requests", "conversation_id")):
            op.execute(
                sa.text(
                    f"UPDATE {table} SET {column} = SUBSTR({column}, :start) WHERE {column} LIKE :pattern"
                ).bindparams(start=len(prefix) + 1, pattern=f"{prefix}%")
            )
        if "events" in sa.inspect(op.get_bind()).get_table_names():
            op.execute(
                sa.text(
                    "UPDATE events SET sender_id = SUBSTR(sender_id, :start) WHERE sender_id LIKE :pattern"
                ).bindparams(start=len(prefix) + 1, pattern=f"{prefix}%")
            )
