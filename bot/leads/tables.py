"""Tables for staff, leads and lead events, mapped onto the plain domain classes."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from bot.db import UTCDateTime, mapper_registry, metadata
from bot.leads.model import (
    OPEN_STATES,
    Cause,
    Handling,
    Lead,
    LeadEvent,
    LeadState,
    Severity,
    SourceChannel,
    Staff,
    StaffRole,
)


def _enum(cls, name: str) -> Enum:
    return Enum(cls, name=name, native_enum=False, length=32, validate_strings=True)


staff = Table(
    "staff",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False),
    Column("office", String(200), nullable=False),
    Column("region", String(12), nullable=False),
    Column("role", _enum(StaffRole, "staff_role"), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("active", Boolean, nullable=False, default=True),
)

# A console login: the cookie holds a random session id, this table only its hash; logout revokes it.
staff_sessions = Table(
    "staff_sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("staff_id", Integer, ForeignKey("staff.id"), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("revoked_at", UTCDateTime(), nullable=True),
)

leads = Table(
    "leads",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # Unique per filer ("staff:<id>", or the channel that filed it), never across filers.
    Column("filer", String(64), nullable=False),
    Column("idempotency_key", String(200), nullable=False),
    Column("draft_hash", String(64), nullable=True),  # the filing a replay must repeat
    Column("source_channel", _enum(SourceChannel, "source_channel"), nullable=False),
    Column("conversation_id", String(255), nullable=True),
    Column("cause", _enum(Cause, "lead_cause"), nullable=False),
    Column("kind", String(32), nullable=True, index=True),  # the emergency's kind (bot.leads.model.KIND_GROUPS)
    Column("severity", _enum(Severity, "lead_severity"), nullable=False),
    Column("description", Text, nullable=False),
    Column("region", String(12), nullable=False, index=True),
    Column("place", String(200), nullable=True),
    Column("contact_name", String(100), nullable=True),
    Column("contact_phone", String(32), nullable=True),
    Column("contact_address", String(300), nullable=True),
    Column("consent_at", UTCDateTime(), nullable=True),
    Column("household_key", String(64), nullable=True, index=True),
    Column("screening", JSON, nullable=True),
    Column("suggested_handling", _enum(Handling, "lead_handling"), nullable=True),
    Column("state", _enum(LeadState, "lead_state"), nullable=False, index=True),
    Column("outcome", Text, nullable=True),
    Column("merged_into_id", Integer, ForeignKey("leads.id"), nullable=True),
    Column("claimed_by_id", Integer, ForeignKey("staff.id"), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=True),
    Column("due_at", UTCDateTime(), nullable=False),
    UniqueConstraint("filer", "idempotency_key", name="uq_leads_filer"),
)

# One household, one chain: at most one open lead per household key. The service links a second
# report to the open lead; this index makes that hold when two reports arrive at the same moment.
_OPEN_HOUSEHOLD = text(
    "household_key IS NOT NULL AND state IN (%s)" % ", ".join(f"'{s.value}'" for s in sorted(OPEN_STATES))
)
Index(
    "uq_leads_open_household",
    leads.c.household_key,
    unique=True,
    postgresql_where=_OPEN_HOUSEHOLD,
    sqlite_where=_OPEN_HOUSEHOLD,
)

lead_events = Table(
    "lead_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("lead_id", Integer, ForeignKey("leads.id"), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("from_state", _enum(LeadState, "lead_state"), nullable=True),
    Column("to_state", _enum(LeadState, "lead_state"), nullable=True),
    Column("note", Text, nullable=False, default=""),
    Index("ix_lead_events_lead_id_at", "lead_id", "at"),
)

mapper_registry.map_imperatively(Staff, staff)
mapper_registry.map_imperatively(Lead, leads)
mapper_registry.map_imperatively(LeadEvent, lead_events)
