"""Handoff to a person (转人工): the bot pauses, a request waits for staff, a staff member takes the
conversation over in the resident's own channel and hands it back."""

from bot.handoff.model import (
    AssistantUnavailable,
    Author,
    CannotReply,
    HandoffError,
    HandoffMessage,
    HandoffNotFound,
    HandoffRequest,
    HandoffStateError,
    HandoffStatus,
    InvalidReply,
    TranscriptLine,
)
from bot.handoff.service import HandoffService
from bot.handoff.takeover import Takeover

__all__ = [
    "AssistantUnavailable",
    "Author",
    "CannotReply",
    "HandoffError",
    "HandoffMessage",
    "HandoffRequest",
    "HandoffStateError",
    "HandoffStatus",
    "InvalidReply",
    "TranscriptLine",
    "HandoffNotFound",
    "HandoffService",
    "Takeover",
]
