"""The sender: claims due outbox rows under a lease, delivers them, records every attempt, marks each
row sent once.

Claiming is one transaction: PostgreSQL locks the rows it picks with FOR UPDATE SKIP LOCKED (two senders
never pick the same row and never wait for each other); SQLite, which has one writer at a time, takes
them with one conditional UPDATE. The claim writes a lease (a token and an expiry): a sender killed
mid-send leaves its rows leased until the expiry, then another takes them — nothing is lost, and a
message the receiving server took just before the crash is sent a second time (at most once more per
crash). A sender never starts a send its lease would not outlast, and marks a row sent only while it
still holds the lease.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
import time
import uuid
from collections import defaultdict, deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Deque, Dict, List, Optional, Sequence, Tuple

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import sessionmaker

from bot.db import utcnow
from bot.leads.model import Cause, LeadState, Severity
from bot.leads.tables import leads
from bot.notify.adapters import DeliveryFailed
from bot.notify.message import Item, render
from bot.notify.tables import PENDING, SENT, notification_attempts, notification_outbox
from bot.settings import NotifyRoute

logger = logging.getLogger("jiuzhu.notify")

URGENT_RESERVE = 4  # of a route's messages a minute, kept for life-threatening leads


@dataclass(frozen=True)
class Claimed:
    item: Item
    route: str
    channel: str
    recipient: str
    attempts: int


class Sender:
    def __init__(
        self,
        sessions: sessionmaker,
        routes: Sequence[NotifyRoute],
        adapters: Dict[str, object],
        *,
        console_url: Optional[str] = None,
        lease_seconds: float = 60,
        send_timeout: float = 10,
        retry_base: float = 5,
        retry_max: float = 600,
        per_minute: int = 20,
        batch: int = 100,
        clock: Callable[[], datetime] = utcnow,
        name: Optional[str] = None,
    ) -> None:
        self._sessions = sessions
        self._postgres = sessions.kw["bind"].dialect.name == "postgresql"
        self.routes = {route.name: route for route in routes}
        self._adapters = adapters
        self._console_url = console_url
        self._lease = timedelta(seconds=lease_seconds)
        self._send_timeout = send_timeout
        self._retry_base = retry_base
        self._retry_max = retry_max
        self._per_minute = per_minute
        self._batch = batch
        self._clock = clock
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self._sent_at: Dict[str, Deque[float]] = defaultdict(deque)

    # --- the database side (synchronous; run in a thread) ---------------------------------------
    def claim(self) -> Tuple[str, datetime, List[Claimed]]:
        now = self._clock()
        token = uuid.uuid4().hex
        lease_until = now + self._lease
        o = notification_outbox
        due = and_(o.c.state == PENDING, o.c.not_before <= now, or_(o.c.lease_until.is_(None), o.c.lease_until < now))
        pick = select(o.c.id).where(due).order_by(o.c.urgent.desc(), o.c.id).limit(self._batch)
        lease = dict(lease_token=token, lease_until=lease_until)
        with self._sessions.begin() as session:
            if self._postgres:
                ids = session.scalars(pick.with_for_update(skip_locked=True)).all()
                if ids:
                    session.execute(update(o).where(o.c.id.in_(ids)).values(**lease))
            else:  # one writer at a time: the condition is checked and the lease written as one step
                session.execute(update(o).where(o.c.id.in_(pick.scalar_subquery()), due).values(**lease))
            rows = session.execute(
                select(o, leads).join(leads, leads.c.id == o.c.lead_id).where(o.c.lease_token == token)
            ).all()
        return token, lease_until, [self._claimed(row._mapping) for row in rows]

    @staticmethod
    def _claimed(row) -> Claimed:
        o, lead = notification_outbox.c, leads.c
        item = Item(
            outbox_id=row[o.id],
            lead_id=row[o.lead_id],
            event=row[o.event],
            step=row[o.step],
            urgent=row[o.urgent],
            severity=Severity(row[lead.severity]),
            cause=Cause(row[lead.cause]),
            state=LeadState(row[lead.state]),
            region=row[lead.region],
            place=row[lead.place],
            description=row[lead.description],
            due_at=row[lead.due_at],
            contact_name=row[lead.contact_name],
            contact_phone=row[lead.contact_phone],
        )
        return Claimed(item, row[o.route], row[o.channel], row[o.recipient], row[o.attempts])

    def settle(self, token: str, rows: Sequence[Claimed], message: str, error: Optional[str]) -> None:
        """Record the attempt on each row; sent, or due again after the backoff."""
        now = self._clock()
        o = notification_outbox
        ids = [row.item.outbox_id for row in rows]
        values = dict(attempts=o.c.attempts + 1, lease_token=None, lease_until=None)
        if error is None:
            values.update(state=SENT, sent_at=now, last_error=None)
        else:
            values.update(not_before=now + self._backoff(max(row.attempts for row in rows) + 1), last_error=error)
        with self._sessions.begin() as session:
            done = session.execute(update(o).where(o.c.id.in_(ids), o.c.lease_token == token).values(**values)).rowcount
            session.execute(
                insert(notification_attempts),
                [
                    dict(outbox_id=i, at=now, sender=self.name, message=message, ok=error is None, error=error)
                    for i in ids
                ],
            )
        if done != len(ids):
            logger.warning("lease on %d row(s) lost before they were marked: they may be sent again", len(ids) - done)

    def release(self, token: str, rows: Sequence[Claimed], not_before: datetime) -> None:
        """Give rows back unattempted (the route is throttled or failing, or the lease is running out)."""
        o = notification_outbox
        ids = [row.item.outbox_id for row in rows]
        with self._sessions.begin() as session:
            session.execute(
                update(o)
                .where(o.c.id.in_(ids), o.c.lease_token == token)
                .values(lease_token=None, lease_until=None, not_before=not_before)
            )

    def _backoff(self, attempt: int) -> timedelta:
        seconds = min(self._retry_max, self._retry_base * 2 ** (attempt - 1))
        return timedelta(seconds=seconds * random.uniform(0.8, 1.0))  # spread retries after an outage

    # --- sending ----------------------------------------------------------------------------------
    async def tick(self) -> int:
        """Claim what is due and deliver it; the number of messages the receiving servers took."""
        token, lease_until, rows = await asyncio.to_thread(self.claim)
        if not rows:
            return 0
        groups: Dict[Tuple[str, str], List[Claimed]] = defaultdict(list)
        for row in rows:
            groups[(row.route, row.recipient)].append(row)
        # Routes in parallel (one region's burst never waits behind another's), each route in order.
        sent = await asyncio.gather(*(self._deliver(token, lease_until, g) for g in groups.values()))
        return sum(sent)

    def _messages(self, adapter, rows: List[Claimed]) -> List[Tuple[str, List[Claimed]]]:
        """Life-threatening leads first and alone, then the rest as digests."""
        by_id = {row.item.outbox_id: row for row in rows}
        urgent = [[row.item] for row in rows if row.item.urgent]
        rest = [row.item for row in rows if not row.item.urgent]
        out = []
        for items in [*urgent, *([rest] if rest else [])]:
            for text, carried in render(items, adapter.reveals_contact, self._console_url, adapter.max_bytes):
                out.append((text, [by_id[item.outbox_id] for item in carried]))
        return out

    async def _deliver(self, token: str, lease_until: datetime, rows: List[Claimed]) -> int:
        first = rows[0]
        route, adapter = self.routes.get(first.route), self._adapters.get(first.channel)
        if route is None or adapter is None or route.channel != first.channel:
            await asyncio.to_thread(self.settle, token, rows, uuid.uuid4().hex[:16], "route not configured")
            return 0
        messages = self._messages(adapter, rows)
        sent = 0
        for index, (text, carried) in enumerate(messages):
            later = [row for _, group in messages[index:] for row in group]
            if self._clock() + timedelta(seconds=self._send_timeout) >= lease_until:
                await asyncio.to_thread(self.release, token, later, self._clock())
                break
            wait = self._throttled(route.name, urgent=carried[0].item.urgent)
            if wait:
                await asyncio.to_thread(self.release, token, later, self._clock() + timedelta(seconds=wait))
                break
            message = uuid.uuid4().hex[:16]
            error = None
            try:
                await asyncio.wait_for(
                    adapter.send(route, first.recipient, text, [row.item for row in carried]), self._send_timeout
                )
            except DeliveryFailed as failure:
                error = str(failure)[:300]
            except asyncio.TimeoutError:
                error = f"no answer in {self._send_timeout}s"
            self._sent_at[route.name].append(time.monotonic())
            await asyncio.to_thread(self.settle, token, carried, message, error)
            if error is not None:
                logger.warning("notification via %s (%s) failed: %s", route.name, route.channel, error)
                rest = [row for _, group in messages[index + 1 :] for row in group]
                if rest:  # the server is failing: the rest waits as long as this one
                    await asyncio.to_thread(self.release, token, rest, self._clock() + self._backoff(1))
                break
            sent += 1
        return sent

    def _throttled(self, route: str, urgent: bool) -> float:
        """Seconds to wait before this route may send again; the last few of each minute are for
        life-threatening leads, so a burst of digests never holds one back."""
        window = self._sent_at[route]
        now = time.monotonic()
        while window and window[0] <= now - 60:
            window.popleft()
        limit = self._per_minute if urgent else self._per_minute - URGENT_RESERVE
        if len(window) < limit:
            return 0.0
        return window[len(window) - limit] + 60 - now

    async def run(self, stop: asyncio.Event, poll_seconds: float = 2, escalator=None, escalate_every: float = 60):
        """Until `stop`: escalate what is overdue (every `escalate_every` s) and deliver what is due."""
        next_escalation = 0.0
        while not stop.is_set():
            sent = 0
            try:
                if escalator is not None and time.monotonic() >= next_escalation:
                    next_escalation = time.monotonic() + escalate_every
                    await asyncio.to_thread(escalator.run_once)
                sent = await self.tick()
            except SQLAlchemyError as error:  # the database restarting: the rows wait, leased or not
                logger.warning("notify: database unavailable (%s); trying again", type(error).__name__)
            if not sent:
                try:
                    await asyncio.wait_for(stop.wait(), poll_seconds)
                except asyncio.TimeoutError:
                    pass
