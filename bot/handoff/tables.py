"""Table for handoff requests and its mapping onto the plain domain class."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Enum, Index, Integer, String, Table

from bot.db import UTCDateTime, mapper_registry, metadata
from bot.handoff.model import HandoffRequest, HandoffStatus

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
    Index("ix_handoff_requests_conversation_status", "conversation_id", "status"),
)

mapper_registry.map_imperatively(HandoffRequest, handoff_requests)
