"""Standards entered by staff: one row per value, never updated or deleted (the rows are the audit)."""

from __future__ import annotations

from sqlalchemy import Column, Date, ForeignKey, Index, Integer, String, Table

from bot.db import UTCDateTime, metadata

staff_standards = Table(
    "staff_standards",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("region", String(12), nullable=False),
    Column("parameter", String(64), nullable=False),
    Column("value_cents", Integer, nullable=False),  # whole fen: exact on SQLite too
    Column("since", Date, nullable=False),
    Column("document", String(200), nullable=False),  # 文号 of the notice that set it
    Column("url", String(500), nullable=True),
    Column("entered_by", Integer, ForeignKey("staff.id"), nullable=False),
    Column("entered_at", UTCDateTime(), nullable=False),
    Index("ix_staff_standards_region_parameter", "region", "parameter", "since", unique=True),
)
