"""The access-control matrix, generated from the app's route table: every route × every role and region.

Every route that is not explicitly public must answer a caller without a token with 401 (API) or the
login page (console), and must neither show nor change a region-A lead or call for staff who cannot see
region A (another township of the county, another province's township or county). Staff who can see
region A (its township, its county, an admin) read it. A new route added without the guard fails here.
"""

from __future__ import annotations

import json

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import text

from bot import edge
from bot.api.app import create_app
from bot.api.auth import SESSION_COOKIE
from bot.db import create_db_engine, session_factory
from bot.handoff import HandoffService, TranscriptLine
from bot.hotline import CallService
from bot.leads import LeadService, StaffRole, StaffService
from tests.helpers import RASA_TEST_TOKEN as TOKEN

MARKER = "甲地机密情况说明"  # only in region A's lead and call: it must never reach another region
SAID = "甲地来电原话"  # what region A's caller said
PUBLIC = {
    ("POST", "/api/v1/screenings"),
    ("GET", "/api/v1/regions"),
    ("GET", "/api/v1/regions/{code}/parameters"),
    ("GET", "/api/v1/regions/{code}/standards"),  # published standards and their history
    ("GET", "/api/v1/health"),
    ("GET", "/api/v1/ready"),  # readiness for load balancers: which dependency is down, nothing else
    ("GET", "/metrics"),  # Prometheus: counts and latencies only, no lead, person or region (bot/metrics.py)
    ("GET", "/api/v1/openapi.json"),
    ("GET", "/console"),  # a redirect to /console/
    ("GET", "/console/login"),
    ("POST", "/console/login"),
    ("POST", "/console/logout"),
}
# Figures over a region, for supervisors (county, city) and admins: a township's staff are refused, and
# region A's township shows in them only for those who see region A.
SUPERVISORS_ONLY = {
    ("GET", "/api/v1/dashboard"),
    ("GET", "/api/v1/dashboard/export.csv"),
    ("GET", "/console/dashboard"),
}
# Pages about published standards, not about anyone's records: every staff member may read them; only a
# county supervisor or admin of the region may enter one (the POST is in the matrix like any other).
STANDARDS_PAGES = {("GET", "/console/standards")}
TOWNSHIP_A = "220104001"
IDENTITIES = {
    "town_a": ("220104001", StaffRole.township_staff, True),
    "county_a": ("220104", StaffRole.county_supervisor, True),
    "admin": ("37", StaffRole.admin, True),
    "town_b": ("220104002", StaffRole.township_staff, False),
    "town_far": ("371302001", StaffRole.township_staff, False),
    "county_far": ("371302", StaffRole.county_supervisor, False),
}


def _routes():
    engine = create_db_engine("sqlite://")
    sessions = session_factory(engine)
    leads = LeadService(sessions, b"x")
    app = create_app(leads=leads, staff=StaffService(sessions), calls=CallService(sessions, leads))
    found = sorted(
        {
            (route.method, route.resource.canonical)
            for route in app.router.routes()
            if route.method != "HEAD" and route.resource is not None
        }
    )
    engine.dispose()
    return found


ROUTES = _routes()
GUARDED = [route for route in ROUTES if route not in PUBLIC]


def _body(method: str, path: str, ids: dict):
    """(json, form) for a request on region A's lead or call; a new route gets an empty body."""
    api_bodies = {
        ("POST", "/api/v1/leads"): {
            "idempotency_key": "matrix-new",
            "source_channel": "staff",
            "cause": "illness",
            "severity": "urgent",
            "description": "新线索",
            "region": "220104001",
        },
        ("POST", "/api/v1/leads/{id}/transitions"): {"to_state": "closed"},
        ("POST", "/api/v1/leads/{id}/referrals"): {"department": "医保"},
        ("POST", "/api/v1/leads/{id}/merge"): {"into": ids["other"]},
        ("POST", "/api/v1/calls"): {"call_id": ids["call_id"]},
        ("PATCH", "/api/v1/calls/{call_id}"): {"summary": "改过"},
        ("POST", "/api/v1/calls/{call_id}/utterances"): {"seq": 99, "speaker": "caller", "text": "你好"},
        ("POST", "/api/v1/calls/{call_id}/lead"): {"region": "220104001"},
        ("POST", "/api/v1/handoffs/{id}/messages"): {"text": "您好"},
        ("POST", "/api/v1/regions/{code}/standards"): {
            "parameter": "dibao_standard_urban",
            "value": 900,
            "since": "2026-12-01",
            "document": "测试文号",
        },
    }
    forms = {
        ("POST", "/console/leads/{id}/transition"): {"to_state": "closed"},
        ("POST", "/console/leads/{id}/refer"): {"department": "医保"},
        ("POST", "/console/calls/{call_id}/lead"): {"region": "220104001", "cause": "illness", "severity": "urgent"},
        ("POST", "/console/calls/{call_id}/wrap-up"): {"summary": "改过"},
        ("POST", "/console/calls/start"): {"call_id": ids["call_id"]},
        ("POST", "/console/calls/{call_id}/say"): {"speaker": "caller", "text": "你好"},
        ("POST", "/console/handoffs/{id}/reply"): {"text": "您好"},
        ("POST", "/console/standards"): {
            "region": "220104",
            "parameter": "dibao_standard_urban",
            "value": "900",
            "since": "2026-12-01",
            "document": "测试文号",
        },
    }
    if path.startswith("/console/"):
        return None, forms.get((method, path), {})
    return api_bodies.get((method, path), {}), None


