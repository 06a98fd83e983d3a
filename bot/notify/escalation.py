"""Escalation by due time (knowledge/rules/queue.yaml `escalation`): a lead still not claimed / not
visited that long after filing escalates to the county supervisor — an entry in its history and a
notification in the same transaction — once per step. The step's row in lead_escalations (primary key
lead + step) makes that hold across restarts and across instances running at once.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from typing import Callable, Dict, FrozenSet, Optional
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from bot.db import utcnow
from bot.knowledge import rules as knowledge_rules
from bot.knowledge.rules import BusinessHours
from bot.leads.model import LeadState, Severity
from bot.leads.tables import lead_events, leads
from bot.notify.message import STEP_NAMES
from bot.notify.outbox import ESCALATED, Outbox
from bot.notify.tables import lead_escalations

logger = logging.getLogger("jiuzhu.notify")
ACTOR = "system:escalation"
# The states a lead is still in while the step's `until` is not reached.
BEFORE: Dict[str, FrozenSet[LeadState]] = {
    "claimed": frozenset({LeadState.new}),
    "visiting": frozenset({LeadState.new, LeadState.claimed}),
}


def add_business_hours(start: datetime, hours: float, business: BusinessHours) -> datetime:
    """The moment `hours` of business time have passed since `start` (holidays are not known)."""
    zone = ZoneInfo(business.timezone)
    opens, closes = (time.fromisoformat(business.start), time.fromisoformat(business.end))
    left = timedelta(hours=hours)
    cursor = start.astimezone(zone)
    for _ in range(366 * 2):
        day = cursor.date()
        if day.isoweekday() in business.weekdays:
            window_start = datetime.combine(day, opens, zone)
            window_end = datetime.combine(day, closes, zone)
            begin = max(cursor, window_start)
            if begin < window_end:
                if begin + left <= window_end:
                    return (begin + left).astimezone(start.tzinfo)
                left -= window_end - begin
        cursor = datetime.combine(day + timedelta(days=1), time(0), zone)
    raise ValueError("business hours never add up to the step's hours")


class Escalator:
    def __init__(self, sessions: sessionmaker, outbox: Optional[Outbox], clock: Callable[[], datetime] = utcnow):
        self._sessions = sessions
        self._outbox = outbox
        self._clock = clock

    def deadline(self, step_name: str, severity: Severity, filed_at: datetime) -> datetime:
        steps, business = knowledge_rules.escalation()
        hours = steps[step_name].hours[Severity(severity).value]
        if hours.clock == "business":
            return add_business_hours(filed_at, hours.value, business)
        return filed_at + timedelta(hours=hours.value)

    def run_once(self) -> int:
        """Escalate every lead whose step is due and not yet taken; the number escalated now."""
        steps, _ = knowledge_rules.escalation()
        now = self._clock()
        done = 0
        for name, step in steps.items():
            states = sorted(s.value for s in BEFORE[step.until])
            # Business time is never faster than the wall clock: the shortest wall time bounds the query.
            soonest = min(h.value for h in step.hours.values())
            taken = exists().where(and_(lead_escalations.c.lead_id == leads.c.id, lead_escalations.c.step == name))
            query = (
                select(leads.c.id, leads.c.severity, leads.c.created_at)
                .where(leads.c.state.in_(states), leads.c.created_at <= now - timedelta(hours=soonest), ~taken)
                .order_by(leads.c.id)
            )
            with self._sessions() as session:
                candidates = session.execute(query).all()
            for lead_id, severity, filed_at in candidates:
                if self.deadline(name, severity, filed_at) <= now and self._escalate(lead_id, name, states, now):
                    done += 1
        return done

    def _escalate(self, lead_id: int, step: str, states, now: datetime) -> bool:
        try:
            with self._sessions.begin() as session:
                # The lead must still be short of the step (claimed meanwhile: nothing to do). The no-op
                # update also locks the row, so a claim at this moment waits for us or we see its result.
                still = session.execute(
                    update(leads)
                    .where(leads.c.id == lead_id, leads.c.state.in_(states))
                    .values(updated_at=leads.c.updated_at)
                    .execution_options(synchronize_session=False)
                ).rowcount
                if still != 1:
                    return False
                session.execute(insert(lead_escalations).values(lead_id=lead_id, step=step, at=now))
                lead = session.execute(
                    select(leads.c.state, leads.c.region, leads.c.severity).where(leads.c.id == lead_id)
                ).one()
                routed = 0
                if self._outbox is not None:
                    routed = self._outbox.enqueue(
                        session,
                        lead_id=lead_id,
                        region=lead.region,
                        severity=lead.severity,
                        now=now,
                        event=ESCALATED,
                        step=step,
                    )
                note = f"{STEP_NAMES.get(step, step)}，已升级至县级督办" + ("" if routed else "（未配置督办通知渠道）")
                session.execute(
                    insert(lead_events).values(
                        lead_id=lead_id,
                        at=now,
                        actor=ACTOR,
                        kind="escalated",
                        from_state=lead.state,
                        to_state=lead.state,
                        note=note,
                    )
                )
        except IntegrityError:  # another instance took this step first
            return False
        logger.info("lead %s escalated (%s)", lead_id, step)
        return True
