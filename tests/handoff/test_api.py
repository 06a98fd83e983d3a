"""The takeover over HTTP, as the console uses it: the staff API and the console's forms, with a fake
Rasa HTTP API (for the resume) and the fake WeChat API (for the customer-service messages)."""

from __future__ import annotations

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot import runtime
from bot.api.app import create_app
from bot.api.auth import SESSION_COOKIE
from bot.handoff import HandoffService, TranscriptLine
from bot.leads import StaffRole
from tests.fakes.wechat import APP_ID, APP_SECRET, TOKEN, FakeWeChatApi


class FakeRasa:
    """Rasa's `POST /conversations/{id}/tracker/events`, recording what it was sent."""

    def __init__(self):
        self.events = []
        self.status = 200

    async def append(self, request: web.Request) -> web.Response:
        if self.status != 200:
            return web.json_response({"message": "down"}, status=self.status)
        self.events.append((request.match_info["id"], await request.json()))
        return web.json_response({"sender_id": request.match_info["id"], "events": []})


@pytest.fixture
async def world(configured, monkeypatch):
    rasa = FakeRasa()
    rasa_app = web.Application()
    rasa_app.router.add_post("/conversations/{id}/tracker/events", rasa.append)
    rasa_server = TestServer(rasa_app)
    await rasa_server.start_server()
    wechat = FakeWeChatApi()
    await wechat.start_async()
    for key, value in {
        "JIUZHU_RASA_PORT": str(rasa_server.port),
        "JIUZHU_WECHAT_TOKEN": TOKEN,
        "JIUZHU_WECHAT_APP_ID": APP_ID,
        "JIUZHU_WECHAT_APP_SECRET": APP_SECRET,
        "JIUZHU_WECHAT_API_BASE": wechat.url,
    }.items():
        monkeypatch.setenv(key, value)
    runtime.reset()
    staff = runtime.staff_service()
    tokens = {
        "town": staff.create("李干事", "前进街道", "220104001", StaffRole.township_staff)[1],
        "town2": staff.create("王干事", "前进街道", "220104001", StaffRole.township_staff)[1],
        "other": staff.create("孙干事", "桂林街道", "220104002", StaffRole.township_staff)[1],
    }
    handoffs = HandoffService(runtime.sessions())
    web_chat = handoffs.request(
        "web-0123456789abcdef", "webchat", [TranscriptLine("user", "我身份证220104198001011234，转人工")], "220104001"
    )
    wechat_chat = handoffs.request("o_wechat_resident", "wechat", [TranscriptLine("user", "转人工")], "220104001", True)
    async with TestClient(TestServer(create_app(handoff_service=handoffs))) as client:
        client.tokens, client.handoffs, client.rasa, client.wechat = tokens, handoffs, rasa, wechat
        client.web_id, client.wechat_id = web_chat.id, wechat_chat.id
        client.cookie = {"Cookie": f"{SESSION_COOKIE}={staff.open_session(staff.authenticate(tokens['town']))}"}
        yield client
    await wechat.stop_async()
    await rasa_server.close()


def auth(client, who="town"):
    return {"Authorization": f"Bearer {client.tokens[who]}"}


async def test_the_list_is_the_regions_urgent_first_with_masked_transcripts(world):
    body = await (await world.get("/api/v1/handoffs", headers=auth(world))).json()
    assert [h["id"] for h in body["handoffs"]] == [world.wechat_id, world.web_id]
    masked = body["handoffs"][1]["transcript"][0]["text"]
    assert "220104198001011234" not in masked and "********" in masked
    assert (await (await world.get("/api/v1/handoffs", headers=auth(world, "other"))).json())["handoffs"] == []
    assert (await world.get(f"/api/v1/handoffs/{world.web_id}", headers=auth(world, "other"))).status == 403