def _snapshot(sessions) -> str:
    with sessions() as session:
        return repr(
            [
                session.execute(text(query)).all()
                for query in (
                    "SELECT id, state, severity, updated_at, merged_into_id, suggested_handling FROM leads ORDER BY id",
                    "SELECT COUNT(*) FROM lead_events",
                    "SELECT call_id, summary, category, ended_at, lead_id FROM calls ORDER BY id",
                    "SELECT COUNT(*) FROM call_utterances",
                    "SELECT id, status, claimed_by FROM handoff_requests ORDER BY id",
                    "SELECT COUNT(*) FROM handoff_messages",
                    "SELECT COUNT(*) FROM staff_standards",
                )
            ]
        )


@pytest.fixture
async def world(sessions):
    staff = StaffService(sessions)
    tokens = {name: staff.create(name, "办公室", region, role)[1] for name, (region, role, _) in IDENTITIES.items()}
    members = {name: staff.authenticate(token) for name, token in tokens.items()}
    console_sessions = {name: staff.open_session(member) for name, member in members.items()}
    leads = LeadService(sessions, b"matrix")
    calls = CallService(sessions, leads)
    draft = {
        "idempotency_key": "a-1",
        "source_channel": "staff",
        "cause": "illness",
        "severity": "normal",
        "description": MARKER,
        "region": "220104001",
    }
    from bot.leads import LeadDraft

    lead = leads.file(LeadDraft(**draft), members["town_a"]).lead
    other = leads.file(
        LeadDraft(**{**draft, "idempotency_key": "a-2", "description": "另一条"}), members["town_a"]
    ).lead
    calls.start("call-a", "话务员", staff=members["town_a"])
    calls.hear("call-a", 1, "caller", SAID, staff=members["town_a"])
    calls.edit("call-a", summary=MARKER, staff=members["town_a"])
    handoffs = HandoffService(sessions)
    handoffs.request("other-conversation", "webchat", [TranscriptLine("user", "另一段")], region="220104001")
    handoff = handoffs.request("conversation-a", "webchat", [TranscriptLine("user", MARKER)], region="220104001")
    app = create_app(leads=leads, staff=staff, calls=calls, handoff_service=handoffs)
    async with TestClient(TestServer(app)) as client:
        client.tokens, client.console_sessions, client.sessions = tokens, console_sessions, sessions
        client.ids = {"id": str(lead.id), "other": other.id, "call_id": "call-a", "handoff": str(handoff.id)}
        yield client


async def _send(client, method, path, who):
    record = client.ids["handoff"] if "/handoffs/" in path else client.ids["id"]
    url = path.replace("{id}", record).replace("{call_id}", client.ids["call_id"]).replace("{code}", "220104")
    payload, form = _body(method, path, client.ids)
    headers = {}
    if who:  # the API's bearer token and the console's session cookie
        headers = {
            "Authorization": f"Bearer {client.tokens[who]}",
            "Cookie": f"{SESSION_COOKIE}={client.console_sessions[who]}",
        }
    if payload is not None and method != "GET":
        headers["Content-Type"] = "application/json"
        data = json.dumps(payload)
    else:
        data = form if method != "GET" else None
    resp = await client.request(method, url, data=data, headers=headers, allow_redirects=False)
    return resp, await resp.text()


