"""The gate in front of the Rasa server (bot/edge.py, bot/channels/edge.py), on Rasa's own Sanic app with
its HTTP API and the REST and web-chat channels, over real HTTP. No model is loaded: what is checked is
what the gate answers before Rasa would read the request."""

from __future__ import annotations

import json

import pytest

from bot import edge
from tests.helpers import RASA_TEST_TOKEN as TOKEN


async def _post(http, path, data, **params):
    async with http.post(path, data=data, params=params, headers={"Content-Type": "application/json"}) as resp:
        return resp.status, await resp.json(content_type=None)


# --- the rules, without a server ------------------------------------------------------------------
@pytest.mark.parametrize(
    "body, status, code",
    [
        ('{"sender": "\\ud83d", "message": "hi"}', 400, "invalid_sender"),  # the sender that stopped everything
        ('{"sender": "s", "message": "a\\u0000b"}', 400, "invalid_body"),
        ('{"sender": "s", "message": "hi\\udfff"}', 400, "invalid_body"),
        ("", 400, "invalid_json"),
        ("null", 400, "invalid_body"),
        ("[]", 400, "invalid_body"),
        ('"hi"', 400, "invalid_body"),
        ("{", 400, "invalid_json"),
        ('{"sender": "s"}', 400, "invalid_message"),
        ('{"sender": "s", "message": 5}', 400, "invalid_message"),
        ('{"sender": "s", "message": "  "}', 400, "invalid_message"),
        ('{"sender": 7, "message": "hi"}', 400, "invalid_sender"),
        ('{"sender": "", "message": "hi"}', 400, "invalid_sender"),
        ('{"sender": "a b", "message": "hi"}', 400, "invalid_sender"),
        ('{"sender": "张三", "message": "hi"}', 400, "invalid_sender"),  # would not survive Rasa's paths
        ('{"sender": "a/b", "message": "hi"}', 400, "invalid_sender"),
        ('{"sender": "webchat:0123456789abcdef", "message": "hi"}', 400, "invalid_sender"),  # another channel's
        ('{"sender": "wechat:oAbC", "message": "hi"}', 400, "invalid_sender"),
        ('{"sender": "' + "s" * 129 + '", "message": "hi"}', 400, "invalid_sender"),
        ('{"sender": "s", "message": "' + "很" * 2001 + '"}', 413, "too_long"),
        ('{"sender": "s", "message": "hi", "metadata": 3}', 400, "invalid_metadata"),
        ('{"sender": "s", "message": NaN}', 400, "invalid_body"),
        ('{"message": "hi"}', 400, "invalid_sender"),  # Rasa would put every such caller in one conversation
        ('{"sender": "s", "message": "转人工", "input_channel": "wechat"}', 400, "invalid_input_channel"),
        ('{"sender": "s", "message": "hi", "input_channel": []}', 400, "invalid_input_channel"),
        ("[" * 50 + "]" * 50, 400, "invalid_body"),
    ],
    ids=lambda value: repr(value)[:40] if isinstance(value, str) else str(value),
)
def test_rest_messages_rasa_would_choke_on_are_refused_with_a_code_and_chinese(body, status, code):
    refusal = edge.check_body("POST", "/webhooks/rest/webhook", "application/json", body.encode("utf-8"))
    assert refusal is not None and (refusal.status, refusal.code) == (status, code)
    assert refusal.message and any("\u4e00" <= ch <= "\u9fff" for ch in refusal.message_zh)


@pytest.mark.parametrize(
    "body",
    [
        '{"sender": "dev-a1-abc123", "message": "你好"}',
        '{"sender": "caller-1.x@host", "message": "' + "很" * 2000 + '"}',
        '{"sender": "s", "message": "hi", "metadata": {"region": "2201"}}',
    ],
    ids=lambda value: repr(value)[:40],
)
def test_what_a_resident_or_program_sends_passes(body):
    assert edge.check_body("POST", "/webhooks/rest/webhook", "application/json", body.encode("utf-8")) is None


@pytest.mark.parametrize(
    "path, body, code",
    [
        ("/model/parse", "{}", "invalid_text"),
        ("/model/parse", '{"text": 3}', "invalid_text"),
        ("/model/parse", '{"text": "hi", "message_id": []}', "invalid_message_id"),
        ("/model/parse", b"\xff\xfe", "invalid_body"),
        ("/conversations/x/messages", '{"text": null, "sender": "user"}', "invalid_text"),
        ("/conversations/x/tracker/events", '[{"event": "action", "name": "\\ud800"}]', "invalid_body"),
        ("/conversations/x/messages", '{"text": "hi", "sender": "user", "parse_data": 5}', "invalid_parse_data"),
        # Rasa reads parse_data["intent"] unchecked: a KeyError, then its own 500.
        (
            "/conversations/x/messages",
            '{"text": "hi", "parse_data": {"text": "hi", "entities": []}}',
            "invalid_parse_data",
        ),
        (
            "/conversations/x/messages",
            '{"text": "hi", "parse_data": {"text": "hi", "intent": {"name": "greet"}, "entities": [5]}}',
            "invalid_parse_data",
        ),
        ("/conversations/x/execute", '{"name": 5}', "invalid_name"),
        ("/conversations/x/execute", '{"name": "action_listen", "policy": 5}', "invalid_policy"),
        ("/conversations/x/execute", '{"name": "action_listen", "confidence": "x"}', "invalid_confidence"),
        ("/conversations/x/trigger_intent", '{"name": "greet", "entities": [5]}', "invalid_entities"),
        ("/model", "null", "invalid_body"),
        ("/model/train", b"\xff\xfe", "invalid_body"),
        # Sanic serves /x/ with the handler of /x: the rules read both alike.
        ("/webhooks/rest/webhook/", '{"sender": "wechat:o_victim", "message": "hi"}', "invalid_sender"),
        ("/webhooks/rest/webhook/", "null", "invalid_body"),
        ("/model/parse/", '{"text": 5}', "invalid_text"),
        ("/conversations/x/messages/", '{"text": 5, "sender": "user"}', "invalid_text"),
    ],
)
def test_the_http_apis_bodies_are_judged_too(path, body, code):
    raw = body if isinstance(body, bytes) else body.encode("utf-8")
    refusal = edge.check_body("PUT" if path == "/model" else "POST", path, "application/json", raw)
    assert refusal is not None and refusal.code == code