async def test_claim_reply_in_the_web_chat_read_the_resident_and_hand_back(world):
    url = f"/api/v1/handoffs/{world.web_id}"
    refused = await world.post(f"{url}/messages", json={"text": "您好"}, headers=auth(world))
    assert refused.status == 409 and "接手" in (await refused.json())["error"]["message_zh"]
    assert (await world.post(f"{url}/claim", headers=auth(world))).status == 200
    taken = await world.post(f"{url}/claim", headers=auth(world, "town2"))
    assert taken.status == 409 and "李干事" in (await taken.json())["error"]["message_zh"]

    sent = await world.post(f"{url}/messages", json={"text": "您好，我是李干事"}, headers=auth(world))
    assert sent.status == 201
    message = (await sent.json())["message"]
    assert message["author"] == "staff" and message["staff_name"] == "李干事"
    assert [m.text for m in world.handoffs.replies_after("web-0123456789abcdef", 0)] == ["您好，我是李干事"]
    bad = await world.post(f"{url}/messages", json={"text": 5}, headers=auth(world))
    assert bad.status == 400 and (await bad.json())["error"]["code"] == "invalid_reply"

    world.handoffs.heard("web-0123456789abcdef", "我家在前进街道")
    polled = await (await world.get(f"{url}?after={message['id']}", headers=auth(world))).json()
    assert [(m["author"], m["text"]) for m in polled["messages"]] == [("resident", "我家在前进街道")]

    world.rasa.status = 500
    down = await world.post(f"{url}/resume", headers=auth(world))
    assert down.status == 503 and world.handoffs.get_open("web-0123456789abcdef") is not None
    world.rasa.status = 200
    back = await world.post(f"{url}/resume", headers=auth(world))
    assert back.status == 200 and (await back.json())["handoff"]["status"] == "resumed"
    assert world.rasa.events == [
        ("web-0123456789abcdef", [{"event": "resume"}, {"event": "action", "name": "action_listen"}])
    ]
    assert world.handoffs.replies_after("web-0123456789abcdef", message["id"])[-1].author.value == "system"
    assert (await world.post(f"{url}/resume", headers=auth(world))).status == 409


async def test_a_wechat_reply_reaches_the_resident_through_the_customer_service_api(world):
    url = f"/api/v1/handoffs/{world.wechat_id}"
    assert (await world.post(f"{url}/claim", headers=auth(world))).status == 200
    sent = await world.post(f"{url}/messages", json={"text": "您好，我是民政的李干事"}, headers=auth(world))
    assert sent.status == 201
    assert world.wechat.messages_to("o_wechat_resident") == ["您好，我是民政的李干事"]
    assert (await world.post(f"{url}/resume", headers=auth(world))).status == 200
    assert world.wechat.messages_to("o_wechat_resident")[-1].startswith("工作人员已结束本次人工服务")


async def test_the_console_pages_claim_reply_and_hand_back(world):
    page = await world.get("/console/handoffs", headers=world.cookie)
    text = await page.text()
    assert page.status == 200 and "********" in text and "220104198001011234" not in text
    url = f"/console/handoffs/{world.web_id}"
    claimed = await world.post(f"{url}/claim", headers=world.cookie, allow_redirects=False)
    assert claimed.status == 303 and "msg=" in claimed.headers["Location"]
    sent = await world.post(f"{url}/reply", data={"text": "请留个电话"}, headers=world.cookie, allow_redirects=False)
    assert sent.status == 303 and "msg=" in sent.headers["Location"]
    empty = await world.post(f"{url}/reply", data={"text": " "}, headers=world.cookie, allow_redirects=False)
    assert "error=" in empty.headers["Location"]
    page = await (await world.get(url, headers=world.cookie)).text()
    assert "请留个电话" in page and "李干事（前进街道）" in page and 'id="resume"' in page
    back = await world.post(f"{url}/resume", headers=world.cookie, allow_redirects=False)
    assert back.status == 303 and "msg=" in back.headers["Location"]
    assert world.handoffs.get_open("web-0123456789abcdef") is None
