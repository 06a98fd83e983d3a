"""Tables for handoff requests and what is said while a person has the conversation, mapped onto the
plain domain classes."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, Enum, ForeignKey, Index, Integer, String, Table, Text, false

from bot.db import UTCDateTime, mapper_registry, metadata
from bot.handoff.model import Author, HandoffMessage, HandoffRequest, HandoffStatus

handoff_requests = Table(
    "handoff_requests",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("conversation_id", String(255), nullable=False),
    Column("channel", String(64), nullable=False),
    Column("requested_at", UTCDateTime(), nullable=False),
    Column("transcript", JSON, nullable=False),
    Column(
        "status",
        Enum(HandoffStatus, name="handoff_status", native_enum=False, length=16),
        nullable=False,
    ),
    Column("resumed_at", UTCDateTime(), nullable=True),
    Column("resumed_by", String(255), nullable=True),
    Column("region", String(12), nullable=True),
    Column("urgent", Boolean, nullable=False, default=False, server_default=false()),
    Column("claimed_by", Integer, nullable=True),
    Column("claimed_by_name", String(255), nullable=True),
    Column("claimed_at", UTCDateTime(), nullable=True),
    Column("last_heard_at", UTCDateTime(), nullable=True),
    Index("ix_handoff_requests_conversation_status", "conversation_id", "status"),
)

# Every message of a taken-over conversation: the resident's (masked), the staff member's (who wrote
# it), the product's own. The web chat reads its staff replies from here (its push); the console its
# resident messages.
handoff_messages = Table(
    "handoff_messages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("handoff_id", Integer, ForeignKey("handoff_requests.id"), nullable=False),
    Column("conversation_id", String(255), nullable=False),
    Column("author", Enum(Author, name="handoff_author", native_enum=False, length=16), nullable=False),
    Column("text", Text, nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("staff_id", Integer, nullable=True),
    Column("staff_name", String(255), nullable=True),
    Column("staff_office", String(255), nullable=True),
    Index("ix_handoff_messages_conversation_id", "conversation_id", "id"),
    Index("ix_handoff_messages_handoff_id", "handoff_id", "id"),
)

mapper_registry.map_imperatively(HandoffRequest, handoff_requests)
mapper_registry.map_imperatively(HandoffMessage, handoff_messages)
