"""The attacks on the WeChat endpoint (issue 12): each was reproduced against the channel before it was
fixed, and each test here fails without its fix. Real crypto, real databases, no Rasa."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import typing

import pytest
import xmltodict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wechatpy.crypto import WeChatCrypto

from bot.settings import Settings
from bot.wechat import DeliveryLog, Protocol, WeChatConfig, WeChatService, split_text
from bot.wechat.protocol import DEFAULT_MAX_BODY_BYTES, MODES, BadMessage, BadSignature, TooLarge
from tests.fakes.wechat import ACCOUNT, AES_KEY, APP_ID, TOKEN, _sign, callback, read_reply, text_xml

THREE_YEARS = 3 * 365 * 24 * 3600


class Heard:
    """A conversation that only records what reached it."""

    def __init__(self) -> None:
        self.heard = []

    async def __call__(self, open_id, text, message_id):
        self.heard.append((open_id, text, message_id))
        return ["收到"]


def service(sessions, aes_key=AES_KEY, clock=None, deliveries=None, **options) -> WeChatService:
    config = WeChatConfig(TOKEN, APP_ID, "", aes_key, **options)
    protocol = Protocol(config, clock) if clock else Protocol(config)
    return WeChatService(protocol, deliveries or DeliveryLog(sessions), None, reply_seconds=2.0)


def seal(xml: str, query: dict, body_extra: str = "") -> bytes:
    """`xml` encrypted with our key and signed into `query`, as WeChat's safe mode sends it."""
    sealed = xmltodict.parse(WeChatCrypto(TOKEN, AES_KEY, APP_ID).encrypt_message(xml, query["nonce"]))["xml"][
        "Encrypt"
    ]
    query.update(encrypt_type="aes", msg_signature=_sign(TOKEN, query["timestamp"], query["nonce"], sealed))
    return f"<xml><ToUserName>{ACCOUNT}</ToUserName>{body_extra}<Encrypt>{sealed}</Encrypt></xml>".encode()


# --- 1. timestamp window ---------------------------------------------------------------------------
@pytest.mark.parametrize("aes", [None, AES_KEY], ids=["plaintext", "safe"])
async def test_a_correctly_signed_but_three_year_old_timestamp_is_403_and_nothing_is_processed(sessions, aes):
    heard, svc = Heard(), service(sessions, aes)
    query, body = callback(
        text_xml("o_old", "低保", 12001), encrypted=bool(aes), timestamp=int(time.time()) - THREE_YEARS
    )
    reply = await svc.handle(query, body, heard)
    assert reply.status == 403 and "window" in reply.body and heard.heard == []
    assert DeliveryLog(sessions).claim("msg:12001") is True  # the refused request did not take the key
    assert svc.verify_server({**query, "echostr": "x"}).status == 403


def test_the_window_is_configurable_and_applies_either_side():
    now = 1_800_000_000
    proto = Protocol(WeChatConfig(TOKEN, timestamp_window_seconds=60), clock=lambda: now)
    for offset, accepted in [(-60, True), (60, True), (-61, False), (61, False)]:
        query, body = callback(text_xml("o_w", "x", 1), timestamp=now + offset)
        if accepted:
            assert proto.read(query, body).open_id == "o_w"
        else:
            with pytest.raises(BadSignature):
                proto.read(query, body)
    assert WeChatConfig(TOKEN).timestamp_window_seconds == 300


# --- 2. replays after the dedupe forgot the MsgId ---------------------------------------------------
async def test_a_replay_25_hours_later_is_not_processed_even_after_the_dedupe_pruned_its_key(sessions):
    start = time.time()
    now = [start]
    heard = Heard()
    deliveries = DeliveryLog(sessions, clock=lambda: dt.datetime.fromtimestamp(now[0], dt.timezone.utc))
    svc = service(sessions, clock=lambda: now[0], deliveries=deliveries)
    query, body = callback(text_xml("o_replay", "临时救助", 12002), encrypted=True, timestamp=int(start))
    assert (await svc.handle(query, body, heard)).status == 200 and len(heard.heard) == 1

    now[0] = start + 60  # within the window: the remembered MsgId answers
    assert (await svc.handle(dict(query), body, heard)).body == "success"
    now[0] = start + 25 * 3600
    deliveries._pruned_at = 0.0  # let the next claim prune keys older than a day
    deliveries.claim("msg:other")
    assert deliveries.claim("msg:12002") is True  # the key is gone ...
    replay = await svc.handle(dict(query), body, heard)
    assert replay.status == 403 and len(heard.heard) == 1  # ... and the replay is refused anyway


