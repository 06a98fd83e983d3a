"""Recording handoff requests, what is said while staff have the conversation, and handing it back."""

from __future__ import annotations

from typing import Callable, Iterable, List, Optional, Tuple

from sqlalchemy import select, update
from sqlalchemy.orm import sessionmaker

from bot.db import utcnow
from bot.handoff.model import (
    Author,
    HandoffMessage,
    HandoffNotFound,
    HandoffRequest,
    HandoffStateError,
    HandoffStatus,
    TranscriptLine,
)
from bot.handoff.tables import handoff_messages, handoff_requests
from bot.inputs import MAX_TEXT
from bot.leads.access import confine, visible
from bot.leads.model import Staff
from bot.privacy import mask_pii


class HandoffService:
    def __init__(self, sessions: sessionmaker, clock: Callable = utcnow) -> None:
        self._sessions = sessions
        self._clock = clock

    def now(self):
        return self._clock()

    # --- the resident's side (the action server and the input channels) ------------------------
    def request(
        self,
        conversation_id: str,
        channel: str,
        transcript: Iterable[TranscriptLine],
        region: Optional[str] = None,
        urgent: bool = False,
    ) -> HandoffRequest:
        """Open a handoff for the conversation, or refresh the one already open (never two)."""
        lines = [TranscriptLine(t.speaker, mask_pii(_storable(t.text))).to_dict() for t in transcript]
        now = self._clock()
        with self._sessions.begin() as session:
            existing = self._open_in(session, conversation_id)
            if existing is not None:
                existing.transcript = lines
                existing.region = existing.region or region
                existing.urgent = existing.urgent or urgent
                existing.last_heard_at = now
                return existing
            handoff = HandoffRequest(
                conversation_id=conversation_id,
                channel=channel,
                requested_at=now,
                transcript=lines,
                region=region,
                urgent=urgent,
                last_heard_at=now,
            )
            session.add(handoff)
            session.flush()
            return handoff

    def heard(self, conversation_id: str, text: str) -> Optional[HandoffMessage]:
        """A resident's message while the bot is paused: kept (masked) for the staff member; None when
        no person has the conversation (the assistant answers it as usual)."""
        with self._sessions.begin() as session:
            handoff = self._open_in(session, conversation_id)
            if handoff is None:
                return None
            now = self._clock()
            handoff.last_heard_at = now
            message = HandoffMessage(handoff.id, conversation_id, Author.resident, mask_pii(_storable(text)), now)
            session.add(message)
            session.flush()
            return message

    def replies_after(self, conversation_id: str, after: int) -> List[HandoffMessage]:
        """What staff and the product said to the resident since message `after` (the web chat's push)."""
        with self._sessions() as session:
            query = (
                select(HandoffMessage)
                .where(
                    handoff_messages.c.conversation_id == conversation_id,
                    handoff_messages.c.id > after,
                    handoff_messages.c.author != Author.resident,
                )
                .order_by(handoff_messages.c.id)
                .limit(100)
            )
            return list(session.scalars(query))

    def latest_reply_id(self, conversation_id: str) -> int:
        """Where a newly opened chat page starts listening (it shows nothing older)."""
        found = self.replies_after(conversation_id, 0)
        return found[-1].id if found else 0

    # --- the command line ------------------------------------------------------------------------
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

    # --- staff (the console), confined to their region -------------------------------------------
    def waiting(self, staff: Staff) -> List[HandoffRequest]:
        """Open requests the staff member may see: urgent ones first, newest first within each."""
        with self._sessions() as session:
            query = (
                select(HandoffRequest)
                .where(handoff_requests.c.status == HandoffStatus.open, visible(handoff_requests.c.region, staff))
                .order_by(handoff_requests.c.urgent.desc(), handoff_requests.c.requested_at.desc())
                .limit(500)
            )
            return list(session.scalars(query))

    def get(self, handoff_id: int, staff: Staff, after: int = 0) -> Tuple[HandoffRequest, List[HandoffMessage]]:
        """One request and its messages since `after`, for a staff member of its region."""
        with self._sessions() as session:
            handoff = self._visible_in(session, handoff_id, staff)
            query = (
                select(HandoffMessage)
                .where(handoff_messages.c.handoff_id == handoff_id, handoff_messages.c.id > after)
                .order_by(handoff_messages.c.id)
            )
            return handoff, list(session.scalars(query))

    def claim(self, handoff_id: int, staff: Staff) -> HandoffRequest:
        """Take the conversation; one person at a time (a second claim by the same person is a no-op)."""
        with self._sessions.begin() as session:
            handoff = self._visible_in(session, handoff_id, staff)
            taken = session.execute(
                update(handoff_requests)
                .where(
                    handoff_requests.c.id == handoff_id,
                    handoff_requests.c.status == HandoffStatus.open,
                    handoff_requests.c.claimed_by.is_(None),
                )
                .values(claimed_by=staff.id, claimed_by_name=staff.name, claimed_at=self._clock())
                .execution_options(synchronize_session=False)
            ).rowcount
            session.refresh(handoff)
            if not taken and handoff.claimed_by != staff.id:
                if not handoff.is_open:
                    raise HandoffStateError(
                        f"handoff {handoff_id} is {handoff.status.value}", "这段对话已经交还给智能助手了"
                    )
                raise HandoffStateError(
                    f"handoff {handoff_id} is claimed by staff {handoff.claimed_by}",
                    f"这段对话已由{handoff.claimed_by_name}接手",
                )
            return handoff

    def replyable(self, handoff_id: int, staff: Staff) -> HandoffRequest:
        """The request, if this staff member may write in it now: open and claimed by them."""
        with self._sessions() as session:
            handoff = self._visible_in(session, handoff_id, staff)
        if not handoff.is_open:
            raise HandoffStateError(f"handoff {handoff_id} is {handoff.status.value}", "这段对话已经交还给智能助手了")
        if handoff.claimed_by != staff.id:
            raise HandoffStateError(
                f"handoff {handoff_id} is not claimed by staff {staff.id}",
                "请先接手这段对话再回复"
                if handoff.claimed_by is None
                else f"这段对话已由{handoff.claimed_by_name}接手",
            )
        return handoff

    def record(
        self, handoff: HandoffRequest, author: Author, text: str, staff: Optional[Staff] = None
    ) -> HandoffMessage:
        """A message said to the resident, marked with who wrote it."""
        with self._sessions.begin() as session:
            message = HandoffMessage(
                handoff.id,
                handoff.conversation_id,
                author,
                text,
                self._clock(),
                staff_id=staff.id if staff else None,
                staff_name=staff.name if staff else None,
                staff_office=staff.office if staff else None,
            )
            session.add(message)
            session.flush()
            return message

    def hand_back(self, handoff_id: int, staff: Staff) -> HandoffRequest:
        with self._sessions.begin() as session:
            handoff = self._visible_in(session, handoff_id, staff)
            handoff.resume(by=staff.name, at=self._clock())
            return handoff

    # --- queries ---------------------------------------------------------------------------------
    @staticmethod
    def _open_in(session, conversation_id: str) -> Optional[HandoffRequest]:
        query = select(HandoffRequest).where(
            handoff_requests.c.conversation_id == conversation_id,
            handoff_requests.c.status == HandoffStatus.open,
        )
        return session.scalars(query).first()

    @staticmethod
    def _visible_in(session, handoff_id: int, staff: Staff) -> HandoffRequest:
        handoff = session.get(HandoffRequest, handoff_id)
        if handoff is None:
            raise HandoffNotFound(f"no handoff {handoff_id}")
        confine(staff, handoff.region, "handoff")
        return handoff


def _storable(text: str) -> str:
    """What a resident wrote, kept whatever it holds: no control character or lone surrogate (the
    databases refuse them), at most MAX_TEXT characters."""
    return "".join(ch for ch in text if ch.isprintable() or ch == "\n")[:MAX_TEXT]


__all__ = ["HandoffService", "HandoffNotFound", "HandoffStateError"]
