"""The hotline assist API: a call transcript through HTTP yields suggestions, a filed lead and a summary."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.api.app import create_app
from bot.hotline import CallService
from bot.leads import LeadService, StaffRole, StaffService


@pytest.fixture
async def api(sessions):
    staff = StaffService(sessions)
    _, token = staff.create("话务员007", "12345热线", "22", StaffRole.admin)
    leads = LeadService(sessions, b"hotline-api")
    async with TestClient(
        TestServer(create_app(leads=leads, staff=staff, calls=CallService(sessions, leads)))
    ) as client:
        client.headers = {"Authorization": f"Bearer {token}"}
        yield client


async def test_a_call_through_the_api(api):
    h = api.headers
    assert (await api.post("/api/v1/calls", json={"call_id": "c-100"}, headers=h)).status == 201
    said = [
        ("operator", "您好，12345热线"),
        ("caller", "我想问问特困人员的护理费怎么算"),
        ("caller", "我在长春，家里就我一个人，没有收入"),
        ("caller", "我今天摔伤了腿，家里一分钱都没有"),
    ]
    bodies = []
    for seq, (speaker, text) in enumerate(said):
        resp = await api.post(
            "/api/v1/calls/c-100/utterances", json={"seq": seq, "speaker": speaker, "text": text}, headers=h
        )
        assert resp.status == 200
        bodies.append(await resp.json())
    assert bodies[1]["suggestions"][0]["article"] == "tekun_care" and len(bodies[1]["suggestions"]) <= 3
    assert bodies[2]["facts"]["家庭人口"] == 1 and bodies[2]["next_question"]["text"]
    assert (
        bodies[3]["urgency"]["severity"] in ("urgent", "life_threatening")
        and bodies[3]["lead_draft"]["region"] == "220100"
    )

    filed = await api.post(
        "/api/v1/calls/c-100/lead",
        json={"place": "朝阳区前进街道", "consent": True, "contact": {"phone": "13912345678"}},
        headers=h,
    )
    assert filed.status == 201
    lead_id = (await filed.json())["lead_id"]
    lead = await (await api.get(f"/api/v1/leads/{lead_id}", headers=h)).json()
    assert lead["lead"]["source_channel"] == "hotline" and lead["lead"]["contact"]["phone"] == "13912345678"
    # With consent the lead keeps the household heard, to be re-screened when a standard changes.
    assert lead["lead"]["screening"]["household"]["region"] == "220100"

    ended = await (await api.post("/api/v1/calls/c-100/end", headers=h)).json()
    assert ended["call"]["category"] == "急难求助" and ended["call"]["lead_id"] == lead_id
    edited = await api.patch("/api/v1/calls/c-100", json={"category": "社会救助-临时救助申请"}, headers=h)
    assert (await edited.json())["call"]["category"] == "社会救助-临时救助申请"


@pytest.mark.parametrize(
    "path,body,status,code",
    [
        ("/api/v1/calls/none/utterances", {"seq": 0, "speaker": "caller", "text": "你好"}, 404, "call_not_found"),
        ("/api/v1/calls/c-1/utterances", {"seq": -1, "speaker": "caller", "text": "你好"}, 400, "invalid_seq"),
        ("/api/v1/calls/c-1/utterances", {"seq": 0, "speaker": "robot", "text": "你好"}, 400, "invalid_call_request"),
        ("/api/v1/calls/c-1/utterances", {"seq": 0, "speaker": "caller", "text": ""}, 400, "invalid_text"),
        ("/api/v1/calls/c-1/lead", {"contact": {"phone": "13912345678"}}, 400, "invalid_lead"),  # no consent
        ("/api/v1/calls/c-1/lead", {"whatever": 1}, 400, "invalid_lead"),
    ],
)
async def test_bad_requests_get_precise_and_chinese_errors(api, path, body, status, code):
    await api.post("/api/v1/calls", json={"call_id": "c-1"}, headers=api.headers)
    resp = await api.post(path, json=body, headers=api.headers)
    error = (await resp.json())["error"]
    assert (resp.status, error["code"]) == (status, code) and error["message_zh"]


async def test_calls_need_a_staff_token(api):
    assert (await api.post("/api/v1/calls", json={"call_id": "x"})).status == 401


async def test_openapi_documents_the_call_endpoints(api):
    doc = await (await api.get("/api/v1/openapi.json")).json()
    assert {"/api/v1/calls", "/api/v1/calls/{call_id}/utterances", "/api/v1/calls/{call_id}/lead"} <= set(doc["paths"])
