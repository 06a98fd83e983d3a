"""Staff accounts and their API tokens (only a hash of each token is stored)."""
from __future__ import annotations

import hashlib
import secrets
from typing import Optional, Tuple

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from bot.leads.model import Staff, StaffRole
from bot.leads.tables import staff as staff_table


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class StaffService:
    def __init__(self, sessions: sessionmaker) -> None:
        self._sessions = sessions

    def create(self, name: str, office: str, region: str, role: StaffRole) -> Tuple[Staff, str]:
        """A new account and its token; the token is shown once and never stored."""
        if not region.isdigit() or not 2 <= len(region) <= 12:
            raise ValueError(f"region must be an administrative code of 2–12 digits, got {region!r}")
        token = secrets.token_urlsafe(32)
        member = Staff(name=name, office=office, region=region, role=role, token_hash=hash_token(token))
        with self._sessions.begin() as session:
            session.add(member)
        return member, token

    def authenticate(self, token: str) -> Optional[Staff]:
        if not token:
            return None
        with self._sessions() as session:
            member = session.scalars(select(Staff).where(staff_table.c.token_hash == hash_token(token))).first()
        return member if member is not None and member.active else None
