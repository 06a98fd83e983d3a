"""Process-wide resources built once from the settings, on first use (never at import time)."""
from __future__ import annotations

from functools import lru_cache

from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from bot.db import create_db_engine, session_factory
from bot.handoff import HandoffService
from bot.settings import get_settings


@lru_cache(maxsize=1)
def engine() -> Engine:
    return create_db_engine(get_settings().database_url)


@lru_cache(maxsize=1)
def sessions() -> sessionmaker:
    return session_factory(engine())


def handoff_service() -> HandoffService:
    return HandoffService(sessions())


def reset() -> None:
    """Forget cached settings and connections (after the environment changed, e.g. in tests)."""
    if engine.cache_info().currsize:
        engine().dispose()
    engine.cache_clear()
    sessions.cache_clear()
    get_settings.cache_clear()