def test_the_matrix_covers_every_route():
    assert len(GUARDED) >= 25
    assert not PUBLIC - set(ROUTES), "a public route listed here no longer exists"


@pytest.mark.parametrize("route", GUARDED, ids=lambda r: f"{r[0]} {r[1]}")
async def test_every_staff_route_is_confined_to_the_region(world, route):
    method, path = route
    before = _snapshot(world.sessions)
    resp, body = await _send(world, method, path, None)
    assert resp.status == 401 or (resp.status in (302, 303) and "/console/login" in resp.headers["Location"]), (
        resp.status
    )
    assert MARKER not in body and _snapshot(world.sessions) == before
    for who, (_, _, sees_a) in IDENTITIES.items():
        if sees_a:
            continue
        resp, body = await _send(world, method, path, who)
        assert resp.status < 500, (who, resp.status, body[:300])
        assert MARKER not in body and SAID not in body, (who, resp.status)
        if route in SUPERVISORS_ONLY:
            assert TOWNSHIP_A not in body, (who, resp.status)
        assert _snapshot(world.sessions) == before, (who, resp.status, body[:300])
        if "{" in path:  # one region-A record: refused outright
            assert resp.status in (303, 403, 404), (who, resp.status)
        elif method == "GET":  # a list: without region A's call in it
            assert world.ids["call_id"] not in body, (who, resp.status)
    if method == "GET":
        for who, (_, _, sees_a) in IDENTITIES.items():
            if sees_a:
                resp, body = await _send(world, method, path, who)
                if route in SUPERVISORS_ONLY and IDENTITIES[who][1] is StaffRole.township_staff:
                    assert resp.status == 403, (who, resp.status)
                    continue
                if route in STANDARDS_PAGES:
                    assert resp.status == 200 and "低保标准" in body, (who, resp.status)
                    continue
                assert resp.status == 200, (who, resp.status, body[:300])
                shown = (MARKER, SAID, world.ids["call_id"]) + ((TOWNSHIP_A,) if route in SUPERVISORS_ONLY else ())
                assert any(s in body for s in shown), (who, path)


def test_matrix_size():
    print(f"access matrix: {len(GUARDED)} guarded routes × {len(IDENTITIES) + 1} callers")


# --- the Rasa server: its HTTP API and its channels ------------------------------------------------
async def test_every_rasa_api_route_needs_the_token(rasa):
    """Generated from Rasa's own route table: a route Rasa adds in an upgrade is covered too."""
    guarded = sorted(
        {
            (method, route.path)
            for route in rasa.app.router.routes
            for method in route.methods
            if not edge.is_public("/" + route.path.lstrip("/")) and method != "OPTIONS"
        }
    )
    assert len(guarded) >= 15, guarded  # the tracker API, model, domain, status …
    for method, path in guarded:
        url = "/" + path.replace("<conversation_id:path>", "some-id").lstrip("/")
        async with rasa.request(method, url) as resp:
            assert resp.status == 401, (method, url, resp.status)
            # The gate's refusal (Rasa's own would say "NotAuthenticated"): enforced before Rasa's check.
            assert (await resp.json(content_type=None))["error"]["code"] == "unauthorized", (method, url)
        async with rasa.request(method, url, params={"token": "wrong"}) as resp:
            assert resp.status == 401, (method, url, resp.status)
    async with rasa.get("/conversations/some-id/tracker", params={"token": TOKEN}) as resp:
        assert resp.status != 401


async def test_a_channel_cannot_reach_another_channels_conversation(rasa, sessions):
    """REST is open to any caller: it can name neither another channel's conversation nor its channel."""
    victim = "o_victim_0123456789abcd"  # a WeChat openid
    for body in (
        {"sender": f"wechat:{victim}", "message": "你好"},
        {"sender": f"webchat:{victim}", "message": "你好"},
        {"sender": victim, "message": "转人工", "input_channel": "wechat"},  # a handoff replied to on WeChat
    ):
        for path in ("/webhooks/rest/webhook", "/webhooks/rest/webhook/"):
            async with rasa.post(path, json=body) as resp:
                assert resp.status == 400, (path, body)
    assert "/webhooks/rest/webhook" not in [p.rstrip("/") for p in rasa.reached]
    # The web chat speaks in its own namespace whatever id its page chose (tests/channels/test_webchat.py
    # sees the id it gives the conversation; tests/e2e/test_wechat.py the WeChat side).
    assert edge.conversation_id("webchat", victim) != edge.conversation_id("wechat", victim)
