"""Rasa's SQL tracker store, read (never written) from the product database it shares: a conversation's
masked transcript, and what each conversation did (pre-screens, verdicts, emergencies, misses).

The `events` table is Rasa's (rasa/core/tracker_store.py, SQLTrackerStore.SQLEvent), not ours to
migrate: it exists only once the Rasa server has stored a conversation, so every reader first asks
`available()`, and the pages say when it is not. The core never imports Rasa: the columns are named
here. Each event's `data` is the JSON Rasa serialised; the assistant's whole state is the value of the
`conversation` slot (bot/conversation/dialogue.py), so what a conversation did is read from how that
state changed from one turn to the next.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Dict, Iterator, List, Optional

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, inspect, select
from sqlalchemy.orm import sessionmaker

from bot.privacy import mask_pii

STATE_SLOT = "conversation"  # domain.yml: the one slot that holds the assistant's state
SPEAKER_NAMES = {"user": "居民", "bot": "助手"}

events = Table(
    "events",
    MetaData(),  # not ours: kept out of the product's metadata and migrations
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)


@dataclass
class Turn:
    """One change of a conversation's state (a `conversation` slot event), compared with the one before."""

    at: datetime
    before: Dict[str, Any]
    after: Dict[str, Any]


@dataclass
class Conversation:
    sender_id: str
    messages: List[datetime] = field(default_factory=list)  # the resident's messages
    turns: List[Turn] = field(default_factory=list)

    @property
    def region(self) -> Optional[str]:
        """The last place the conversation settled on (the resident's answers are about it)."""
        for turn in reversed(self.turns):
            if turn.after.get("region"):
                return str(turn.after["region"])
        return None


def _at(timestamp: Optional[float]) -> datetime:
    return datetime.fromtimestamp(timestamp or 0, tz=timezone.utc)


def _data(raw: Optional[str]) -> dict:
    try:
        value = json.loads(raw or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


class TrackerEvents:
    def __init__(self, sessions: sessionmaker) -> None:
        self._sessions = sessions

    def available(self) -> bool:
        with self._sessions() as session:
            return inspect(session.get_bind()).has_table(events.name)

    def transcript(self, sender_id: str, last: int = 200) -> List[dict]:
        """What the resident and the assistant said, oldest first, with ID and phone numbers masked."""
        query = (
            select(events.c.type_name, events.c.timestamp, events.c.data)
            .where(events.c.sender_id == sender_id, events.c.type_name.in_(["user", "bot"]))
            .order_by(events.c.id.desc())
            .limit(last)
        )
        with self._sessions() as session:
            rows = session.execute(query).all()
        lines = []
        for type_name, timestamp, raw in reversed(rows):
            text = _data(raw).get("text")
            if isinstance(text, str) and text.strip():
                lines.append(
                    {
                        "speaker": type_name,
                        "speaker_name": SPEAKER_NAMES[type_name],
                        "text": mask_pii(text),
                        "at": _at(timestamp),
                    }
                )
        return lines

    def conversations(self, since: datetime, until: datetime) -> Iterator[Conversation]:
        """Every conversation with a message or a turn in [since, until), one at a time."""
        query = (
            select(events.c.sender_id, events.c.type_name, events.c.timestamp, events.c.data)
            .where(
                events.c.timestamp >= since.timestamp(),
                events.c.timestamp < until.timestamp(),
                events.c.type_name.in_(["user", "slot"]),
            )
            .order_by(events.c.sender_id, events.c.id)
        )
        current: Optional[Conversation] = None
        state: Dict[str, Any] = {}
        with self._sessions() as session:
            for sender_id, type_name, timestamp, raw in session.execute(query):
                if current is None or current.sender_id != sender_id:
                    if current is not None:
                        yield current
                    current, state = Conversation(sender_id), {}
                data = _data(raw)
                if type_name == "user":
                    current.messages.append(_at(timestamp))
                elif data.get("name") == STATE_SLOT and isinstance(data.get("value"), dict):
                    current.turns.append(Turn(_at(timestamp), state, data["value"]))
                    state = data["value"]
        if current is not None:
            yield current
