"""Calls: start, hear an utterance (idempotent per sequence number), end with an editable summary,
and file the call's lead in the warning queue with one call."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from bot.db import utcnow
from bot.errors import ServiceError
from bot.hotline import assist
from bot.hotline.tables import call_utterances, calls
from bot.inputs import INT4_MAX, InputRefused, clean_text
from bot.leads import LeadService, Staff, intake
from bot.leads.access import confine, visible
from bot.privacy import mask_pii

SPEAKERS = ("caller", "operator")


def _clean(value, field: str, limit: int) -> str:
    try:
        return clean_text(value, max_length=limit)
    except InputRefused as refused:
        raise CallError(f"{field}: {refused}", f"{refused.message_zh}（{field}）") from None


class CallError(ServiceError):
    code = "invalid_call_request"
    message_zh = "通话记录操作失败"


class CallEnded(CallError):
    code = "call_ended"
    message_zh = "这通电话已经结束"
    status = 409


class CallNotFound(CallError):
    code = "call_not_found"
    message_zh = "没有找到这通电话，请先开始通话"
    status = 404


@dataclass
class Call:
    id: int
    call_id: str
    operator: str
    region: Optional[str]
    state: Dict[str, Any]
    started_at: dt.datetime
    ended_at: Optional[dt.datetime]
    summary: Optional[str]
    category: Optional[str]
    lead_id: Optional[int]

    def to_dict(self) -> dict:
        return {
            "call_id": self.call_id,
            "operator": self.operator,
            "region": self.region,
            "started_at": self.started_at.isoformat(),
            "ended_at": self.ended_at.isoformat() if self.ended_at else None,
            "summary": self.summary,
            "category": self.category,
            "lead_id": self.lead_id,
        }


class CallService:
    def __init__(self, sessions: sessionmaker, leads: LeadService, clock: Callable = utcnow) -> None:
        self._sessions = sessions
        self._leads = leads
        self._clock = clock

    # Every method takes the staff member acting: a call belongs to the region of whoever started it
    # (bot/access.py), and another region's call is refused (403) like another region's lead.
    def start(self, call_id: str, operator: str, *, staff: Staff) -> Call:
        """Idempotent: starting a call that exists returns it (if it is in the staff member's region)."""
        call_id, operator = _clean(call_id, "call_id", 100), _clean(operator, "operator", 100)
        try:
            with self._sessions.begin() as session:
                session.execute(
                    insert(calls).values(
                        call_id=call_id,
                        operator=operator,
                        region=staff.region,
                        state=assist.new_call(),
                        started_at=self._clock(),
                    )
                )
        except IntegrityError:
            pass
        return self.get(call_id, staff=staff)

    def get(self, call_id: str, *, staff: Staff) -> Call:
        call_id = _clean(call_id, "call_id", 100)
        with self._sessions() as session:
            row = session.execute(select(calls).where(calls.c.call_id == call_id)).mappings().first()
        if row is None:
            raise CallNotFound(f"no call {call_id!r}")
        confine(staff, row["region"], f"call {call_id!r}")
        return Call(**row)

    def hear(self, call_id: str, seq: int, speaker: str, text: str, *, staff: Staff) -> assist.Assistance:
        """One utterance. A resent utterance (same seq) is not heard twice: the assistance is computed
        from the state as it stands, without changing it."""
        if speaker not in SPEAKERS:
            raise CallError(f"speaker must be one of {SPEAKERS}", "说话人只能是来电人（caller）或话务员（operator）")
        if isinstance(seq, bool) or not isinstance(seq, int) or not 0 <= seq <= INT4_MAX:
            raise CallError("seq must be an integer from 0 to 2147483647", "seq 应为非负整数")
        call_id, text = _clean(call_id, "call_id", 100), _clean(text, "text", 2000)
        with self._sessions.begin() as session:
            row = session.execute(select(calls).where(calls.c.call_id == call_id).with_for_update()).mappings().first()
            if row is None:
                raise CallNotFound(f"no call {call_id!r}")
            confine(staff, row["region"], f"call {call_id!r}")
            if row["ended_at"] is not None:
                raise CallEnded(f"call {call_id!r} has ended")
            seen = session.execute(
                select(call_utterances.c.id).where(
                    call_utterances.c.call_ref == row["id"], call_utterances.c.seq == seq
                )
            ).first()
            state, assistance = assist.hear(row["state"], speaker, text)
            if speaker == "caller":
                # What the operator page shows until the caller says the next thing.
                state["assistance"] = assistance.to_dict()
            if seen is None:
                session.execute(
                    insert(call_utterances).values(
                        call_ref=row["id"], seq=seq, speaker=speaker, text=mask_pii(text), at=self._clock()
                    )
                )
                session.execute(update(calls).where(calls.c.id == row["id"]).values(state=state))
        return assistance

    def transcript(self, call: Call, last: int = 50) -> List[Dict[str, Any]]:
        """The call's latest utterances, oldest first (as stored: masked)."""
        with self._sessions() as session:
            rows = (
                session.execute(
                    select(call_utterances.c.seq, call_utterances.c.speaker, call_utterances.c.text)
                    .where(call_utterances.c.call_ref == call.id)
                    .order_by(call_utterances.c.seq.desc())
                    .limit(last)
                )
                .mappings()
                .all()
            )
        return [dict(r) for r in reversed(rows)]

    def recent(self, *, staff: Staff, limit: int = 50) -> List[Call]:
        """The staff member's region's calls: still going first, then the latest ended ones."""
        with self._sessions() as session:
            rows = (
                session.execute(
                    select(calls)
                    .where(visible(calls.c.region, staff))
                    .order_by(calls.c.ended_at.is_not(None), calls.c.started_at.desc())
                    .limit(limit)
                )
                .mappings()
                .all()
            )
        return [Call(**row) for row in rows]

    def end(self, call_id: str, *, staff: Staff) -> Call:
        """End the call with a suggested summary and ticket category (kept if already edited)."""
        call = self.get(call_id, staff=staff)
        if call.ended_at is None:
            suggested = assist.summarise(call.state)
            with self._sessions.begin() as session:
                session.execute(
                    update(calls)
                    .where(calls.c.id == call.id, calls.c.ended_at.is_(None))
                    .values(
                        ended_at=self._clock(),
                        summary=mask_pii(suggested["summary"]),  # a summary is free text kept without consent
                        category=suggested["category"],
                    )
                )
        return self.get(call_id, staff=staff)

    def edit(
        self, call_id: str, summary: Optional[str] = None, category: Optional[str] = None, *, staff: Staff
    ) -> Call:
        call = self.get(call_id, staff=staff)
        values = {
            k: mask_pii(_clean(v, k, limit))
            for k, v, limit in (("summary", summary, 2000), ("category", category, 100))
            if v is not None
        }
        if values:
            with self._sessions.begin() as session:
                session.execute(update(calls).where(calls.c.id == call.id).values(**values))
        return self.get(call_id, staff=staff)

    def file_lead(self, call_id: str, overrides: Dict[str, Any], *, staff: Staff) -> int:
        """The call's lead draft, with the operator's changes, into the warning queue; once per call.

        The lead's region must be the operator's own, or unknown (000000, for an admin to route)."""
        call = self.get(call_id, staff=staff)
        if call.lead_id is not None:  # filed already: a second click (even with edited fields) gets that lead
            return call.lead_id
        given = {k: v for k, v in overrides.items() if v is not None}
        heard = assist.lead_draft(call.state) or {}
        draft = intake.draft_lead(
            intake.HOTLINE,
            call_id,
            emergency=assist.detected(call.state),
            cause=given.get("cause"),
            severity=given.get("severity"),
            description=given.get("description") or heard.get("description") or call.summary,
            region=given.get("region") or heard.get("region"),
            place=given.get("place"),
            contact=given.get("contact"),
            consent=given.get("consent", False),
            screening=_with_household(given.get("screening"), call.state, given.get("consent", False)),
            suggested_handling=given.get("suggested_handling"),
        )
        if draft.region != intake.UNKNOWN_REGION:
            confine(staff, draft.region, "a new lead")
        lead_id = self._leads.file(draft).lead_id
        with self._sessions.begin() as session:
            session.execute(update(calls).where(calls.c.id == call.id).values(lead_id=lead_id))
        return lead_id


def _with_household(screening, state, consent) -> Optional[dict]:
    """With the caller's consent, the lead keeps the household facts heard, so that it is re-screened when
    a standard changes (bot.standards.rescreen)."""
    household = (state or {}).get("household") or {}
    if consent is not True or not household.get("region"):
        return screening
    kept = dict(screening) if isinstance(screening, dict) else {}
    kept.setdefault("household", dict(household))
    return kept