def test_the_dedupe_must_outlast_twice_the_timestamp_window(sessions):
    short = DeliveryLog(sessions, keep=dt.timedelta(seconds=599))
    with pytest.raises(ValueError, match="twice the timestamp window"):
        service(sessions, deliveries=short, timestamp_window_seconds=300)
    service(sessions, deliveries=DeliveryLog(sessions, keep=dt.timedelta(seconds=600)), timestamp_window_seconds=300)


# --- 3. the message mode is configuration ----------------------------------------------------------
async def test_safe_mode_refuses_a_forged_plaintext_body_with_a_captured_signature(sessions):
    heard, svc = Heard(), service(sessions)
    captured, _ = callback(text_xml("o_victim", "真消息", 12003), encrypted=True)
    forged = text_xml("o_victim", "伪造的消息", 12004).encode()
    without_mode = {k: v for k, v in captured.items() if k not in ("encrypt_type", "msg_signature")}
    for query in (without_mode, {**without_mode, "encrypt_type": "raw"}, captured):
        reply = await svc.handle(query, forged, heard)
        assert reply.status in (400, 403), reply
    assert heard.heard == []


async def test_compatible_mode_reads_only_the_signed_ciphertext_never_the_plaintext_copy(sessions):
    heard, svc = Heard(), service(sessions, mode="compatible")
    query, _ = callback(text_xml("o_c", "x", 1))
    real = text_xml("o_c", "真消息", 12005)
    copy = "<FromUserName>o_c</FromUserName><MsgType>text</MsgType><Content>伪造</Content><MsgId>12006</MsgId>"
    reply = await svc.handle(query, seal(real, query, body_extra=copy), heard)
    assert reply.status == 200 and heard.heard == [("o_c", "真消息", "msg:12005")]
    assert read_reply(reply.body, query)["Content"] == "收到"  # and the reply is encrypted


async def test_plaintext_mode_refuses_encrypted_callbacks(sessions):
    heard, svc = Heard(), service(sessions, None)
    query, body = callback(text_xml("o_p", "x", 12007), encrypted=True)
    assert (await svc.handle(query, body, heard)).status == 400 and heard.heard == []


def test_the_mode_follows_the_settings_not_the_request(monkeypatch):
    assert set(typing.get_args(Settings.__fields__["wechat_message_mode"].type_)) == set(MODES)
    assert WeChatConfig(TOKEN, encoding_aes_key=AES_KEY).mode == "safe"
    assert WeChatConfig(TOKEN).mode == "plaintext"
    with pytest.raises(ValueError):
        WeChatConfig(TOKEN, mode="safe")
    monkeypatch.setenv("JIUZHU_WECHAT_ENCODING_AES_KEY", AES_KEY)
    monkeypatch.setenv("JIUZHU_WECHAT_MESSAGE_MODE", "plaintext")
    assert Settings(_env_file=None).wechat_encoding_aes_key is None  # so the channel runs in plaintext
    monkeypatch.delenv("JIUZHU_WECHAT_ENCODING_AES_KEY")
    monkeypatch.setenv("JIUZHU_WECHAT_MESSAGE_MODE", "safe")
    with pytest.raises(ValueError, match="needs wechat_encoding_aes_key"):
        Settings(_env_file=None)


# --- 4. XML declarations ---------------------------------------------------------------------------
DOCTYPE = '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>'


async def test_doctype_and_entity_declarations_are_400_in_the_envelope_the_message_and_plaintext(sessions):
    heard = Heard()
    safe, plain = service(sessions), service(sessions, None)
    query, body = callback(text_xml("o_x", "x", 12008), encrypted=True)
    envelope = DOCTYPE.encode() + body.replace(b"<Encrypt><![CDATA[", b"<Encrypt>&b;<![CDATA[")
    assert (await safe.handle(query, envelope, heard)).status == 400
    query, _ = callback(text_xml("o_x", "x", 1))
    inner = DOCTYPE + text_xml("o_x", "&b;", 12009)
    assert (await safe.handle(query, seal(inner, query), heard)).status == 400
    query, body = callback(text_xml("o_x", "x", 12010))
    assert (await plain.handle(query, DOCTYPE.encode() + body, heard)).status == 400
    assert (await plain.handle(query, b'<!DOCTYPE x SYSTEM "file:///etc/passwd">' + body, heard)).status == 400
    assert heard.heard == []


# --- 5. body size ----------------------------------------------------------------------------------
async def test_a_body_over_the_limit_is_413_before_anything_else(sessions):
    heard, svc = Heard(), service(sessions, None)
    query, body = callback(text_xml("o_big", "低" * 30000, 12011))  # 90 KB, correctly signed
    assert len(body) > DEFAULT_MAX_BODY_BYTES
    assert (await svc.handle(query, body, heard)).status == 413 and heard.heard == []
    with pytest.raises(TooLarge):
        Protocol(WeChatConfig(TOKEN, max_body_bytes=100)).read({}, b"x" * 101)  # not even signed


