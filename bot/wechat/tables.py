"""What the WeChat channel shares between processes: deliveries already taken, and the access token."""

from __future__ import annotations

from sqlalchemy import Column, String, Table, Text

from bot.db import UTCDateTime, metadata

# One row per message WeChat delivered: MsgId, or for events FromUserName + CreateTime. WeChat
# retries a slow callback with the same id; the row makes every process see it as taken.
wechat_deliveries = Table(
    "wechat_deliveries",
    metadata,
    Column("delivery_key", String(120), primary_key=True),
    Column("received_at", UTCDateTime(), nullable=False, index=True),
)

# The access_token of each app: fetched by whichever process needs it first, used by all.
wechat_access_tokens = Table(
    "wechat_access_tokens",
    metadata,
    Column("app_id", String(64), primary_key=True),
    Column("token", Text, nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
)
