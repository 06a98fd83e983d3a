"""The WeChat channel's core with real signed and encrypted payloads, real databases, and a local
fake of the WeChat API server. The conversation here is the policy desk (no Rasa); the e2e test
runs the same callbacks through the Rasa server."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.policies import default_desk
from bot.wechat import (
    BadMessage,
    BadSignature,
    CustomerService,
    DeliveryLog,
    Protocol,
    TokenStore,
    WeChatApiError,
    WeChatConfig,
    WeChatService,
    split_text,
)
from bot.wechat.protocol import TEXT_LIMIT_BYTES
from bot.wechat.service import ASK_FOR_TEXT, UNSUPPORTED, WELCOME_INTENT
from tests.fakes.wechat import (
    AES_KEY,
    APP_ID,
    APP_SECRET,
    TOKEN,
    FakeWeChatApi,
    callback,
    event_xml,
    image_xml,
    read_reply,
    text_xml,
    voice_xml,
)


def protocol(aes: bool = True) -> Protocol:
    return Protocol(WeChatConfig(TOKEN, APP_ID, APP_SECRET, AES_KEY if aes else None))


# --- protocol --------------------------------------------------------------------------------------
def test_a_signed_text_message_is_read_with_its_sender_and_msgid():
    query, body = callback(text_xml("o_user1", "低保怎么申请", 1001))
    inbound = protocol(aes=False).read(query, body)
    assert (inbound.kind, inbound.open_id, inbound.text, inbound.delivery_key) == (
        "text",
        "o_user1",
        "低保怎么申请",
        "msg:1001",
    )


def test_a_wrong_signature_is_refused_before_the_body_is_read():
    query, body = callback(text_xml("o_user1", "你好", 1), token="someoneElsesToken")
    with pytest.raises(BadSignature):
        protocol().read(query, body)
    query, _ = callback(text_xml("o_user1", "你好", 1))
    with pytest.raises(BadSignature):
        protocol().read({**query, "signature": "0" * 40}, b"not even xml")


def test_an_encrypted_message_is_opened_and_its_reply_encrypted():
    query, body = callback(text_xml("o_user2", "临时救助", 2002), encrypted=True)
    assert b"\xe4\xb8\xb4" not in body  # the text is not readable on the wire
    p = protocol()
    inbound = p.read(query, body)
    assert (inbound.text, inbound.encrypted) == ("临时救助", True)
    reply = read_reply(p.reply(inbound, "您好", query), query)
    assert (reply["Content"], reply["ToUserName"], reply["MsgType"]) == ("您好", "o_user2", "text")


def test_an_encrypted_message_with_a_forged_msg_signature_is_refused():
    query, body = callback(text_xml("o_user2", "临时救助", 2003), encrypted=True)
    with pytest.raises(BadSignature):
        protocol().read({**query, "msg_signature": "f" * 40}, body)


@pytest.mark.parametrize("aes", [False, True], ids=["plaintext", "safe"])
@pytest.mark.parametrize("body", [b"<xml><ToUserName>", b"\xff\xfe", b"<xml><MsgType>text</MsgType></xml>", b"hello"])
def test_malformed_bodies_are_bad_messages(body, aes):
    query, _ = callback(text_xml("o", "x", 1))
    with pytest.raises(BadMessage):
        protocol(aes).read(query, body)


def test_voice_is_read_through_its_recognition_and_events_are_keyed_by_sender_and_time():
    p = protocol(aes=False)
    assert p.read(*callback(voice_xml("o3", "我想问低保", 3))).text == "我想问低保"
    assert p.read(*callback(voice_xml("o3", None, 4))).text is None
    sub = p.read(*callback(event_xml("o3", "subscribe", 1700000000)))
    assert (sub.kind, sub.delivery_key) == ("subscribe", "event:o3:1700000000")
    assert p.read(*callback(event_xml("o3", "unsubscribe", 1700000001))).kind == "silent"
    assert p.read(*callback(image_xml("o3", 5))).kind == "unsupported"


def test_the_server_check_echoes_only_for_our_token():
    query, _ = callback(text_xml("o", "x", 1))
    assert protocol().echo({**query, "echostr": "12345"}) == "12345"
    with pytest.raises(BadSignature):
        protocol().echo({**query, "nonce": "changed", "echostr": "12345"})


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("低保申请救助，。\n abc1😀")), max_size=3000), st.integers(4, 300))
def test_split_text_keeps_every_character_within_the_byte_limit(text, limit):
    pieces = split_text(text, limit)
    assert all(len(p.encode("utf-8")) <= limit for p in pieces)
    assert "".join(pieces).replace("\n", "") == text.strip().replace("\n", "")


def test_a_long_answer_is_cut_between_lines():
    lines = [f"第{i}行：" + "低保" * 40 for i in range(40)]
    pieces = split_text("\n".join(lines))
    assert len(pieces) > 1 and all(len(p.encode("utf-8")) <= TEXT_LIMIT_BYTES for p in pieces)
    assert all(p.startswith("第") for p in pieces)


# --- shared state ----------------------------------------------------------------------------------
def test_a_delivery_is_taken_once_across_concurrent_processes(database_url, sessions):
    logs = [DeliveryLog(sessions) for _ in range(8)]  # one per "process"
    results, barrier = [], threading.Barrier(8)

    def claim(log):
        barrier.wait()
        results.append(log.claim("msg:424242"))

    threads = [threading.Thread(target=claim, args=(log,)) for log in logs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 7 + [True]
    assert DeliveryLog(sessions).claim("msg:424243") is True


@pytest.fixture
async def fake_api():
    api = FakeWeChatApi()
    await api.start_async()
    yield api
    await api.stop_async()


def config_for(api: FakeWeChatApi) -> WeChatConfig:
    return WeChatConfig(TOKEN, APP_ID, APP_SECRET, AES_KEY, api.url)


async def test_the_access_token_is_fetched_once_and_shared_by_every_process(sessions, fake_api):
    first, second = (CustomerService(config_for(fake_api), TokenStore(sessions)) for _ in range(2))
    try:
        await asyncio.gather(*(first.send_text("o1", f"消息{i}") for i in range(5)))
        await second.send_text("o1", "另一个进程")
        assert len(fake_api.tokens_issued) == 1
        assert len(fake_api.messages_to("o1")) == 6
    finally:
        await first.close()
        await second.close()


async def test_a_token_near_expiry_is_refreshed_before_it_fails(sessions, fake_api):
    now = [dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.timezone.utc)]
    sender = CustomerService(config_for(fake_api), TokenStore(sessions), clock=lambda: now[0])
    try:
        await sender.send_text("o1", "一")
        now[0] += dt.timedelta(seconds=7200 - 299)  # inside the five-minute margin
        await sender.send_text("o1", "二")
        assert len(fake_api.tokens_issued) == 2 and fake_api.messages_to("o1") == ["一", "二"]
    finally:
        await sender.close()


async def test_a_refused_token_is_replaced_and_the_call_retried_once(sessions, fake_api):
    sender = CustomerService(config_for(fake_api), TokenStore(sessions))
    try:
        await sender.send_text("o1", "一")
        fake_api.revoke_all()  # e.g. someone fetched a token with the same AppSecret elsewhere
        await sender.send_text("o1", "二")
        assert fake_api.messages_to("o1") == ["一", "二"] and len(fake_api.tokens_issued) == 2
        fake_api.refuse_every_token = True
        with pytest.raises(WeChatApiError) as error:
            await sender.send_text("o1", "三")
        assert error.value.errcode == 40001 and len(fake_api.tokens_issued) == 3  # one retry, not a loop
    finally:
        await sender.close()


# --- one callback, start to end --------------------------------------------------------------------
class Conversation:
    """The policy desk as the conversation, counting what it was asked."""

    def __init__(self, delay: float = 0.0, repeat: int = 1) -> None:
        self.heard = []
        self.delay = delay
        self.repeat = repeat

    async def __call__(self, open_id, text, message_id):
        self.heard.append((open_id, text, message_id))
        await asyncio.sleep(self.delay)
        answer = default_desk().answer(text)
        return [answer.text if answer else "没有找到"] * self.repeat


@pytest.fixture
async def make_service(sessions, fake_api):
    built = []

    def make(aes_key=AES_KEY, clock=None, deliveries=None, **options):
        config = WeChatConfig(TOKEN, APP_ID, APP_SECRET, aes_key, fake_api.url, **options)
        sender = CustomerService(config, TokenStore(sessions))
        proto = Protocol(config, clock) if clock else Protocol(config)
        svc = WeChatService(proto, deliveries or DeliveryLog(sessions), sender, reply_seconds=1.0)
        built.append((svc, sender))
        return svc

    default_desk()  # built once per process (about half a second), not inside a reply window
    yield make
    for svc, sender in built:
        await svc.drain()
        await sender.close()


@pytest.fixture
async def service(make_service):
    return make_service()  # safe mode: the EncodingAESKey is configured


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "safe-mode"])
async def test_a_text_message_gets_the_right_passive_reply(make_service, encrypted):
    conversation = Conversation()
    service = make_service(AES_KEY if encrypted else None)
    query, body = callback(text_xml("o_a", "低保怎么申请", 7001), encrypted=encrypted)
    reply = await service.handle(query, body, conversation)
    content = read_reply(reply.body, query)["Content"]
    assert reply.status == 200 and content == default_desk().answer("低保怎么申请").text and "依据" in content
    assert conversation.heard == [("o_a", "低保怎么申请", "msg:7001")]


async def test_a_repeated_msgid_is_processed_once(service):
    conversation = Conversation()
    query, body = callback(text_xml("o_b", "临时救助怎么申请", 7002), encrypted=True)
    first = await service.handle(query, body, conversation)
    again = await service.handle(*callback(text_xml("o_b", "临时救助怎么申请", 7002), encrypted=True), conversation)
    assert "<xml>" in first.body and (again.status, again.body) == (200, "success")
    assert len(conversation.heard) == 1


async def test_a_slow_answer_is_acknowledged_and_arrives_by_customer_service(service, fake_api):
    conversation = Conversation(delay=2.0)
    reply = await service.handle(*callback(text_xml("o_c", "特困供养有哪些", 7003), encrypted=True), conversation)
    assert (reply.status, reply.body) == (200, "success")
    await service.drain()
    assert fake_api.messages_to("o_c") == [default_desk().answer("特困供养有哪些").text]


async def test_a_long_answer_is_split_first_piece_passive_rest_by_customer_service(service, fake_api):
    conversation = Conversation(repeat=6)
    query, body = callback(text_xml("o_d", "低保怎么申请", 7004), encrypted=True)
    reply = await service.handle(query, body, conversation)
    await service.drain()
    passive = read_reply(reply.body, query)["Content"]
    rest = fake_api.messages_to("o_d")
    assert rest and all(len(p.encode("utf-8")) <= TEXT_LIMIT_BYTES for p in [passive, *rest])
    assert (passive + "".join(rest)).replace("\n", "") == (
        "".join([default_desk().answer("低保怎么申请").text] * 6)
    ).replace("\n", "")


async def test_a_bad_signature_is_403_and_nothing_is_processed(service, sessions):
    conversation = Conversation()
    reply = await service.handle(*callback(text_xml("o_e", "低保", 7005), encrypted=True, token="wrong"), conversation)
    assert reply.status == 403 and conversation.heard == []
    assert DeliveryLog(sessions).claim("msg:7005") is True  # the forged delivery did not take the key


async def test_malformed_xml_is_400(service):
    query, _ = callback(text_xml("o_f", "低保", 7006))
    reply = await service.handle(query, b"<xml><Content>", Conversation())
    assert reply.status == 400


async def test_voice_subscribe_and_pictures(service):
    conversation = Conversation()
    heard = await service.handle(*callback(voice_xml("o_g", "低保怎么申请", 7007), encrypted=True), conversation)
    assert conversation.heard[-1][1] == "低保怎么申请" and "依据" in read_reply(heard.body, {})["Content"]
    unheard = await service.handle(*callback(voice_xml("o_g", None, 7008), encrypted=True), conversation)
    assert read_reply(unheard.body, {})["Content"] == ASK_FOR_TEXT
    await service.handle(*callback(event_xml("o_g", "subscribe", 1700000100), encrypted=True), conversation)
    assert conversation.heard[-1][1] == WELCOME_INTENT
    picture = await service.handle(*callback(image_xml("o_g", 7009), encrypted=True), conversation)
    assert read_reply(picture.body, {})["Content"] == UNSUPPORTED
    assert len(conversation.heard) == 2