@pytest.mark.parametrize(
    "raw_path", ["/conversations/%ED%A0%BD/tracker", "/conversations/a%00b/tracker", "/conversations/%FF/story"]
)
def test_a_conversation_id_that_is_no_text_is_refused(raw_path):
    assert edge.check_path(raw_path).code in ("invalid_path", "invalid_conversation_id")
    assert edge.check_path(raw_path + "/").code in ("invalid_path", "invalid_conversation_id")


def test_conversation_ids_are_namespaced_by_channel():
    assert edge.conversation_id("webchat", "abc") == "webchat:abc"
    assert edge.channel_sender("wechat:oAbC-1", "wechat") == "oAbC-1"
    assert edge.channel_sender("webchat:oAbC-1", "wechat") is None
    assert edge.check_path("/conversations/webchat%3Aabc/tracker") is None  # namespaced ids are ids


def test_the_token_is_checked_in_constant_time_and_only_off_the_public_routes():
    assert edge.check_token("/conversations/x/tracker", None, TOKEN) is edge.UNAUTHORIZED
    assert edge.check_token("/conversations/x/tracker", TOKEN[:-1], TOKEN) is edge.UNAUTHORIZED
    assert edge.check_token("/conversations/x/tracker", "\ud800", TOKEN) is edge.UNAUTHORIZED
    assert edge.check_token("/conversations/x/tracker", TOKEN, TOKEN) is None
    for public in ("/", "/version", "/ready", "/metrics", "/webhooks/rest/webhook"):
        assert edge.check_token(public, None, TOKEN) is None


# --- on Rasa's app ----------------------------------------------------------------------------------
async def test_the_lone_surrogate_sender_is_a_400_before_rasa_reads_it(rasa):
    status, body = await _post(rasa, "/webhooks/rest/webhook", b'{"sender": "\\ud83d", "message": "hi"}')
    assert status == 400 and body["error"]["code"] == "invalid_sender" and body["error"]["message_zh"]
    assert "/webhooks/rest/webhook" not in rasa.reached


@pytest.mark.parametrize("data", [b"", b"null", b"[]", b"{", b'{"message": null}'])
async def test_bodies_that_were_500s_are_400s(rasa, data):
    status, body = await _post(rasa, "/webhooks/rest/webhook", data)
    assert status == 400 and body["error"]["code"].startswith("invalid")


async def test_model_parse_needs_the_token_then_a_text(rasa):
    status, body = await _post(rasa, "/model/parse", b"{")
    assert status == 401 and body["error"]["code"] == "unauthorized"  # a stranger learns nothing of the body
    status, body = await _post(rasa, "/model/parse", b"{", token=TOKEN)
    assert status == 400 and body["error"]["code"] == "invalid_json"
    status, body = await _post(rasa, "/model/parse", b'{"text": 1}', token=TOKEN)
    assert status == 400 and body["error"]["code"] == "invalid_text"


async def test_a_megabyte_message_is_refused_without_being_read_whole(rasa):
    status, body = await _post(rasa, "/webhooks/rest/webhook", json.dumps({"message": "很" * 500_000}).encode())
    assert status == 413 and body["error"]["code"] == "too_large" and "2000" in body["error"]["message_zh"]


async def test_a_chunked_body_over_the_limit_is_413_too(rasa):
    async def chunks():
        for _ in range(100):
            yield b'{"sender": "s", "message": "' + b"x" * 1000

    async with rasa.post("/webhooks/rest/webhook", data=chunks()) as resp:
        assert resp.status == 413 and (await resp.json())["error"]["code"] == "too_large"


async def test_a_url_no_client_sends_is_414_before_the_token_is_read(rasa):
    async with rasa.get("/conversations/" + "a" * 5000 + "/tracker", params={"token": TOKEN}) as resp:
        assert resp.status == 414 and (await resp.json())["error"]["code"] == "url_too_long"


async def test_an_unknown_route_answers_json_not_a_page(rasa):
    async with rasa.get("/webhooks/nothing/here") as resp:
        assert resp.status == 404 and (await resp.json())["error"]["message_zh"]
