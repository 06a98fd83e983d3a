"""The warning queue: filing (idempotent, one chain per household), claiming (atomic), moving a lead
through its life cycle, referring and merging — each step recorded in the append-only history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import Callable, List, Optional, Tuple

from sqlalchemy import and_, bindparam, case, insert, or_, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.db import utcnow
from bot.knowledge import rules as knowledge_rules
from bot.leads.draft import LeadDraft
from bot.leads.household import household_key
from bot.leads.model import (
    DEPARTMENTS,
    OPEN_STATES,
    SEVERITY_RANK,
    TRANSITIONS,
    ClaimConflict,
    Forbidden,
    Handling,
    InvalidLead,
    Lead,
    LeadEvent,
    LeadNotFound,
    LeadState,
    Severity,
    Staff,
    TransitionRefused,
    more_severe,
)
from bot.leads.tables import lead_events, leads


@lru_cache(maxsize=1)
def due_hours() -> dict:
    """Severity → hours to act, from knowledge/rules/queue.yaml (read and validated by bot.knowledge)."""
    return {Severity(name): hours for name, hours in knowledge_rules.due_hours().items()}


# The lead already filed under this key, and the household's open lead (NULL matches nothing).
_KEY_OR_OPEN_HOUSEHOLD = (
    select(leads)
    .where(
        or_(
            leads.c.idempotency_key == bindparam("key"),
            and_(
                leads.c.household_key == bindparam("household"),
                leads.c.state.in_(sorted(state.value for state in OPEN_STATES)),
            ),
        )
    )
    .order_by(leads.c.id)
)


@dataclass
class Filed:
    lead: Lead
    created: bool  # False: this key was filed before, the same lead is returned
    merged_into: Optional[int] = None  # the household's open lead this one was linked to

    @property
    def lead_id(self) -> int:
        """The lead staff work on: the household's open lead when this report was linked to it."""
        return self.merged_into or self.lead.id


