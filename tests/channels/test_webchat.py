"""The web chat's input channel over real HTTP (Sanic, as Rasa serves it): the page and its assets,
messages to the conversation with their buttons, refusals of bad input, and the long-poll that brings
a staff member's reply to the page."""

from __future__ import annotations

import asyncio

import pytest
from sanic import Sanic

from bot import runtime
from bot.channels import webchat
from bot.channels.webchat import WebChatInput, quick_replies, to_page
from bot.handoff import Author, TranscriptLine
from bot.leads import Staff, StaffRole
from tests.helpers import serving

SENDER = "web-0123456789abcdef0123456789abcdef"
CONVERSATION = f"webchat:{SENDER}"  # the page's id, namespaced by its channel (bot/edge.py)


@pytest.fixture
async def server(configured, monkeypatch):
    monkeypatch.setattr(Sanic, "test_mode", True)  # a second app in one process: skip Sanic's code rewriting
    monkeypatch.setattr(webchat, "POLL_SECONDS", 2.0)
    monkeypatch.setattr(webchat, "POLL_EVERY_SECONDS", 0.05)
    app = Sanic(f"webchat_channel_test_{id(monkeypatch)}")
    received = []

    async def on_new_message(message):
        received.append(message)
        if runtime.handoff_service().get_open(message.sender_id):
            return  # paused, as Rasa is after a handoff
        if message.text == "转人工":
            runtime.handoff_service().request(message.sender_id, "webchat", [TranscriptLine("user", "转人工")])
        await message.output_channel.send_text_with_buttons(
            message.sender_id, "您有没有残疾？", [{"title": "转人工", "payload": "/handoff"}]
        )
        await message.output_channel.send_text_message(message.sender_id, "您家住在城市（城镇）还是农村？")

    app.blueprint(WebChatInput().blueprint(on_new_message), url_prefix="/webhooks/webchat")
    async with serving(app) as http:
        http.received = received
        yield http


async def test_the_page_and_its_assets_are_served_with_a_strict_policy(server):
    async with server.get("/webhooks/webchat/chat") as resp:
        assert resp.status == 200 and "社会救助智能问答" in await resp.text()
        assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
        assert 'name="viewport"' in await resp.text()
    async with server.get("/webhooks/webchat/static/chat.js") as resp:
        assert resp.status == 200 and resp.headers["Content-Type"].startswith("application/javascript")
    async with server.get("/webhooks/webchat/static/..%2Fwebchat.py") as resp:
        assert resp.status == 404


async def test_a_message_reaches_the_conversation_with_its_region_and_comes_back_with_buttons(server):
    async with server.post(
        "/webhooks/webchat/webhook", json={"sender": SENDER, "message": " 你好 ", "region": "2201"}
    ) as resp:
        body = await resp.json()
    assert resp.status == 200 and body["waiting_for_staff"] is False
    assert body["messages"] == [
        {"text": "您有没有残疾？", "buttons": [{"title": "转人工", "payload": "/handoff"}]},  # its own buttons win
        {
            "text": "您家住在城市（城镇）还是农村？",
            "buttons": [{"title": "城市", "payload": "城市"}, {"title": "农村", "payload": "农村"}],
        },
    ]
    message = server.received[0]
    assert (message.text, message.sender_id, message.input_channel, message.metadata) == (
        "你好",
        CONVERSATION,
        "webchat",
        {"region": "2201"},
    )


@pytest.mark.parametrize(
    "body, code",
    [
        ({"sender": "short", "message": "你好"}, "invalid_sender"),
        ({"sender": SENDER + "/../x", "message": "你好"}, "invalid_sender"),
        ({"sender": SENDER, "message": ""}, "invalid_message"),
        ({"sender": SENDER, "message": 5}, "invalid_message"),
        ({"sender": SENDER, "message": "很" * 2001}, "invalid_message"),
        ({"sender": SENDER, "message": "a\x00b"}, "invalid_message"),
        ({"sender": SENDER, "message": "你好", "region": "２２01"}, "invalid_region"),
        ([1, 2], "invalid_body"),
    ],
)
async def test_bad_input_is_a_400_in_chinese_and_english_and_reaches_nobody(server, body, code):
    async with server.post("/webhooks/webchat/webhook", json=body) as resp:
        error = (await resp.json())["error"]
    assert resp.status == 400 and error["code"] == code and error["message_zh"] and error["message"]
    assert server.received == []


