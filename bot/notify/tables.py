"""The outbox, each delivery attempt, and the escalation steps already taken."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    UniqueConstraint,
)

from bot.db import UTCDateTime, metadata

PENDING = "pending"
SENT = "sent"

# One row per (lead, event, step, route): what to tell whom, never the message itself — the text is
# rendered at send time for the receiving channel, so contact details stay in the leads table.
notification_outbox = Table(
    "notification_outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("lead_id", Integer, ForeignKey("leads.id"), nullable=False),
    Column("event", String(16), nullable=False),  # filed | escalated
    Column("step", String(32), nullable=False, default=""),  # the escalation step; "" for filed
    Column("route", String(64), nullable=False),  # NotifyRoute.name: keys and numbers stay in the settings
    Column("channel", String(32), nullable=False),
    Column("recipient", String(64), nullable=False, default=""),  # a template's follower; "" for the route
    Column("urgent", Boolean, nullable=False),  # life-threatening: alone and at once, never in a digest
    Column("state", String(16), nullable=False, default=PENDING),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("not_before", UTCDateTime(), nullable=False),  # the digest window's end, or the next retry
    Column("attempts", Integer, nullable=False, default=0),
    Column("lease_token", String(32), nullable=True),  # the sender holding it, until lease_until
    Column("lease_until", UTCDateTime(), nullable=True),
    Column("sent_at", UTCDateTime(), nullable=True),
    Column("last_error", String(300), nullable=True),
    UniqueConstraint("lead_id", "event", "step", "route", "recipient", name="uq_notification_outbox_lead_id"),
    Index("ix_notification_outbox_state_not_before", "state", "not_before"),
)

notification_attempts = Table(
    "notification_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("outbox_id", Integer, ForeignKey("notification_outbox.id"), nullable=False, index=True),
    Column("at", UTCDateTime(), nullable=False),
    Column("sender", String(64), nullable=False),  # host:pid of the sender
    Column("message", String(32), nullable=False),  # rows sent together (a digest) share it
    Column("ok", Boolean, nullable=False),
    Column("error", String(300), nullable=True),
)

# A step taken is a row: the primary key makes escalation once per step, whichever instance gets there.
lead_escalations = Table(
    "lead_escalations",
    metadata,
    Column("lead_id", Integer, ForeignKey("leads.id"), nullable=False),
    Column("step", String(32), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    PrimaryKeyConstraint("lead_id", "step", name="pk_lead_escalations"),
)
