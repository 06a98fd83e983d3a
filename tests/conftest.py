"""Shared fixtures: real databases only (SQLite files, and PostgreSQL where CI provides it)."""

from __future__ import annotations

import os
import uuid
from typing import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot import migrate, runtime
from bot.db import create_db_engine, session_factory
from tests.helpers import RASA_TEST_TOKEN, require_or_skip, serving

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

POSTGRES_ADMIN_URL = os.environ.get("JIUZHU_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'jiuzhu.db'}"
    migrate.upgrade(url)
    return url


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped afterwards.

    Outside CI a missing server skips these tests; in CI it fails them, never silently skips.
    """
    admin = create_db_engine(POSTGRES_ADMIN_URL).execution_options(isolation_level="AUTOCOMMIT")
    name = f"jiuzhu_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # noqa: BLE001 - any connection failure means "no server"
        admin.dispose()
        require_or_skip(f"PostgreSQL unreachable at {POSTGRES_ADMIN_URL}: {error}")
    url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def postgres_url(postgres_server_url) -> Iterator[str]:
    """The session's PostgreSQL database, migrated to head and emptied after the test."""
    migrate.upgrade(postgres_server_url)
    yield postgres_server_url
    migrate.downgrade(postgres_server_url)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request) -> str:
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture
def sessions(database_url):
    engine = create_db_engine(database_url)
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture
def configured(monkeypatch, database_url) -> Iterator[str]:
    """Point the process-wide settings (as the action server reads them) at the test database."""
    monkeypatch.setenv("JIUZHU_DATABASE_URL", database_url)
    runtime.reset()
    yield database_url
    runtime.reset()


@pytest.fixture
async def rasa(configured, monkeypatch):
    """Rasa's own Sanic app (HTTP API, REST and web-chat channels) behind our gate, over real HTTP; no
    model is loaded, so what is seen is what the gate and the channels answer."""
    import rasa.core.run
    from rasa.core.channels.rest import RestInput
    from sanic import Sanic

    from bot.channels import edge as sanic_edge
    from bot.channels.webchat import WebChatInput

    monkeypatch.setattr(Sanic, "test_mode", True)
    app = rasa.core.run.configure_app([RestInput(), WebChatInput()], auth_token=RASA_TEST_TOKEN, enable_api=True)
    sanic_edge.install(app, RASA_TEST_TOKEN)
    reached = []

    async def note(request):
        reached.append(request.path)  # a request the gate let through reaches the middleware after it

    app.register_middleware(note, "request")
    async with serving(app) as http:
        http.reached = reached
        http.app = app
        yield http
