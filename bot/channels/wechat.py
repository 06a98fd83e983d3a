"""Rasa input channel for the WeChat Official Account: a thin adapter over `bot.wechat`.

Registered in credentials.yml as `bot.channels.wechat.WeChatInput`; WeChat calls
/webhooks/wechat/webhook. Every value comes from the JIUZHU_WECHAT_* settings.
"""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.exceptions import PayloadTooLarge
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import runtime
from bot.edge import conversation_id
from bot.handoff.takeover import WECHAT
from bot.wechat import Reply

NOT_CONFIGURED = Reply(503, "WeChat channel is not configured: set JIUZHU_WECHAT_TOKEN (see README)")


def render(message: Dict[str, Any]) -> str:
    """One bot message as WeChat text: buttons become the words to reply with."""
    text = message.get("text") or ""
    titles = [b.get("title") for b in message.get("buttons") or [] if b.get("title")]
    if titles:
        text += "\n（可以直接回复：" + "、".join(f"“{t}”" for t in titles) + "）"
    return text


class WeChatInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return WECHAT

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("wechat_webhook", __name__)

        async def answer(open_id: str, text: str, message_id: Optional[str]) -> List[str]:
            conversation = conversation_id(self.name(), open_id)  # no other channel can name it
            # While a person has the conversation the bot is paused: the staff member reads it here.
            await asyncio.to_thread(runtime.handoff_service().heard, conversation, text)
            collector = CollectingOutputChannel()
            await on_new_message(
                UserMessage(text, collector, conversation, input_channel=self.name(), message_id=message_id)
            )
            return [render(m) for m in collector.messages]

        def send(reply: Reply) -> HTTPResponse:
            return response.text(reply.body, status=reply.status, content_type=reply.content_type)

        @webhook.route("/", methods=["GET"])
        async def health(_request: Request) -> HTTPResponse:
            return response.json({"status": "ok", "configured": runtime.wechat_service() is not None})

        @webhook.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            service = runtime.wechat_service()
            return send(service.verify_server(_query(request)) if service else NOT_CONFIGURED)

        # Streamed, so that a body over the limit is refused without being read (Sanic would otherwise
        # take up to REQUEST_MAX_SIZE, 100 MB, before this handler runs).
        @webhook.route("/webhook", methods=["POST"], stream=True)
        async def receive(request: Request) -> HTTPResponse:
            service = runtime.wechat_service()
            if service is None:
                return send(NOT_CONFIGURED)
            limit = service.protocol.config.max_body_bytes
            body = await body_within(request, limit)
            if body is None:
                return send(Reply(413, f"body too large: the limit is {limit} bytes"))
            return send(await service.handle(_query(request), body, answer))

        return webhook


async def body_within(request: Request, limit: int) -> Optional[bytes]:
    """The request body, or None as soon as it is known to exceed `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    if request.stream is None:  # no body at all
        return request.body or b""
    # Sanic stops a chunked body here too; after the handler it drains at most this much, then closes.
    request.stream.request_max_size = limit
    chunks: List[bytes] = []
    try:
        async for chunk in request.stream:
            chunks.append(chunk)
    except PayloadTooLarge:
        return None
    return b"".join(chunks)


def _query(request: Request) -> Dict[str, str]:
    return {name: values[0] for name, values in request.args.items() if values}
