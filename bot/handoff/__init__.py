"""Handoff to a person (转人工): the bot pauses and a request waits for staff."""

from bot.handoff.model import HandoffRequest, HandoffStateError, HandoffStatus, TranscriptLine
from bot.handoff.service import HandoffNotFound, HandoffService

__all__ = [
    "HandoffRequest",
    "HandoffStateError",
    "HandoffStatus",
    "TranscriptLine",
    "HandoffNotFound",
    "HandoffService",
]
