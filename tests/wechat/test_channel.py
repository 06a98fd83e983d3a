"""The Rasa-side adapter over real HTTP (Sanic, as Rasa serves it): the body limit is applied while the
body streams in, so an oversized request is refused without being read."""

from __future__ import annotations

import asyncio
import socket

import pytest
from sanic import Sanic

from bot.channels.wechat import WeChatInput
from tests.fakes.wechat import TOKEN, callback, text_xml


@pytest.fixture
async def server(configured, monkeypatch):
    monkeypatch.setenv("JIUZHU_WECHAT_TOKEN", TOKEN)  # plaintext mode: no EncodingAESKey
    monkeypatch.setattr(Sanic, "test_mode", True)  # a second app in one process: skip Sanic's code rewriting
    app = Sanic(f"wechat_channel_test_{id(monkeypatch)}")

    async def on_new_message(message):
        await message.output_channel.send_text_message(message.sender_id, "收到")

    app.blueprint(WeChatInput().blueprint(on_new_message), url_prefix="/webhooks/wechat")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    srv = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True)
    await srv.startup()
    yield port
    srv.close()
    await srv.wait_closed()


async def exchange(port: int, request: bytes) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    await writer.drain()
    status = await asyncio.wait_for(reader.readline(), 10)
    writer.close()
    return int(status.split()[1])


def post(query: dict, headers: str, body: bytes = b"") -> bytes:
    qs = "&".join(f"{k}={v}" for k, v in query.items())
    return f"POST /webhooks/wechat/webhook?{qs} HTTP/1.1\r\nHost: x\r\n{headers}\r\n".encode() + body


async def test_a_signed_message_is_answered_and_an_oversized_body_is_413_unread(server):
    query, body = callback(text_xml("o_http", "你好", 13001))
    assert await exchange(server, post(query, f"Content-Length: {len(body)}\r\n", body)) == 200
    # 100 MB announced, nothing sent: answered at once (Sanic would otherwise wait for all of it).
    assert await exchange(server, post(query, "Content-Length: 100000000\r\n")) == 413
    chunk = b"a" * 50_000
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(2))  # 100 KB, no end chunk
    assert await exchange(server, post(query, "Transfer-Encoding: chunked\r\n", chunked)) == 413
