"""The staff API over the warning queue, on real SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.api.app import create_app
from bot.db import create_db_engine, session_factory
from bot.leads import LeadService, StaffRole, StaffService

SECRET = b"api-test-secret"


@pytest.fixture
def services(sessions):
    staff = StaffService(sessions)
    tokens = {
        name: staff.create(name, office, region, role)[1]
        for name, office, region, role in [
            ("town", "前进街道", "220104001", StaffRole.township_staff),
            ("town2", "重庆街道", "220104002", StaffRole.township_staff),
            ("county", "朝阳区民政局", "220104", StaffRole.county_supervisor),
        ]
    }
    return LeadService(sessions, SECRET), staff, tokens


@pytest.fixture
async def api(services):
    leads, staff, tokens = services
    async with TestClient(TestServer(create_app(leads=leads, staff=staff))) as client:
        client.tokens = tokens
        yield client


def auth(api, who):
    return {"Authorization": f"Bearer {api.tokens[who]}"}


def lead_body(key="wx-msg-1", region="220104001", **extra):
    return {
        "idempotency_key": key,
        "source_channel": "wechat",
        "cause": "illness",
        "severity": "urgent",
        "description": "家人突发重病，住院费用负担不起",
        "region": region,
        **extra,
    }


async def test_no_token_is_401(api):
    resp = await api.get("/api/v1/leads")
    assert resp.status == 401 and (await resp.json())["error"]["message_zh"]


async def test_filing_is_idempotent_and_the_lead_is_listed(api):
    first = await api.post("/api/v1/leads", json=lead_body(), headers=auth(api, "town"))
    again = await api.post("/api/v1/leads", json=lead_body(), headers=auth(api, "town"))
    assert (first.status, again.status) == (201, 200)
    lead_id = (await first.json())["lead"]["id"]
    assert (await again.json())["lead"]["id"] == lead_id
    assert first.headers["Location"] == f"/api/v1/leads/{lead_id}"
    listed = await (await api.get("/api/v1/leads", headers=auth(api, "town"))).json()
    assert [lead["id"] for lead in listed["leads"]] == [lead_id]


async def test_township_sees_only_its_region(api):
    mine = (await (await api.post("/api/v1/leads", json=lead_body("a"), headers=auth(api, "county"))).json())["lead"][
        "id"
    ]
    await api.post("/api/v1/leads", json=lead_body("b", region="220104002"), headers=auth(api, "county"))
    assert (await api.get(f"/api/v1/leads/{mine}", headers=auth(api, "town2"))).status == 403
    town2 = await (await api.get("/api/v1/leads", headers=auth(api, "town2"))).json()
    assert [lead["region"] for lead in town2["leads"]] == ["220104002"]
    county = await (await api.get("/api/v1/leads", headers=auth(api, "county"))).json()
    assert len(county["leads"]) == 2


async def test_concurrent_claims_one_wins_and_history_shows_each_step(api):
    lead_id = (await (await api.post("/api/v1/leads", json=lead_body(), headers=auth(api, "town"))).json())["lead"][
        "id"
    ]
    responses = await asyncio.gather(
        api.post(f"/api/v1/leads/{lead_id}/claim", headers=auth(api, "town")),
        api.post(f"/api/v1/leads/{lead_id}/claim", headers=auth(api, "county")),
    )
    assert sorted(r.status for r in responses) == [200, 409]
    winner = "town" if responses[0].status == 200 else "county"
    steps = [
        ("transitions", {"to_state": "visiting", "note": "入户"}),
        ("referrals", {"department": "医保", "note": "医疗救助"}),
        ("transitions", {"to_state": "resolved", "outcome": "已发放临时救助金"}),
    ]
    for path, body in steps:
        resp = await api.post(f"/api/v1/leads/{lead_id}/{path}", json=body, headers=auth(api, winner))
        assert resp.status == 200, await resp.text()
    detail = await (await api.get(f"/api/v1/leads/{lead_id}", headers=auth(api, winner))).json()
    assert detail["lead"]["state"] == "resolved"
    assert [h["kind"] for h in detail["history"]] == ["filed", "claimed", "transition", "referred", "transition"]


async def test_refused_moves_and_bad_input(api):
    lead_id = (await (await api.post("/api/v1/leads", json=lead_body(), headers=auth(api, "town"))).json())["lead"][
        "id"
    ]
    refused = await api.post(
        f"/api/v1/leads/{lead_id}/transitions", json={"to_state": "resolved", "outcome": "x"}, headers=auth(api, "town")
    )
    assert refused.status == 409 and (await refused.json())["error"]["code"] == "transition_refused"
    await api.post(f"/api/v1/leads/{lead_id}/claim", headers=auth(api, "town"))
    no_outcome = await api.post(
        f"/api/v1/leads/{lead_id}/transitions", json={"to_state": "resolved"}, headers=auth(api, "town")
    )
    assert no_outcome.status == 400
    bad = await api.post("/api/v1/leads", json={**lead_body("c"), "severity": "panic"}, headers=auth(api, "town"))
    error = (await bad.json())["error"]
    assert bad.status == 400 and error["fields"][0]["field"] == "severity"
    no_consent = await api.post(
        "/api/v1/leads", json={**lead_body("d"), "contact": {"phone": "13912345678"}}, headers=auth(api, "town")
    )
    assert no_consent.status == 400
    unknown = await api.get("/api/v1/leads/999999", headers=auth(api, "county"))
    assert unknown.status == 404
    bad_filter = await api.get("/api/v1/leads?state=lost", headers=auth(api, "county"))
    assert bad_filter.status == 400


async def test_csv_export_escapes_formulas(api):
    await api.post("/api/v1/leads", json=lead_body("csv", description='=HYPERLINK("x")'), headers=auth(api, "town"))
    resp = await api.get("/api/v1/leads/export.csv", headers=auth(api, "town"))
    text = (await resp.read()).decode("utf-8-sig")
    assert resp.status == 200 and text.splitlines()[0].startswith("id,state,severity")
    assert "'=HYPERLINK" in text


async def test_database_down_is_a_503_to_retry_and_nothing_half_filed(services, database_url):
    leads, staff, tokens = services
    down = create_db_engine("postgresql://postgres@127.0.0.1:1/down")
    broken = LeadService(session_factory(down), SECRET)
    async with TestClient(TestServer(create_app(leads=broken, staff=staff))) as client:
        resp = await client.post(
            "/api/v1/leads", json=lead_body("retry-me"), headers={"Authorization": f"Bearer {tokens['town']}"}
        )
        assert resp.status == 503 and resp.headers["Retry-After"]
        assert (await resp.json())["error"]["code"] == "database_unavailable"
    down.dispose()
    async with TestClient(TestServer(create_app(leads=leads, staff=staff))) as client:
        headers = {"Authorization": f"Bearer {tokens['town']}"}
        first = await client.post("/api/v1/leads", json=lead_body("retry-me"), headers=headers)
        second = await client.post("/api/v1/leads", json=lead_body("retry-me"), headers=headers)
        assert (first.status, second.status) == (201, 200)


async def test_openapi_documents_the_lead_endpoints(api):
    doc = await (await api.get("/api/v1/openapi.json")).json()
    assert {"/api/v1/leads", "/api/v1/leads/{id}/claim", "/api/v1/leads/export.csv"} <= set(doc["paths"])
    assert "idempotency_key" in doc["components"]["schemas"]["LeadDraft"]["properties"]
    assert doc["components"]["securitySchemes"]["staffToken"]["scheme"] == "bearer"


async def test_the_kind_and_the_region_name_are_shown_filterable_and_exported(api):
    body = lead_body("kind-1", cause="other", kind="self_harm", severity="life_threatening")
    lead_id = (await (await api.post("/api/v1/leads", json=body, headers=auth(api, "town"))).json())["lead"]["id"]
    await api.post("/api/v1/leads", json=lead_body("kind-2"), headers=auth(api, "town"))
    lead = (await (await api.get(f"/api/v1/leads/{lead_id}", headers=auth(api, "county"))).json())["lead"]
    assert (lead["cause_name"], lead["kind"], lead["kind_group"], lead["kind_name"]) == (
        "其他",
        "self_harm",
        "self_harm",
        "自伤风险",
    )
    assert lead["region_name"] == "吉林省长春市朝阳区"

    async def ids(query):
        found = await (await api.get(f"/api/v1/leads?{query}", headers=auth(api, "county"))).json()
        return [lead["id"] for lead in found["leads"]]

    assert await ids("kind=self_harm") == [lead_id] and await ids("kind=fire") == []
    bad = await api.get("/api/v1/leads?kind=suicide", headers=auth(api, "county"))
    assert bad.status == 400 and (await bad.json())["error"]["code"] == "invalid_kind"
    text = (
        await (await api.get("/api/v1/leads/export.csv?kind=self_harm", headers=auth(api, "county"))).read()
    ).decode("utf-8-sig")
    assert text.splitlines()[0].startswith("id,state,severity,cause,cause_name,kind,kind_name,region,region_name")
    assert len(text.splitlines()) == 2 and "自伤风险" in text and "吉林省长春市朝阳区" in text


async def test_the_dashboard_api_answers_supervisors_with_figures_and_csv(api):
    await api.post("/api/v1/leads", json=lead_body("d-1", kind="violence", cause="other"), headers=auth(api, "town"))
    board = await api.get("/api/v1/dashboard?period=week", headers=auth(api, "county"))
    assert board.status == 200
    figures = {f["key"]: f for f in (await board.json())["figures"]}
    assert sum(row["violence"] for row in figures["by_kind"]["rows"]) == 1
    assert {"compliance", "open_by_township", "conversations", "verdicts", "handoffs"} <= set(figures)
    csv_text = (
        await (await api.get("/api/v1/dashboard/export.csv?figure=by_kind", headers=auth(api, "county"))).read()
    ).decode("utf-8-sig")
    header, *rows = csv_text.splitlines()
    assert header == "日期,暴力侵害,合计" and rows[-1].endswith(",1,1") and len(rows) == 30
    everything = (await (await api.get("/api/v1/dashboard/export.csv", headers=auth(api, "county"))).read()).decode(
        "utf-8-sig"
    )
    assert "处置时限达标情况" in everything and "转人工请求与等待时间" in everything
    refused = await api.get("/api/v1/dashboard", headers=auth(api, "town"))
    assert refused.status == 403 and (await refused.json())["error"]["code"] == "dashboard_forbidden"
    for query, code in [("period=month", "invalid_period"), ("days=0", "invalid_days"), ("days=１", "invalid_days")]:
        resp = await api.get(f"/api/v1/dashboard?{query}", headers=auth(api, "county"))
        assert resp.status == 400 and (await resp.json())["error"]["code"] == code
    bad_figure = await api.get("/api/v1/dashboard/export.csv?figure=nope", headers=auth(api, "county"))
    assert bad_figure.status == 400
    doc = await (await api.get("/api/v1/openapi.json")).json()
    assert {"/api/v1/dashboard", "/api/v1/dashboard/export.csv"} <= set(doc["paths"])
    assert "kind" in doc["components"]["schemas"]["LeadDraft"]["properties"]


async def test_the_conversation_page_says_when_rasas_tracker_store_is_absent(api):
    await api.post("/console/login", data={"token": api.tokens["town"]})
    chat = lead_body("conv-1", conversation_id="resident-9")
    lead_id = (await (await api.post("/api/v1/leads", json=chat, headers=auth(api, "town"))).json())["lead"]["id"]
    page = await (await api.get(f"/console/leads/{lead_id}")).text()
    assert f'id="conversation" href="/console/leads/{lead_id}/conversation"' in page
    transcript = await api.get(f"/console/leads/{lead_id}/conversation")
    assert transcript.status == 200 and "对话记录库（Rasa 的 events 表）不在本数据库中" in await transcript.text()
    plain = (await (await api.post("/api/v1/leads", json=lead_body("conv-2"), headers=auth(api, "town"))).json())[
        "lead"
    ]
    assert 'id="conversation"' not in await (await api.get(f"/console/leads/{plain['id']}")).text()