# --- everything else an attacker can send ----------------------------------------------------------
@pytest.mark.parametrize(
    "fields",
    [
        "<FromUserName>o</FromUserName><MsgType>text</MsgType><MsgId>abc</MsgId>",  # was a 500 (int())
        "<FromUserName>o</FromUserName><MsgType>text</MsgType><MsgId>" + "9" * 200 + "</MsgId>",  # key > 120
        "<FromUserName><a>o</a></FromUserName><MsgType>text</MsgType><MsgId>1</MsgId>",  # a dict as sender
        "<FromUserName>o</FromUserName><MsgType><a/></MsgType><MsgId>1</MsgId>",
        "<FromUserName>o</FromUserName><MsgType>text</MsgType><Content><b>x</b></Content><MsgId>1</MsgId>",
        "<FromUserName>o</FromUserName><MsgType>voice</MsgType><Recognition><b/></Recognition><MsgId>1</MsgId>",
        "<FromUserName>o</FromUserName><FromUserName>p</FromUserName><MsgType>text</MsgType><MsgId>1</MsgId>",
        "<FromUserName>o</FromUserName><MsgType>event</MsgType><CreateTime>soon</CreateTime>",
    ],
)
async def test_malformed_fields_are_400_not_500(sessions, fields):
    heard = Heard()
    for svc, encrypted in ((service(sessions, None), False), (service(sessions), True)):
        query, _ = callback(text_xml("o", "x", 1))
        xml = f"<xml><ToUserName>{ACCOUNT}</ToUserName>{fields}</xml>"
        body = seal(xml, query) if encrypted else xml.encode()
        reply = await svc.handle(query, body, heard)
        assert reply.status == 400, (encrypted, reply)
    assert heard.heard == []


async def test_a_reply_cannot_break_out_of_its_cdata(sessions):
    async def echo(open_id, text, message_id):
        return [text]

    svc = service(sessions, None)
    query, body = callback(text_xml("o_q", "a]]>b", 12012).replace("<![CDATA[a]]>b]]>", "a]]&gt;b"))
    reply = await svc.handle(query, body, echo)
    assert read_reply(reply.body, query)["Content"] == "a]]>b"


_XML_BITS = st.sampled_from(
    ["<xml>", "</xml>", "<MsgType>", "</MsgType>", "text", "event", "<FromUserName>o1</FromUserName>",
     "<ToUserName>gh</ToUserName>", "<MsgId>", "</MsgId>", "12", "<Encrypt>", "</Encrypt>", "<![CDATA[", "]]>",
     "<!DOCTYPE x>", "&amp;", "&x;", "<a b='1'>", "</a>", "<?xml version='1.0' encoding='latin-1'?>",
     "\x00", "\ud800", "低保", "<CreateTime>1</CreateTime>", "<Event>subscribe</Event>", "<Content>"]
)  # fmt: skip
_TEXT = st.one_of(st.text(max_size=40), st.sampled_from(["", "aes", "raw", "1" * 30, "%ff", "0" * 40]))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    xml=st.lists(_XML_BITS, max_size=20).map("".join),
    raw=st.binary(max_size=200),
    use_raw=st.booleans(),
    signed=st.booleans(),
    sealed=st.booleans(),
    extra=st.dictionaries(st.sampled_from(["timestamp", "nonce", "signature", "encrypt_type", "msg_signature"]), _TEXT),
    aes=st.booleans(),
)
def test_no_body_or_query_makes_a_5xx(sessions, xml, raw, use_raw, signed, sealed, extra, aes):
    svc = service(sessions, AES_KEY if aes else None)
    query, _ = callback(text_xml("o", "x", 1))
    body = raw if use_raw else xml.encode("utf-8", "surrogatepass")
    if sealed and not use_raw and "\ud800" not in xml:
        body = seal(xml, query)  # properly encrypted and signed: exercises the decrypted message's checks
    if not signed:
        query.update(extra)
    reply = asyncio.run(svc.handle(query, body, Heard()))
    assert reply.status in (200, 400, 403, 413), reply


# --- 6. split_text ---------------------------------------------------------------------------------
def test_split_text_is_linear_in_the_length():
    # Quadratic, one 2-million-character line took about 7 s; linear, it takes a few milliseconds.
    started = time.perf_counter()
    pieces = split_text("低保" * 1_000_000)
    assert time.perf_counter() - started < 1.0
    assert "".join(pieces) == "低保" * 1_000_000


def test_split_text_refuses_a_limit_smaller_than_a_character():
    with pytest.raises(ValueError):
        split_text("😀", 3)


def test_bad_messages_and_signatures_are_distinct_errors():
    # 403 (not ours / too old) and 400 (ours but unreadable) mean different things to the operator.
    assert not issubclass(BadMessage, BadSignature) and not issubclass(BadSignature, BadMessage)
