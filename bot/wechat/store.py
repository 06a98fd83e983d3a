"""What every process of the channel shares, in the product database: deliveries already taken
(WeChat's retries) and each app's access_token."""

from __future__ import annotations

import datetime as dt
import time
from typing import Callable, Optional, Tuple

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from bot.db import utcnow
from bot.wechat.tables import wechat_access_tokens, wechat_deliveries

# WeChat retries within seconds, and a replay is refused once its signed timestamp leaves the window
# (WeChatService checks that `keep` outlasts it); a day of keys is plenty, and keeps the table small.
KEEP_DELIVERIES = dt.timedelta(days=1)
PRUNE_EVERY_SECONDS = 600


class DeliveryLog:
    def __init__(
        self, sessions: sessionmaker, clock: Callable[[], dt.datetime] = utcnow, keep: dt.timedelta = KEEP_DELIVERIES
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self.keep = keep
        self._pruned_at = 0.0

    def claim(self, delivery_key: str) -> bool:
        """True for the first delivery of this key, in any process; False for every retry."""
        self._prune()
        try:
            with self._sessions.begin() as session:
                session.execute(insert(wechat_deliveries).values(delivery_key=delivery_key, received_at=self._clock()))
        except IntegrityError:
            return False
        return True

    def _prune(self) -> None:
        if time.monotonic() - self._pruned_at < PRUNE_EVERY_SECONDS:
            return
        self._pruned_at = time.monotonic()
        with self._sessions.begin() as session:
            session.execute(
                delete(wechat_deliveries).where(wechat_deliveries.c.received_at < self._clock() - self.keep)
            )


class TokenStore:
    def __init__(self, sessions: sessionmaker) -> None:
        self._sessions = sessions

    def get(self, app_id: str) -> Optional[Tuple[str, dt.datetime]]:
        with self._sessions() as session:
            row = session.execute(
                select(wechat_access_tokens.c.token, wechat_access_tokens.c.expires_at).where(
                    wechat_access_tokens.c.app_id == app_id
                )
            ).first()
        return (row.token, row.expires_at) if row else None

    def put(self, app_id: str, token: str, expires_at: dt.datetime) -> None:
        with self._sessions.begin() as session:
            done = session.execute(
                update(wechat_access_tokens)
                .where(wechat_access_tokens.c.app_id == app_id)
                .values(token=token, expires_at=expires_at)
            ).rowcount
            if not done:
                try:
                    with session.begin_nested():
                        session.execute(
                            insert(wechat_access_tokens).values(app_id=app_id, token=token, expires_at=expires_at)
                        )
                except IntegrityError:  # another process inserted first: its token is as good as ours
                    pass
