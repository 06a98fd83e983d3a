"""The region book every screening uses in a process with a database: knowledge/regions/ plus the
standards staff entered, re-read when another process added one (checked every few seconds)."""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from decimal import Decimal
from typing import Callable, Dict, List, Optional, Tuple

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import sessionmaker

from bot.eligibility.parameters import DatedValue, RegionBook
from bot.standards.tables import staff_standards

log = logging.getLogger(__name__)


def staff_value(row) -> DatedValue:
    """An entered standard as a dated value: the local standard itself, from an official document."""
    source = f"{row.document}（工作人员录入）"
    value = Decimal(row.value_cents) / 100
    return DatedValue(row.since, value, source, False, "standard", "A", row.url, None, None, "staff")


class LiveBook:
    def __init__(
        self,
        seed: RegionBook,
        sessions: sessionmaker,
        refresh_seconds: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.seed, self.sessions, self.refresh_seconds, self._clock = seed, sessions, refresh_seconds, clock
        self._book, self._version, self._checked = seed, None, float("-inf")
        self._lock = threading.Lock()

    def invalidate(self) -> None:
        """Read the database at the next screening (this process just entered a standard)."""
        self._checked = float("-inf")

    def __call__(self) -> RegionBook:
        return self.current()

    def current(self) -> RegionBook:
        now = self._clock()
        if now - self._checked < self.refresh_seconds:
            return self._book
        with self._lock:
            if now - self._checked < self.refresh_seconds:
                return self._book
            try:
                self._refresh()
            except SQLAlchemyError as error:  # the last book known stays in use; the next call tries again
                log.warning("standards entered by staff could not be read: %s", error.__class__.__name__)
            self._checked = now
        return self._book

    def _refresh(self) -> None:
        with self.sessions() as session:
            version: Tuple[int, Optional[int]] = tuple(
                session.execute(select(func.count(), func.max(staff_standards.c.id))).one()
            )
            if version == self._version:
                return
            rows = session.execute(select(staff_standards)).all()
        added: Dict[Tuple[str, str], List[DatedValue]] = defaultdict(list)
        for row in rows:
            added[(row.region, row.parameter)].append(staff_value(row))
        self._book = self.seed.with_values(added) if added else self.seed
        self._version = version
