"""Staff accounts and their API tokens (only a hash of each token is stored)."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from datetime import timedelta
from typing import Dict, Optional, Tuple

from sqlalchemy import insert, select, update
from sqlalchemy.orm import sessionmaker

from bot.db import utcnow
from bot.inputs import clean_code
from bot.leads.model import Staff, StaffRole
from bot.leads.tables import staff as staff_table
from bot.leads.tables import staff_sessions

SESSION_HOURS = 12  # a console login lasts one working day


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class StaffService:
    def __init__(self, sessions: sessionmaker, cache_seconds: float = 10.0) -> None:
        """`cache_seconds`: how long a token once looked up is trusted without asking the database.

        Every API call authenticates, and the look-up cost as much as filing a lead; a deactivated
        account therefore keeps working for at most this long in a process that saw it recently.
        """
        self._sessions = sessions
        self._cache_seconds = cache_seconds
        self._cache: Dict[str, Tuple[float, Optional[Staff]]] = {}
        self._lock = threading.Lock()

    def create(self, name: str, office: str, region: str, role: StaffRole) -> Tuple[Staff, str]:
        """A new account and its token; the token is shown once and never stored."""
        region = clean_code(region, min_digits=2, max_digits=12)  # an InputRefused (ValueError) otherwise
        token = secrets.token_urlsafe(32)
        member = Staff(name=name, office=office, region=region, role=role, token_hash=hash_token(token))
        with self._sessions.begin() as session:
            session.add(member)
        return member, token

    def authenticate(self, token: str) -> Optional[Staff]:
        if not token:
            return None
        digest = hash_token(token)
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(digest)
        if cached is not None and now - cached[0] < self._cache_seconds:
            return cached[1]
        with self._sessions() as session:
            member = session.scalars(select(Staff).where(staff_table.c.token_hash == digest)).first()
        found = member if member is not None and member.active else None
        if found is not None:  # unknown tokens are not remembered: guessing must not fill memory
            with self._lock:
                if len(self._cache) > 10_000:
                    self._cache.clear()
                self._cache[digest] = (now, found)
        return found

    # --- console sessions: the cookie holds a session id, never the token; logout revokes it ---------
    def open_session(self, member: Staff) -> str:
        session_id = secrets.token_urlsafe(32)
        with self._sessions.begin() as session:
            session.execute(
                insert(staff_sessions).values(id_hash=hash_token(session_id), staff_id=member.id, created_at=utcnow())
            )
        return session_id

    def by_session(self, session_id: str) -> Optional[Staff]:
        if not session_id:
            return None
        with self._sessions() as session:
            row = session.execute(
                select(staff_sessions).where(staff_sessions.c.id_hash == hash_token(session_id))
            ).first()
            if row is None or row.revoked_at is not None or utcnow() - row.created_at > timedelta(hours=SESSION_HOURS):
                return None
            member = session.get(Staff, row.staff_id)
        return member if member is not None and member.active else None

    def close_session(self, session_id: str) -> None:
        with self._sessions.begin() as session:
            session.execute(
                update(staff_sessions)
                .where(staff_sessions.c.id_hash == hash_token(session_id), staff_sessions.c.revoked_at.is_(None))
                .values(revoked_at=utcnow())
            )
