"""Process-wide resources built once from the settings, on first use (never at import time)."""
from __future__ import annotations

import os
import secrets
import tempfile
from functools import lru_cache

from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from bot.db import create_db_engine, session_factory
from bot.handoff import HandoffService
from bot.hotline import CallService
from bot.leads import LeadService, StaffService
from bot.settings import PROJECT_ROOT, get_settings


@lru_cache(maxsize=1)
def engine() -> Engine:
    return create_db_engine(get_settings().database_url)


@lru_cache(maxsize=1)
def sessions() -> sessionmaker:
    return session_factory(engine())


def handoff_service() -> HandoffService:
    return HandoffService(sessions())


@lru_cache(maxsize=1)
def household_secret() -> bytes:
    """The keyed-hash secret; without one configured, generated once and kept under var/.

    Changing it would stop new leads from matching their household's older leads, so it must stay
    the same across restarts and be shared by every process: set JIUZHU_HOUSEHOLD_KEY_SECRET in
    production.
    """
    configured = get_settings().household_key_secret
    if configured is not None:
        return configured.get_secret_value().encode("utf-8")
    path = PROJECT_ROOT / "var" / "household_key.secret"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        # Written whole, then linked into place: processes starting at once all end up with one secret.
        fd, tmp = tempfile.mkstemp(dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(secrets.token_hex(32))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    return path.read_text(encoding="utf-8").strip().encode("utf-8")


def lead_service() -> LeadService:
    return LeadService(sessions(), household_secret())


def call_service() -> CallService:
    return CallService(sessions(), lead_service())


def staff_service() -> StaffService:
    return StaffService(sessions())


def reset() -> None:
    """Forget cached settings and connections (after the environment changed, e.g. in tests)."""
    if engine.cache_info().currsize:
        engine().dispose()
    engine.cache_clear()
    sessions.cache_clear()
    household_secret.cache_clear()
    get_settings.cache_clear()
