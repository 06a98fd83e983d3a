"""A SQLite write lock held elsewhere (a stuck process) turns a filing into a quick 503 with Retry-After,
and reads go on meanwhile: no 30-second hang, no pool starved by waiting writers."""

from __future__ import annotations

import asyncio
import sqlite3
import time

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.engine import make_url

from bot.api.app import create_app
from bot.db import SQLITE_BUSY_SECONDS, create_db_engine, session_factory
from bot.leads import LeadService, StaffRole, StaffService


async def test_a_held_write_lock_is_a_quick_503_and_reads_go_on(sqlite_url):
    engine = create_db_engine(sqlite_url)
    sessions = session_factory(engine)
    staff = StaffService(sessions)
    token = staff.create("李干事", "前进街道", "220104001", StaffRole.township_staff)[1]
    headers = {"Authorization": f"Bearer {token}"}
    body = {
        "idempotency_key": "locked",
        "source_channel": "staff",
        "cause": "illness",
        "severity": "urgent",
        "description": "家人突发重病",
        "region": "220104001",
    }
    holder = sqlite3.connect(make_url(sqlite_url).database, isolation_level=None)
    try:
        async with TestClient(TestServer(create_app(leads=LeadService(sessions, b"s"), staff=staff))) as api:
            holder.execute("BEGIN IMMEDIATE")  # the write lock, held
            started = time.monotonic()
            filings = [
                asyncio.ensure_future(
                    api.post("/api/v1/leads", json={**body, "idempotency_key": f"k{n}"}, headers=headers)
                )
                for n in range(4)
            ]
            await asyncio.sleep(0.5)  # the filings are now waiting on the lock, each holding a connection
            read_started = time.monotonic()
            read = await api.get("/api/v1/leads", headers=headers)
            assert read.status == 200 and time.monotonic() - read_started < SQLITE_BUSY_SECONDS / 2
            answers = await asyncio.gather(*filings)
            elapsed = time.monotonic() - started
            assert [r.status for r in answers] == [503] * 4
            assert all(r.headers.get("Retry-After") for r in answers)
            assert elapsed < 10, elapsed  # it was 30 s a filing, with the pool held meanwhile
            holder.execute("ROLLBACK")
            again = await api.post("/api/v1/leads", json=body, headers=headers)
            assert again.status == 201
    finally:
        holder.close()
        engine.dispose()
