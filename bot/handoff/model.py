"""A request from a resident to talk to a person (转人工), and what is said while a person has it.
Plain Python: no ORM, no Rasa."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import List, Optional

from bot.errors import ServiceError


class HandoffStatus(str, enum.Enum):
    open = "open"  # the bot is paused; a person should pick the conversation up
    resumed = "resumed"  # staff handed the conversation back to the bot


class Author(str, enum.Enum):
    resident = "resident"  # what the resident wrote while the bot was paused
    staff = "staff"  # a staff member's reply, sent in the resident's own channel
    system = "system"  # what the product told the resident (e.g. that the assistant is back)


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
    # Where the resident is (an administrative code): who may see the request (bot/leads/access.py).
    region: Optional[str] = None
    # The conversation had an emergency: listed before the others.
    urgent: bool = False
    claimed_by: Optional[int] = None  # staff id
    claimed_by_name: Optional[str] = None
    claimed_at: Optional[datetime] = None
    # The resident's latest message: WeChat lets us write to them only within 48 hours of it.
    last_heard_at: Optional[datetime] = None

    @property
    def is_open(self) -> bool:
        return self.status is HandoffStatus.open

    def resume(self, by: str, at: datetime) -> None:
        if self.status is not HandoffStatus.open:
            raise HandoffStateError(
                f"handoff {self.id} for conversation {self.conversation_id!r} is {self.status.value}, not open",
                "这段对话已经交还给智能助手了",
            )
        self.status = HandoffStatus.resumed
        self.resumed_by = by
        self.resumed_at = at


@dataclass
class HandoffMessage:
    handoff_id: int
    conversation_id: str
    author: Author
    text: str
    at: datetime
    staff_id: Optional[int] = None
    staff_name: Optional[str] = None
    staff_office: Optional[str] = None
    id: Optional[int] = None

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "author": self.author.value,
            "text": self.text,
            "at": self.at.isoformat(),
            "staff_id": self.staff_id,
            "staff_name": self.staff_name,
            "staff_office": self.staff_office,
        }


class HandoffError(ServiceError):
    code = "handoff_error"
    message_zh = "转人工操作失败"


class HandoffStateError(HandoffError, ValueError):
    """A handoff cannot make the requested change from its current state."""

    code = "handoff_state"
    message_zh = "这段对话当前的状态不允许这样操作"
    status = 409


class HandoffNotFound(HandoffError, LookupError):
    code = "handoff_not_found"
    message_zh = "没有找到这个转人工请求"
    status = 404


class CannotReply(HandoffError):
    """The resident's channel cannot carry a reply now (WeChat's 48-hour window, a channel for programs)."""

    code = "cannot_reply"
    message_zh = "无法通过居民使用的渠道回复"
    status = 409


class InvalidReply(HandoffError):
    code = "invalid_reply"
    message_zh = "回复内容不正确"
    status = 400


class AssistantUnavailable(HandoffError):
    """Rasa did not take the conversation back; the request stays open."""

    code = "assistant_unavailable"
    message_zh = "智能助手暂时不可用"
    status = 503
