"""A request from a resident to talk to a person (转人工). Plain Python: no ORM, no Rasa."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import List, Optional


class HandoffStatus(str, enum.Enum):
    open = "open"  # the bot is paused; a person should pick the conversation up
    resumed = "resumed"  # staff handed the conversation back to the bot


@dataclass
class TranscriptLine:
    speaker: str  # "user" or "bot"
    text: str

    def to_dict(self) -> dict:
        return {"speaker": self.speaker, "text": self.text}


@dataclass
class HandoffRequest:
    conversation_id: str
    channel: str
    requested_at: datetime
    transcript: List[dict] = field(default_factory=list)
    status: HandoffStatus = HandoffStatus.open
    resumed_at: Optional[datetime] = None
    resumed_by: Optional[str] = None
    id: Optional[int] = None

    def resume(self, by: str, at: datetime) -> None:
        if self.status is not HandoffStatus.open:
            raise HandoffStateError(
                f"handoff {self.id} for conversation {self.conversation_id!r} is {self.status.value}, not open"
            )
        self.status = HandoffStatus.resumed
        self.resumed_by = by
        self.resumed_at = at


class HandoffStateError(ValueError):
    """A handoff cannot make the requested change from its current state."""
