"""Calls and what was said in them (masked: ID and phone numbers are not kept in transcripts)."""

from __future__ import annotations

from sqlalchemy import JSON, Column, ForeignKey, Integer, String, Table, Text, UniqueConstraint

from bot.db import UTCDateTime, metadata

calls = Table(
    "calls",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("call_id", String(100), nullable=False, unique=True),  # the hotline system's own id
    Column("operator", String(100), nullable=False),
    Column("region", String(12), nullable=True),  # the starting staff member's: who may see the call
    Column("state", JSON, nullable=False),  # bot/hotline/assist.py's call state
    Column("started_at", UTCDateTime(), nullable=False),
    Column("ended_at", UTCDateTime(), nullable=True),
    Column("summary", Text, nullable=True),
    Column("category", String(100), nullable=True),
    Column("lead_id", Integer, ForeignKey("leads.id"), nullable=True),
)

call_utterances = Table(
    "call_utterances",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("call_ref", Integer, ForeignKey("calls.id"), nullable=False),
    Column("seq", Integer, nullable=False),  # the hotline system's sequence number: a resend is not heard twice
    Column("speaker", String(16), nullable=False),
    Column("text", Text, nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    UniqueConstraint("call_ref", "seq", name="uq_call_utterances_call_ref_seq"),
)
