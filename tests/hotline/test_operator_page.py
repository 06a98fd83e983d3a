"""The operator's page for a call, server-rendered: what it shows live, and what its forms do."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.api.app import create_app
from bot.hotline import CallService
from bot.leads import LeadService, StaffRole, StaffService


@pytest.fixture
async def console(sessions):
    staff = StaffService(sessions)
    _, token = staff.create("话务员008", "12345热线", "22", StaffRole.admin)
    leads = LeadService(sessions, b"operator-page")
    app = create_app(leads=leads, staff=staff, calls=CallService(sessions, leads))
    async with TestClient(TestServer(app)) as client:
        assert (await client.post("/console/login", data={"token": token})).status == 200  # the session cookie
        client.api_headers = {"Authorization": f"Bearer {token}"}
        yield client


async def say(client, call_id, seq, speaker, text):
    resp = await client.post(
        f"/api/v1/calls/{call_id}/utterances",
        json={"seq": seq, "speaker": speaker, "text": text},
        headers=client.api_headers,
    )
    assert resp.status == 200


async def test_the_page_shows_the_latest_assistance_and_files_the_lead(console):
    await console.post("/api/v1/calls", json={"call_id": "c-page"}, headers=console.api_headers)
    await say(console, "c-page", 0, "caller", "我想问问临时救助怎么申请")
    live = await (await console.get("/console/calls/c-page/live")).text()
    assert "临时救助" in live and "建议回答" in live and "urgency" not in live

    await say(console, "c-page", 1, "caller", "我在长春，三口人，家里着火了，房子烧没了，电话13912345678")
    page = await (await console.get("/console/calls/c-page")).text()
    assert 'id="urgency"' in page and "家庭人口" in page and "13912345678" not in page  # transcript is masked
    assert 'value="220100"' in page  # the lead draft's region, ready to file

    filed = await console.post(
        "/console/calls/c-page/lead",
        data={
            "cause": "disaster",
            "severity": "urgent",
            "region": "220100",
            "description": "家中失火，房屋烧毁",
            "phone": "13912345678",
        },
        allow_redirects=False,
    )
    assert filed.status == 303
    lead_id = (await (await console.get("/api/v1/calls/c-page", headers=console.api_headers)).json())["call"]["lead_id"]
    assert f"已登记线索 #{lead_id}" in await (await console.get(filed.headers["Location"])).text()
    lead = await (await console.get(f"/api/v1/leads/{lead_id}", headers=console.api_headers)).json()
    assert (
        lead["lead"]["source_channel"] == "hotline" and not lead["lead"]["contact"]["phone"]
    )  # no consent ticked → no phone kept
    assert lead["lead"]["kind_name"] == "火灾"  # the kind heard, kept beside the operator's cause
    lead_page = await (await console.get(f"/console/leads/{lead_id}")).text()
    assert 'id="conversation" href="/console/calls/c-page"' in lead_page  # a hotline lead links to its call

    ended = await console.post("/console/calls/c-page/end", allow_redirects=True)
    assert "急难求助" in await ended.text()
    await console.post(
        "/console/calls/c-page/wrap-up", data={"summary": "已登记，转街道。", "category": "社会救助-临时救助申请"}
    )
    call = await (await console.get("/api/v1/calls/c-page", headers=console.api_headers)).json()
    assert (call["call"]["summary"], call["call"]["category"]) == ("已登记，转街道。", "社会救助-临时救助申请")


async def test_without_a_region_the_lead_is_filed_for_an_admin_to_route(console):
    await console.post("/api/v1/calls", json={"call_id": "c-noregion"}, headers=console.api_headers)
    resp = await console.post(
        "/console/calls/c-noregion/lead",
        data={"cause": "other", "severity": "normal", "region": "", "description": "x"},
    )
    assert "已登记线索" in await resp.text()
    call = await (await console.get("/api/v1/calls/c-noregion", headers=console.api_headers)).json()
    lead = await (await console.get(f"/api/v1/leads/{call['call']['lead_id']}", headers=console.api_headers)).json()
    assert lead["lead"]["region"] == "000000"


async def test_an_unknown_call_is_404_and_the_list_links_calls(console):
    assert (await console.get("/console/calls/nope")).status == 404
    await console.post("/api/v1/calls", json={"call_id": "c-listed"}, headers=console.api_headers)
    assert "/console/calls/c-listed" in await (await console.get("/console/calls")).text()


async def test_without_telephony_the_operator_starts_a_call_and_types_what_the_caller_says(console):
    page = await (await console.get("/console/calls")).text()
    assert 'id="start-call"' in page and 'value="manual-' in page  # a number ready for a call started here
    started = await console.post("/console/calls/start", data={"call_id": "ticket-42"}, allow_redirects=False)
    assert started.status == 303 and started.headers["Location"].startswith("/console/calls/ticket-42")
    page = await (await console.get(started.headers["Location"])).text()
    assert 'id="said"' in page and 'name="seq" value="0"' in page

    typed = await console.post(
        "/console/calls/ticket-42/say", data={"seq": "0", "speaker": "caller", "text": "我想问问临时救助怎么申请"}
    )
    page = await typed.text()
    assert "已记录 1 句" in page and "建议回答" in page and 'name="seq" value="1"' in page
    # The same assistance as an utterance posted by a telephony system: a suggestion with its source.
    posted = await (await console.get("/api/v1/calls/ticket-42", headers=console.api_headers)).json()
    assert posted["call"]["operator"] == "话务员008"

    pasted = "\n".join(["话务员：您好，12345", "来电人：我在长春，家里着火了，房子烧没了", "", "电话13912345678"])
    page = await (
        await console.post("/console/calls/ticket-42/say", data={"seq": "1", "speaker": "caller", "text": pasted})
    ).text()
    assert "已记录 3 句" in page and 'id="urgency"' in page and "⚠ 火灾（" in page  # the kind, named in Chinese
    assert "13912345678" not in page  # the transcript is masked
    # The same form sent again (a double click, a reload) is not heard twice.
    await console.post("/console/calls/ticket-42/say", data={"seq": "1", "speaker": "caller", "text": pasted})
    live = await (await console.get("/console/calls/ticket-42/live")).text()
    assert live.count("家里着火了") == 1 and live.count("您好，12345") == 1
    assert "<th>话务员</th><td>您好，12345</td>" in live  # the pasted mark chose the speaker


async def test_typing_refuses_nothing_and_too_much_and_an_ended_call(console):
    await console.post("/console/calls/start", data={"call_id": "ticket-43"})
    empty = await (await console.post("/console/calls/ticket-43/say", data={"text": " \n "})).text()
    assert "没有要记录的内容" in empty
    too_many = await (await console.post("/console/calls/ticket-43/say", data={"text": "一句\n" * 201})).text()
    assert "一次最多记录200行" in too_many
    no_id = await console.post("/console/calls/start", data={"call_id": " "})
    assert "请填写来电编号" in await no_id.text()
    await console.post("/console/calls/ticket-43/end")
    ended = await (await console.post("/console/calls/ticket-43/say", data={"text": "还有一句"})).text()
    assert "这通电话已经结束" in ended and 'id="said"' not in ended