class LeadService:
    def __init__(self, sessions: sessionmaker, household_secret: bytes, clock: Callable = utcnow) -> None:
        self._sessions = sessions
        self._secret = household_secret
        self._clock = clock

    def now(self):
        return self._clock()

    # --- filing ----------------------------------------------------------------------------------
    def file(self, draft: LeadDraft) -> Filed:
        """File a lead once per idempotency key. Committed before this returns."""
        contact = draft.contact
        key = None
        if contact is not None:
            key = household_key(
                self._secret,
                id_number=contact.id_number,
                phone=contact.phone,
                region=draft.region,
                address=contact.address,
            )
        # A concurrent filer can take the key or open the household's lead between our look-up and
        # our insert; the unique indexes refuse us, and the next attempt finds the winner's lead.
        # A connection the database dropped (a restart) is replaced by the pool; one more try.
        for attempt in range(1, 4):
            try:
                return self._file_once(draft, key)
            except IntegrityError:
                if attempt == 3:
                    raise
            except DBAPIError as error:
                if not error.connection_invalidated or attempt == 3:
                    raise
        raise AssertionError("unreachable")

    def _file_once(self, draft: LeadDraft, key: Optional[str]) -> Filed:
        # Core statements, one look-up and two inserts: filing is the hot path of the queue.
        now = self._clock()
        contact = draft.contact
        consented = bool(draft.consent and contact is not None)
        values = dict(
            idempotency_key=draft.idempotency_key,
            source_channel=draft.source_channel,
            conversation_id=draft.conversation_id,
            cause=draft.cause,
            severity=draft.severity,
            description=draft.description,
            region=draft.region,
            place=draft.place,
            contact_name=contact.name if consented else None,
            contact_phone=contact.phone if consented else None,
            contact_address=contact.address if consented else None,
            consent_at=now if consented and not contact.is_empty() else None,
            household_key=key,
            screening=draft.screening,
            suggested_handling=draft.suggested_handling,
            state=LeadState.new,
            created_at=now,
            updated_at=now,
            due_at=now + timedelta(hours=due_hours()[draft.severity]),
        )
        with self._sessions.begin() as session:
            rows = (
                session.execute(_KEY_OR_OPEN_HOUSEHOLD, {"key": draft.idempotency_key, "household": key})
                .mappings()
                .all()
            )
            for row in rows:
                if row["idempotency_key"] == draft.idempotency_key:  # a retry: answer with what was filed then
                    return Filed(Lead(**row), created=False, merged_into=row["merged_into_id"])
            household_lead = rows[0] if rows else None
            if household_lead is not None:
                values["state"] = LeadState.merged
                values["merged_into_id"] = household_lead["id"]
                self._escalate(session, household_lead, draft.severity, now)
            lead_id = session.execute(insert(leads), values).inserted_primary_key[0]
            actor = draft.source_channel.value
            events = [
                dict(
                    lead_id=lead_id,
                    at=now,
                    actor=actor,
                    kind="filed",
                    from_state=None,
                    to_state=values["state"],
                    note=draft.description[:200],
                )
            ]
            if household_lead is not None:
                state = household_lead["state"]
                events.append(
                    dict(
                        lead_id=household_lead["id"],
                        at=now,
                        actor=actor,
                        kind="linked",
                        from_state=state,
                        to_state=state,
                        note=f"同一家庭的新线索 #{lead_id} 已并入本线索",
                    )
                )
            session.execute(insert(lead_events), events)
        return Filed(Lead(id=lead_id, **values), created=True, merged_into=values.get("merged_into_id"))

    @staticmethod
    def _escalate(session: Session, lead, severity: Severity, now) -> None:
        """A more severe report on the household's open lead raises its severity and its due time."""
        if more_severe(severity, lead["severity"]):
            due_at = min(lead["due_at"], now + timedelta(hours=due_hours()[severity]))
            session.execute(
                update(leads).where(leads.c.id == lead["id"]).values(severity=severity, due_at=due_at, updated_at=now)
            )

    # --- reading ---------------------------------------------------------------------------------
    def get(self, lead_id: int, staff: Staff) -> Tuple[Lead, List[LeadEvent]]:
        with self._sessions() as session:
            lead = self._visible(session, lead_id, staff)
            events = list(
                session.scalars(select(LeadEvent).where(lead_events.c.lead_id == lead_id).order_by(lead_events.c.id))
            )
            return lead, events

    def list(
        self,
        staff: Staff,
        *,
        states: Optional[List[LeadState]] = None,
        cause=None,
        severity: Optional[Severity] = None,
        region: Optional[str] = None,
        overdue: Optional[bool] = None,
        limit: int = 200,
    ) -> List[Lead]:
        query = select(Lead)
        if staff.role.value != "admin":
            query = query.where(leads.c.region.startswith(staff.region, autoescape=True))
        if states:
            query = query.where(leads.c.state.in_([s.value for s in states]))
        if cause is not None:
            query = query.where(leads.c.cause == cause)
        if severity is not None:
            query = query.where(leads.c.severity == severity)
        if region:
            query = query.where(leads.c.region.startswith(region, autoescape=True))
        if overdue is not None:
            now = self._clock()
            open_values = [s.value for s in OPEN_STATES]
            query = query.where(
                (leads.c.due_at < now) & leads.c.state.in_(open_values)
                if overdue
                else ~((leads.c.due_at < now) & leads.c.state.in_(open_values))
            )
        # Ordered in the database, so a limit never cuts off a more urgent lead.
        rank = case({s.value: r for s, r in SEVERITY_RANK.items()}, value=leads.c.severity)
        with self._sessions() as session:
            return list(session.scalars(query.order_by(rank, leads.c.due_at, leads.c.id).limit(limit)))

    # --- working a lead --------------------------------------------------------------------------
    def claim(self, lead_id: int, staff: Staff) -> Lead:
        """Atomic: of two staff claiming at once, exactly one wins (a conditional update)."""
        now = self._clock()
        with self._sessions.begin() as session:
            self._visible(session, lead_id, staff)
            result = session.execute(
                update(leads)
                .where(leads.c.id == lead_id, leads.c.state == LeadState.new.value)
                .values(state=LeadState.claimed.value, claimed_by_id=staff.id, updated_at=now)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount != 1:
                raise ClaimConflict(f"lead {lead_id} is no longer new")
            session.add(LeadEvent(lead_id, now, f"staff:{staff.id}", "claimed", LeadState.new, LeadState.claimed, ""))
        return self._load(lead_id)

    def transition(
        self, lead_id: int, staff: Staff, to_state: LeadState, note: str = "", outcome: Optional[str] = None
    ) -> Lead:
        if to_state in (LeadState.merged,):
            raise TransitionRefused("use merge() to merge leads")
        if to_state is LeadState.resolved and not (outcome or "").strip():
            raise InvalidLead("resolving a lead needs its outcome", "办结时请填写办理结果")
        now = self._clock()
        with self._sessions.begin() as session:
            lead = self._visible(session, lead_id, staff)
            from_state = lead.state
            if to_state not in TRANSITIONS[from_state]:
                raise TransitionRefused(f"lead {lead_id}: {from_state.value} → {to_state.value} is not allowed")
            values = {"state": to_state.value, "updated_at": now}
            if to_state is LeadState.resolved:
                values["outcome"] = outcome.strip()
            if to_state is LeadState.new:
                values["claimed_by_id"] = None
            # Conditional on the state we read: a concurrent change makes this one fail, not overwrite.
            try:
                result = session.execute(
                    update(leads)
                    .where(leads.c.id == lead_id, leads.c.state == from_state.value)
                    .values(**values)
                    .execution_options(synchronize_session=False)
                )
            except IntegrityError:  # reopening while the household has another open lead
                raise TransitionRefused(
                    f"lead {lead_id}: its household has another open lead",
                    "这个家庭已有一条正在办理的线索，请在那条线索上继续办理，或先将其办结",
                ) from None
            if result.rowcount != 1:
                raise ClaimConflict(f"lead {lead_id} changed while you were working on it")
            session.add(LeadEvent(lead_id, now, f"staff:{staff.id}", "transition", from_state, to_state, note))
        return self._load(lead_id)

    def refer(self, lead_id: int, staff: Staff, department: str, note: str = "") -> Lead:
        if department not in DEPARTMENTS:
            raise InvalidLead(
                f"unknown department {department!r}; one of {', '.join(DEPARTMENTS)}", "请选择要推送的部门"
            )
        now = self._clock()
        with self._sessions.begin() as session:
            lead = self._visible(session, lead_id, staff)
            if not lead.is_open:
                raise TransitionRefused(f"lead {lead_id} is {lead.state.value}; only open leads are referred")
            lead.suggested_handling = Handling.refer
            lead.updated_at = now
            session.add(
                LeadEvent(
                    lead_id,
                    now,
                    f"staff:{staff.id}",
                    "referred",
                    lead.state,
                    lead.state,
                    f"推送{department}部门：{note}".rstrip("："),
                ),
            )
        return self._load(lead_id)

    def merge(self, lead_id: int, into_id: int, staff: Staff, note: str = "") -> Lead:
        if lead_id == into_id:
            raise TransitionRefused("a lead cannot be merged into itself")
        now = self._clock()
        with self._sessions.begin() as session:
            lead = self._visible(session, lead_id, staff)
            target = self._visible(session, into_id, staff)
            if LeadState.merged not in TRANSITIONS[lead.state]:
                raise TransitionRefused(f"lead {lead_id} is {lead.state.value} and cannot be merged")
            if not target.is_open:
                raise TransitionRefused(f"lead {into_id} is {target.state.value}; merge into an open lead")
            from_state = lead.state
            lead.state = LeadState.merged
            lead.merged_into_id = into_id
            lead.updated_at = now
            actor = f"staff:{staff.id}"
            session.add(
                LeadEvent(
                    lead_id, now, actor, "merged", from_state, LeadState.merged, f"并入 #{into_id}：{note}".rstrip("：")
                )
            )
            session.add(LeadEvent(into_id, now, actor, "linked", target.state, target.state, f"线索 #{lead_id} 已并入"))
        return self._load(lead_id)

    # --- helpers ---------------------------------------------------------------------------------
    @staticmethod
    def _visible(session: Session, lead_id: int, staff: Staff) -> Lead:
        lead = session.get(Lead, lead_id)
        if lead is None:
            raise LeadNotFound(f"no lead {lead_id}")
        if not staff.can_see(lead.region):
            raise Forbidden(f"staff {staff.id} ({staff.region}) may not see lead {lead_id} ({lead.region})")
        return lead

    def _load(self, lead_id: int) -> Lead:
        with self._sessions() as session:
            return session.get(Lead, lead_id)
