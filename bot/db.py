"""Engine and session factory for the product database (SQLAlchemy 1.4, 2.0-style API)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.future import create_engine
from sqlalchemy.orm import registry, sessionmaker
from sqlalchemy.pool import QueuePool
from sqlalchemy.types import TypeDecorator

from bot.settings import get_settings

# How long a SQLite write waits for another's lock. Short: a lock held by a stuck process must turn a
# filing into a quick 503 + Retry-After (same key, retried later), not a 30-second hang that also holds
# a pooled connection the reads need.
SQLITE_BUSY_SECONDS = 3


def create_db_engine(url: Optional[str] = None) -> Engine:
    """Every engine hides statement parameters from its errors: a failed insert would otherwise put the
    whole row (names, phone numbers, descriptions) into the log through the exception's message."""
    url = url or get_settings().database_url
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        if parsed.database in (None, "", ":memory:"):
            engine = create_engine(url, hide_parameters=True)
        else:
            # A pool of connections shared across threads (the API runs queries in a thread pool):
            # opening a SQLite connection and setting its pragmas costs more than the query.
            engine = create_engine(
                url,
                hide_parameters=True,
                poolclass=QueuePool,
                pool_size=8,
                max_overflow=8,
                pool_timeout=SQLITE_BUSY_SECONDS * 2,
                connect_args={"timeout": SQLITE_BUSY_SECONDS, "check_same_thread": False},
            )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # No pre-ping: its extra round trip on every checkout cost a third of the filing throughput.
    # A connection the server dropped fails once, the pool then discards all connections of that
    # age; filing retries by itself (LeadService.file) and other calls answer 503 + Retry-After.
    return create_engine(url, pool_pre_ping=False, hide_parameters=True)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets the Rasa server, the action server and the API share one file without
    # readers blocking the writer; the setting is stored in the file, so Rasa's own
    # connections get it too.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
    cursor.close()


def session_factory(engine: Engine) -> sessionmaker:
    return sessionmaker(bind=engine, future=True, expire_on_commit=False)


# One MetaData for every table of ours, so Alembic sees the whole schema. Rasa's own
# `events` table lives in the same database and is not ours to migrate.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING_CONVENTION)
mapper_registry = registry(metadata=metadata)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Stores UTC, always returns timezone-aware UTC (SQLite keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)
