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
from bot.inputs import MAX_TEXT, InputRefused, clean_text, parse_id
from bot.knowledge import rules as knowledge_rules
from bot.leads.access import confine, may_see, visible
from bot.leads.draft import Contact, LeadDraft
from bot.leads.household import household_key
from bot.leads.model import (
    DEPARTMENTS,
    KIND_GROUPS,
    OPEN_STATES,
    SEVERITY_RANK,
    TRANSITIONS,
    ClaimConflict,
    Handling,
    IdempotencyConflict,
    InvalidLead,
    Lead,
    LeadEvent,
    LeadNotFound,
    LeadState,
    Severity,
    Staff,
    TransitionRefused,
    kinds_in_group,
    more_severe,
)
from bot.leads.tables import lead_events, leads
from bot.notify.outbox import default_outbox
from bot.privacy import mask_pii


@lru_cache(maxsize=1)
def due_hours() -> dict:
    """Severity → hours to act, from knowledge/rules/queue.yaml (read and validated by bot.knowledge)."""
    return {Severity(name): hours for name, hours in knowledge_rules.due_hours().items()}


# The lead this filer already filed under this key, and the household's open lead (NULL matches nothing).
_KEY_OR_OPEN_HOUSEHOLD = (
    select(leads)
    .where(
        or_(
            and_(leads.c.filer == bindparam("filer"), leads.c.idempotency_key == bindparam("key")),
            and_(
                leads.c.household_key == bindparam("household"),
                leads.c.state.in_(sorted(state.value for state in OPEN_STATES)),
            ),
        )
    )
    .order_by(leads.c.id)
)


def kind_filter(group: str):
    """Leads whose emergency kind is in this group; `other` also takes kinds no group names."""
    kinds = sorted(kinds_in_group(group))
    if group != "other":
        return leads.c.kind.in_(kinds)
    named = sorted(set(KIND_GROUPS) - set(kinds))
    return leads.c.kind.in_(kinds) | (leads.c.kind.is_not(None) & leads.c.kind.not_in(named))


class _Raced(Exception):
    """The household's open lead changed between our look-up and our update: look again."""


def _kept(text: Optional[str], consented: bool) -> Optional[str]:
    """Free text as stored: in full only with the person's consent, else with ID and phone numbers masked."""
    return text if consented or text is None else mask_pii(text)


def _kept_json(value, consented: bool):
    if consented or value is None:
        return value
    if isinstance(value, dict):
        return {k: _kept_json(v, consented) for k, v in value.items()}
    if isinstance(value, list):
        return [_kept_json(v, consented) for v in value]
    return mask_pii(value) if isinstance(value, str) else value


def _clean(value, field: str, max_length: int = MAX_TEXT) -> str:
    try:
        return clean_text(value, max_length=max_length)
    except InputRefused as refused:
        raise InvalidLead(f"{field}: {refused}", f"{refused.message_zh}（{field}）") from None


@dataclass
class Filed:
    lead: Lead
    created: bool  # False: this key was filed before, the same lead is returned
    merged_into: Optional[int] = None  # the household's open lead this one was linked to

    @property
    def lead_id(self) -> int:
        """The lead staff work on: the household's open lead when this report was linked to it."""
        return self.merged_into or self.lead.id


_FROM_SETTINGS = object()


