"""Writing notifications into the outbox, inside the caller's transaction (the lead's filing or its
escalation): if that commits, the notification exists; if it rolls back, so does the notification."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import List, Optional, Sequence

from sqlalchemy import insert
from sqlalchemy.orm import Session

from bot.leads.model import Severity
from bot.notify.adapters import recipients
from bot.notify.tables import PENDING, notification_outbox
from bot.settings import NotifyRoute, get_settings

logger = logging.getLogger("jiuzhu.notify")

FILED = "filed"
ESCALATED = "escalated"
AUDIENCE = {FILED: "office", ESCALATED: "supervisor"}


def routes_for(routes: Sequence[NotifyRoute], region: str, audience: str) -> List[NotifyRoute]:
    """Every route of the most specific region prefix that has a route for this audience."""
    matching = [r for r in routes if r.audience == audience and region.startswith(r.region)]
    if not matching:
        return []
    longest = max(len(r.region) for r in matching)
    return [r for r in matching if len(r.region) == longest]


def digest_window_end(now: datetime, seconds: int) -> datetime:
    """The end of the digest window `now` falls in: every lead of one window leaves in one message."""
    if seconds <= 0:
        return now
    epoch = now.timestamp()
    return now + timedelta(seconds=seconds - epoch % seconds)


class Outbox:
    def __init__(self, routes: Sequence[NotifyRoute], digest_seconds: int) -> None:
        self.routes = list(routes)
        self.digest_seconds = digest_seconds

    @classmethod
    def from_settings(cls) -> "Outbox":
        settings = get_settings()
        return cls(settings.notify_routes, settings.notify_digest_seconds)

    def enqueue(
        self,
        session: Session,
        *,
        lead_id: int,
        region: str,
        severity: Severity,
        now: datetime,
        event: str = FILED,
        step: str = "",
    ) -> int:
        """Rows for the routes of this region; the number written. Call inside the lead's transaction."""
        chosen = routes_for(self.routes, region, AUDIENCE[event])
        if not chosen:
            if self.routes:  # no routes at all: notifications are simply not set up (README)
                logger.warning("no %s route for region %s: lead %s notifies nobody", AUDIENCE[event], region, lead_id)
            return 0
        urgent = Severity(severity) is Severity.life_threatening
        not_before = now if urgent else digest_window_end(now, self.digest_seconds)
        session.execute(
            insert(notification_outbox),
            [
                dict(
                    lead_id=lead_id,
                    event=event,
                    step=step,
                    route=route.name,
                    channel=route.channel,
                    recipient=recipient,
                    urgent=urgent,
                    state=PENDING,
                    created_at=now,
                    not_before=not_before,
                    attempts=0,
                )
                for route in chosen
                for recipient in recipients(route)
            ],
        )
        return len(chosen)


def default_outbox() -> Optional[Outbox]:
    """The outbox the settings describe; None when no route is configured."""
    outbox = Outbox.from_settings()
    return outbox if outbox.routes else None
