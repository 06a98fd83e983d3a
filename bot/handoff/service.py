"""Recording handoff requests and handing conversations back to the bot."""

from __future__ import annotations

from typing import Callable, Iterable, List, Optional

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from bot.db import utcnow
from bot.handoff.model import HandoffRequest, HandoffStateError, HandoffStatus, TranscriptLine
from bot.handoff.tables import handoff_requests  # noqa: F401  (registers the mapping)
from bot.privacy import mask_pii


class HandoffNotFound(LookupError):
    pass


class HandoffService:
    def __init__(self, sessions: sessionmaker, clock: Callable = utcnow) -> None:
        self._sessions = sessions
        self._clock = clock

    def request(self, conversation_id: str, channel: str, transcript: Iterable[TranscriptLine]) -> HandoffRequest:
        """Open a handoff for the conversation, or refresh the one already open (never two)."""
        lines = [TranscriptLine(t.speaker, mask_pii(t.text)).to_dict() for t in transcript]
        with self._sessions.begin() as session:
            existing = self._open_in(session, conversation_id)
            if existing is not None:
                existing.transcript = lines
                return existing
            handoff = HandoffRequest(
                conversation_id=conversation_id,
                channel=channel,
                requested_at=self._clock(),
                transcript=lines,
            )
            session.add(handoff)
            session.flush()
            return handoff

    def list_open(self) -> List[HandoffRequest]:
        with self._sessions() as session:
            query = (
                select(HandoffRequest)
                .where(handoff_requests.c.status == HandoffStatus.open)
                .order_by(handoff_requests.c.requested_at)
            )
            return list(session.scalars(query))

    def get_open(self, conversation_id: str) -> Optional[HandoffRequest]:
        with self._sessions() as session:
            return self._open_in(session, conversation_id)

    def resume(self, conversation_id: str, by: str) -> HandoffRequest:
        with self._sessions.begin() as session:
            handoff = self._open_in(session, conversation_id)
            if handoff is None:
                raise HandoffNotFound(f"no open handoff for conversation {conversation_id!r}")
            handoff.resume(by=by, at=self._clock())
            return handoff

    @staticmethod
    def _open_in(session, conversation_id: str) -> Optional[HandoffRequest]:
        query = select(HandoffRequest).where(
            handoff_requests.c.conversation_id == conversation_id,
            handoff_requests.c.status == HandoffStatus.open,
        )
        return session.scalars(query).first()


__all__ = ["HandoffService", "HandoffNotFound", "HandoffStateError"]
