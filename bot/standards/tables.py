"""Standards entered by staff: one row per value, never updated or deleted (the rows are the audit)."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Date, ForeignKey, Index, Integer, String, Table

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

# A household that agreed, at a pre-screen's result, to be re-screened when a standard changes: only the
# facts a screening uses (no name, phone or address), and the verdict and standard it was last given.
monitored_households = Table(
    "monitored_households",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("conversation_id", String(255), nullable=False, unique=True),
    Column("channel", String(32), nullable=False),
    Column("region", String(12), nullable=False),
    Column("household", JSON, nullable=False),
    Column("primary_layer", String(32), nullable=False),  # tekun | dibao | near_dibao | rigid_expense | none
    Column("standard", String(200), nullable=True),  # the fingerprint of the 低保标准 it was screened on
    Column("consented_at", UTCDateTime(), nullable=False),
    Column("screened_on", Date, nullable=False),
    Column("withdrawn_at", UTCDateTime(), nullable=True),
)
