"""The warning queue (预警队列): leads filed by channels and operators, worked by staff."""

from bot.leads.draft import Contact, LeadDraft
from bot.leads.model import (
    Cause,
    ClaimConflict,
    Forbidden,
    Handling,
    IdempotencyConflict,
    InvalidLead,
    Lead,
    LeadError,
    LeadEvent,
    LeadNotFound,
    LeadState,
    Severity,
    SourceChannel,
    Staff,
    StaffRole,
    TransitionRefused,
)
from bot.leads.service import Filed, LeadService
from bot.leads.staff import StaffService

__all__ = [
    "Cause",
    "ClaimConflict",
    "Contact",
    "Filed",
    "Forbidden",
    "Handling",
    "IdempotencyConflict",
    "InvalidLead",
    "Lead",
    "LeadDraft",
    "LeadError",
    "LeadEvent",
    "LeadNotFound",
    "LeadService",
    "LeadState",
    "Severity",
    "SourceChannel",
    "Staff",
    "StaffRole",
    "StaffService",
    "TransitionRefused",
]