class LeadService:
    def __init__(
        self, sessions: sessionmaker, household_secret: bytes, clock: Callable = utcnow, outbox=_FROM_SETTINGS
    ) -> None:
        """`outbox` (bot.notify.outbox.Outbox) is told of every lead filed, in the filing's transaction;
        by default the one the settings' notification routes describe, None for no notifications."""
        self._sessions = sessions
        self._secret = household_secret
        self._clock = clock
        self._outbox = default_outbox() if outbox is _FROM_SETTINGS else outbox

    def now(self):
        return self._clock()

    @property
    def sessions(self) -> sessionmaker:
        """The database the queue lives in (the dashboard and the transcripts read the same one)."""
        return self._sessions

    # --- filing ----------------------------------------------------------------------------------
    def file(self, draft: LeadDraft, filer: Optional[Staff] = None) -> Filed:
        """File a lead once per (filer, idempotency key). Committed before this returns.

        `filer`: the staff member filing through the API, confined to their region; None for a channel
        (WeChat, the hotline, the chat), whose leads may come from anywhere.
        """
        if filer is not None:
            confine(filer, draft.region, "a new lead")
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
        # our insert; the unique indexes refuse us (or our conditional update finds the household's lead
        # moved on), and the next attempt finds the winner's lead.
        # A connection the database dropped (a restart) is replaced by the pool; one more try.
        for attempt in range(1, 4):
            try:
                return self._file_once(draft, key, filer)
            except (IntegrityError, _Raced):
                if attempt == 3:
                    raise
            except DBAPIError as error:
                if not error.connection_invalidated or attempt == 3:
                    raise
        raise AssertionError("unreachable")

    def _file_once(self, draft: LeadDraft, key: Optional[str], filer: Optional[Staff]) -> Filed:
        # Core statements, one look-up and two inserts: filing is the hot path of the queue.
        now = self._clock()
        contact = draft.contact
        consented = bool(draft.consent and contact is not None)
        identity = f"staff:{filer.id}" if filer is not None else draft.source_channel.value
        fingerprint = draft.fingerprint()
        values = dict(
            filer=identity,
            idempotency_key=draft.idempotency_key,
            draft_hash=fingerprint,
            source_channel=draft.source_channel,
            conversation_id=draft.conversation_id,
            cause=draft.cause,
            kind=draft.kind,
            severity=draft.severity,
            description=_kept(draft.description, consented),
            region=draft.region,
            place=_kept(draft.place, consented),
            contact_name=contact.name if consented else None,
            contact_phone=contact.phone if consented else None,
            contact_address=contact.address if consented else None,
            consent_at=now if consented and not contact.is_empty() else None,
            household_key=key,
            screening=_kept_json(draft.screening, consented),
            suggested_handling=draft.suggested_handling,
            state=LeadState.new,
            created_at=now,
            updated_at=now,
            due_at=now + timedelta(hours=due_hours()[draft.severity]),
        )
        with self._sessions.begin() as session:
            rows = (
                session.execute(
                    _KEY_OR_OPEN_HOUSEHOLD, {"filer": identity, "key": draft.idempotency_key, "household": key}
                )
                .mappings()
                .all()
            )
            for row in rows:
                if row["filer"] == identity and row["idempotency_key"] == draft.idempotency_key:
                    if row["draft_hash"] is not None and row["draft_hash"] != fingerprint:
                        raise IdempotencyConflict(f"key {draft.idempotency_key!r} was used for a different filing")
                    return Filed(Lead(**row), created=False, merged_into=row["merged_into_id"])  # a retry
            household_lead = rows[0] if rows else None
            if household_lead is not None and filer is not None and not may_see(filer, household_lead["region"]):
                # The household's open lead is in a region this filer may not see: linking would reveal
                # it (merged_into) and change it. This report stands alone, outside the household's chain.
                household_lead = None
                values["household_key"] = None
            if household_lead is not None:
                values["state"] = LeadState.merged
                values["merged_into_id"] = household_lead["id"]
                self._link(session, household_lead, draft.severity, draft.kind, now)
            lead_id = session.execute(insert(leads), values).inserted_primary_key[0]
            actor = draft.source_channel.value if filer is None else identity
            events = [
                dict(
                    lead_id=lead_id,
                    at=now,
                    actor=actor,
                    kind="filed",
                    from_state=None,
                    to_state=values["state"],
                    note=values["description"][:200],
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
            if self._outbox is not None:  # the notification commits with the lead, or neither does
                self._outbox.enqueue(
                    session, lead_id=lead_id, region=draft.region, severity=values["severity"], now=now
                )
        return Filed(Lead(id=lead_id, **values), created=True, merged_into=values.get("merged_into_id"))

    def add_contact(self, source_channel: str, idempotency_key: str, phone: str) -> Lead:
        """The resident agreed after the lead was filed without contact (“还是留个电话吧”): the phone is
        added, with consent, to the lead their channel filed under this key, and the history says so.

        Only that channel's own lead (the key is scoped to its filer), only while it has no phone and is
        still open. The household key is set too, unless the household already has another open lead
        (then that lead stays the household's one; both remain for staff to merge).
        """
        draft_contact = Contact(phone=phone)  # validated like any filing's contact
        now = self._clock()
        with self._sessions.begin() as session:
            row = (
                session.execute(
                    select(leads).where(leads.c.filer == source_channel, leads.c.idempotency_key == idempotency_key)
                )
                .mappings()
                .first()
            )
            if row is None:
                raise LeadNotFound(f"no lead filed by {source_channel} under {idempotency_key!r}")
            if row["contact_phone"] or LeadState(row["state"]) not in OPEN_STATES:
                return Lead(**row)
            key = household_key(self._secret, phone=draft_contact.phone, region=row["region"])
            taken = session.execute(
                select(leads.c.id).where(
                    leads.c.household_key == key,
                    leads.c.state.in_(sorted(state.value for state in OPEN_STATES)),
                    leads.c.id != row["id"],
                )
            ).first()
            values = dict(contact_phone=draft_contact.phone, consent_at=now, updated_at=now)
            if taken is None:
                values["household_key"] = key
            session.execute(update(leads).where(leads.c.id == row["id"]).values(**values))
            session.execute(
                insert(lead_events),
                [
                    dict(
                        lead_id=row["id"],
                        at=now,
                        actor=source_channel,
                        kind="contact_added",
                        from_state=row["state"],
                        to_state=row["state"],
                        note="居民同意留下联系电话",
                    )
                ],
            )
            return Lead(**{**row, **values})

    @staticmethod
    def _link(session: Session, lead, severity: Severity, kind: Optional[str], now) -> None:
        """Touch the household's open lead, still in the state we read (else _Raced); a more severe
        report raises its severity, brings its due time forward and gives it its emergency kind."""
        values = {"updated_at": now}
        if kind is not None and lead["kind"] is None:
            values["kind"] = kind
        if more_severe(severity, lead["severity"]):
            values.update(severity=severity, due_at=min(lead["due_at"], now + timedelta(hours=due_hours()[severity])))
            if kind is not None:
                values["kind"] = kind
        result = session.execute(
            update(leads).where(leads.c.id == lead["id"], leads.c.state == lead["state"]).values(**values)
        )
        if result.rowcount != 1:
            raise _Raced()

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
        kind: Optional[str] = None,
        severity: Optional[Severity] = None,
        region: Optional[str] = None,
        overdue: Optional[bool] = None,
        limit: int = 200,
    ) -> List[Lead]:
        query = select(Lead)
        query = query.where(visible(leads.c.region, staff))
        if states:
            query = query.where(leads.c.state.in_([s.value for s in states]))
        if cause is not None:
            query = query.where(leads.c.cause == cause)
        if kind is not None:  # a group of kinds (KIND_GROUP_NAMES)
            query = query.where(kind_filter(kind))
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
    # Every change of state is an update conditional on the state we read (`_move`): of two staff acting
    # at once exactly one wins, the other gets ClaimConflict (409), and the history's from_state is true.
    @staticmethod
    def _move(session: Session, lead_id: int, expected: LeadState, **values) -> None:
        result = session.execute(
            update(leads)
            .where(leads.c.id == lead_id, leads.c.state == expected.value)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            raise ClaimConflict(f"lead {lead_id} is no longer {expected.value}")

    def claim(self, lead_id: int, staff: Staff) -> Lead:
        now = self._clock()
        with self._sessions.begin() as session:
            self._visible(session, lead_id, staff)
            self._move(
                session, lead_id, LeadState.new, state=LeadState.claimed.value, claimed_by_id=staff.id, updated_at=now
            )
            session.add(LeadEvent(lead_id, now, f"staff:{staff.id}", "claimed", LeadState.new, LeadState.claimed, ""))
        return self._load(lead_id)

    def transition(
        self, lead_id: int, staff: Staff, to_state: LeadState, note: str = "", outcome: Optional[str] = None
    ) -> Lead:
        if to_state in (LeadState.merged,):
            raise TransitionRefused("use merge() to merge leads")
        note = _clean(note, "note")
        outcome = None if outcome is None else _clean(outcome, "outcome")
        if to_state is LeadState.resolved and not outcome:
            raise InvalidLead("resolving a lead needs its outcome", "办结时请填写办理结果")
        now = self._clock()
        with self._sessions.begin() as session:
            lead = self._visible(session, lead_id, staff)
            from_state = lead.state
            if to_state not in TRANSITIONS[from_state]:
                raise TransitionRefused(f"lead {lead_id}: {from_state.value} → {to_state.value} is not allowed")
            consented = lead.consent_at is not None
            values = {"state": to_state.value, "updated_at": now}
            if to_state is LeadState.resolved:
                values["outcome"] = _kept(outcome, consented)
            if to_state is LeadState.new:
                values["claimed_by_id"] = None
            try:
                self._move(session, lead_id, from_state, **values)
            except IntegrityError:  # reopening while the household has another open lead
                raise TransitionRefused(
                    f"lead {lead_id}: its household has another open lead",
                    "这个家庭已有一条正在办理的线索，请在那条线索上继续办理，或先将其办结",
                ) from None
            session.add(
                LeadEvent(lead_id, now, f"staff:{staff.id}", "transition", from_state, to_state, _kept(note, consented))
            )
        return self._load(lead_id)

    def refer(self, lead_id: int, staff: Staff, department: str, note: str = "") -> Lead:
        if department not in DEPARTMENTS:
            raise InvalidLead(
                f"unknown department {department!r:.40}; one of {', '.join(DEPARTMENTS)}", "请选择要推送的部门"
            )
        note = _clean(note, "note")
        now = self._clock()
        with self._sessions.begin() as session:
            lead = self._visible(session, lead_id, staff)
            if not lead.is_open:
                raise TransitionRefused(f"lead {lead_id} is {lead.state.value}; only open leads are referred")
            self._move(session, lead_id, lead.state, suggested_handling=Handling.refer.value, updated_at=now)
            note = _kept(note, lead.consent_at is not None)
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
        note = _clean(note, "note")
        now = self._clock()
        with self._sessions.begin() as session:
            lead = self._visible(session, lead_id, staff)
            target = self._visible(session, into_id, staff)
            if LeadState.merged not in TRANSITIONS[lead.state]:
                raise TransitionRefused(f"lead {lead_id} is {lead.state.value} and cannot be merged")
            if not target.is_open:
                raise TransitionRefused(f"lead {into_id} is {target.state.value}; merge into an open lead")
            from_state, target_state = lead.state, target.state
            # Both conditional: the lead must not have been claimed meanwhile, nor the target closed.
            self._move(
                session, lead_id, from_state, state=LeadState.merged.value, merged_into_id=into_id, updated_at=now
            )
            self._move(session, into_id, target_state, updated_at=now)
            actor = f"staff:{staff.id}"
            note = _kept(note, lead.consent_at is not None)
            session.add(
                LeadEvent(
                    lead_id, now, actor, "merged", from_state, LeadState.merged, f"并入 #{into_id}：{note}".rstrip("：")
                )
            )
            session.add(LeadEvent(into_id, now, actor, "linked", target_state, target_state, f"线索 #{lead_id} 已并入"))
        return self._load(lead_id)

    # --- helpers ---------------------------------------------------------------------------------
    @staticmethod
    def _visible(session: Session, lead_id: int, staff: Staff) -> Lead:
        if parse_id(lead_id) is None:  # beyond the id column: a 400, not a database error
            raise InvalidLead(f"{lead_id!r:.40} is not a lead id", "线索编号不正确")
        lead = session.get(Lead, lead_id)
        if lead is None:
            raise LeadNotFound(f"no lead {lead_id}")
        confine(staff, lead.region, f"lead {lead_id}")
        return lead

    def _load(self, lead_id: int) -> Lead:
        with self._sessions() as session:
            return session.get(Lead, lead_id)
