"""The console's own defences, on real SQLite and PostgreSQL: it cannot be framed and runs only its own
script, wrong tokens are rate-limited, and logging out revokes the session (the cookie never holds the
token)."""

from __future__ import annotations

import re

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.api.app import create_app
from bot.api.auth import GUESSES_KEY, SESSION_COOKIE, TokenGuesses
from bot.hotline import CallService
from bot.leads import LeadService, StaffRole, StaffService


@pytest.fixture
async def console(sessions):
    staff = StaffService(sessions)
    _, token = staff.create("李干事", "前进街道", "220104", StaffRole.county_supervisor)
    leads = LeadService(sessions, b"console-security")
    app = create_app(leads=leads, staff=staff, calls=CallService(sessions, leads))
    clock = {"now": 1000.0}
    app[GUESSES_KEY] = TokenGuesses(limit=5, window=60, clock=lambda: clock["now"])
    async with TestClient(TestServer(app)) as client:
        client.token, client.clock = token, clock
        yield client


async def login(client) -> str:
    resp = await client.post("/console/login", data={"token": client.token}, allow_redirects=False)
    assert resp.status == 303
    return resp.cookies[SESSION_COOKIE].value


async def test_console_pages_cannot_be_framed_and_run_only_their_own_script(console):
    await login(console)
    await console.post("/api/v1/calls", json={"call_id": "c-1"}, headers={"Authorization": f"Bearer {console.token}"})
    for path in ("/console/login", "/console/", "/console/calls/c-1"):
        resp = await console.get(path)
        assert resp.headers["X-Frame-Options"] == "DENY"
        policy = resp.headers["Content-Security-Policy"]
        assert (
            "frame-ancestors 'none'" in policy and "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
        )
    page = await resp.text()
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    assert f'<script nonce="{nonce}">' in page  # the live panel's script still runs


async def test_wrong_tokens_are_rate_limited_per_address(console):
    for _ in range(5):
        assert (await console.get("/api/v1/leads", headers={"Authorization": "Bearer wrong"})).status == 401
    blocked = await console.get("/api/v1/leads", headers={"Authorization": f"Bearer {console.token}"})
    assert blocked.status == 429 and int(blocked.headers["Retry-After"]) > 0
    assert (await blocked.json())["error"]["message_zh"]
    console.clock["now"] += 61  # the window has passed
    assert (await console.get("/api/v1/leads", headers={"Authorization": f"Bearer {console.token}"})).status == 200


async def test_logout_revokes_the_session_and_the_cookie_never_holds_the_token(console):
    session_id = await login(console)
    assert session_id != console.token and console.token not in session_id
    assert (await console.get("/console/", allow_redirects=False)).status == 200
    await console.post("/console/logout", allow_redirects=False)
    console.session.cookie_jar.update_cookies({SESSION_COOKIE: session_id})  # a copy kept by someone
    again = await console.get("/console/", allow_redirects=False)
    assert again.status == 303 and again.headers["Location"] == "/console/login"
    api = await console.get("/api/v1/leads", cookies={SESSION_COOKIE: session_id})
    assert api.status == 401