async def test_an_oversized_body_is_413(server):
    async with server.post("/webhooks/webchat/webhook", data=b"x" * 20_000) as resp:
        assert resp.status == 413


async def test_after_a_handoff_the_residents_messages_are_kept_and_a_staff_reply_is_pushed(server):
    async with server.post("/webhooks/webchat/webhook", json={"sender": SENDER, "message": "转人工"}) as resp:
        assert (await resp.json())["waiting_for_staff"] is True
    async with server.post(
        "/webhooks/webchat/webhook", json={"sender": SENDER, "message": "我电话13912345678"}
    ) as resp:
        assert (await resp.json()) == {"messages": [], "waiting_for_staff": True}
    service = runtime.handoff_service()
    handoff = service.get_open(CONVERSATION)
    assert [m.text for m in service.get(handoff.id, _admin())[1]] == ["我电话139****5678"]

    async def staff_writes_later():
        await asyncio.sleep(0.3)
        service.record(handoff, Author.staff, "您好，我是前进街道的李干事", _town())

    writer = asyncio.ensure_future(staff_writes_later())
    started = asyncio.get_running_loop().time()
    async with server.get("/webhooks/webchat/replies", params={"sender": SENDER, "after": "0"}) as resp:
        body = await resp.json()
    await writer
    assert 0.25 < asyncio.get_running_loop().time() - started < 1.9  # held until the reply, not the timeout
    assert [(m["author"], m["from"], m["text"]) for m in body["messages"]] == [
        ("staff", "工作人员（前进街道）", "您好，我是前进街道的李干事")
    ]
    assert body["waiting_for_staff"] is True
    last = body["messages"][-1]["id"]
    async with server.get("/webhooks/webchat/replies", params={"sender": SENDER, "after": str(last)}) as resp:
        assert (await resp.json())["messages"] == []  # nothing new: answered at the (shortened) timeout
    async with server.get(
        "/webhooks/webchat/replies", params={"sender": "another-sender-0123456789", "after": "0"}
    ) as resp:
        assert (await resp.json())["messages"] == []  # another conversation's replies are not its
    async with server.get("/webhooks/webchat/replies", params={"sender": SENDER, "after": "-1"}) as resp:
        assert resp.status == 400


def _town():
    return Staff("李干事", "前进街道", "220104001", StaffRole.township_staff, "hash", id=7)


def _admin():
    return Staff("管理员", "市局", "22", StaffRole.admin, "hash", id=8)


def test_quick_replies_for_the_prescreens_and_the_emergencys_questions():
    from bot.conversation import dialogue
    from bot.eligibility.questions import HOUSEHOLD_QUESTIONS, MEMBER_QUESTIONS

    assert quick_replies(HOUSEHOLD_QUESTIONS["area"]) == ["城市", "农村"]
    assert quick_replies(HOUSEHOLD_QUESTIONS["assets_within_limit"]) == ["有", "没有", "不知道"]
    assert quick_replies(MEMBER_QUESTIONS["employment"].format(who="您")) == ["有工作", "没工作但能干活", "干不了活"]
    assert quick_replies(MEMBER_QUESTIONS["disability_kind"].format(who="您"))[:2] == ["肢体", "视力"]
    assert quick_replies(dialogue.CONFIRM_PROMPT) == ["需要", "不用"]
    assert quick_replies(dialogue.PROMPT_AGAIN) == ["同意", "不用"]
    assert quick_replies("好的，先说一下。\n" + HOUSEHOLD_QUESTIONS["size"]) == []  # a number: typed
    assert quick_replies("低保是……\n依据：《社会救助暂行办法》第九条") == []
    assert to_page({"text": "x", "buttons": [{"title": "转人工", "payload": "/handoff"}]})["buttons"] == [
        {"title": "转人工", "payload": "/handoff"}
    ]
