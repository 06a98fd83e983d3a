"""Rasa input channel for the residents' web chat on the 12345 site: the page, its messages, and the
push of staff replies after a handoff (a long-poll on our own store; no socket server needed).

Registered in credentials.yml as `bot.channels.webchat.WebChatInput`; under /webhooks/webchat/:
  GET  chat      the page (mobile-friendly; `?region=2201` says which city's site links to it)
  POST webhook   {"sender", "message", "region"?} → {"messages": […], "waiting_for_staff": bool}
  GET  replies   ?sender=…&after=N → staff replies after message N, held up to POLL_SECONDS
The sender id is made by the page (128 random bits): it is what lets a page read its replies. Its
conversation is `webchat:<sender>` (bot/edge.py), so a page cannot name another channel's conversation.
"""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import runtime
from bot.channels.wechat import body_within
from bot.edge import MAX_MESSAGE_CHARS, conversation_id
from bot.handoff import HandoffMessage
from bot.handoff.takeover import WEB_CHAT
from bot.inputs import InputRefused, clean_text, parse_json

STATIC = Path(__file__).parent / "webchat_static"
ASSETS = {"chat.js": "application/javascript; charset=utf-8", "chat.css": "text/css; charset=utf-8"}
SENDER = re.compile(r"[A-Za-z0-9_-]{16,64}\Z")
REGION = re.compile(r"[0-9]{2,12}\Z")
MAX_BODY_BYTES = 16 * 1024
POLL_SECONDS = 25.0
POLL_EVERY_SECONDS = 1.0
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

# Quick replies for questions whose answers are a few words (the pre-screen's and the emergency's).
_SLASHED = re.compile(r"（([^（）]+/[^（）]+)）")  # （有工作 / 没工作但能干活 / 干不了活）
_KINDS = re.compile(r"哪一类[^（]*（([^（）]+)）")  # （肢体、视力、…或多重）
_EITHER = re.compile(r"住在([一-龥]+?)(?:（[^）]*）)?还是([一-龥]+?)？")
_QUOTED = re.compile(r"(?:回[复答]|说)[^“；。]*?“([^”]{1,6})”")  # 请回复“同意”…回复“不用”


def quick_replies(text: str) -> List[str]:
    """The answers to offer as buttons for the question a message ends with, or none."""
    last = (text or "").strip().split("\n")[-1]
    found = _SLASHED.search(last)
    if found:
        return [c.strip() for c in found.group(1).split("/") if c.strip()]
    found = _KINDS.search(last)
    if found:
        return [c for c in re.split(r"[、或]", found.group(1)) if c]
    found = _EITHER.search(last)
    if found:
        return [found.group(1), found.group(2)]
    choices: List[str] = []
    if "有没有" in last and "？" in last:
        choices = ["有", "没有"]
    for word in _QUOTED.findall(last):
        if word not in choices:
            choices.append(word)
    return choices


def to_page(message: Dict[str, Any]) -> Dict[str, Any]:
    """One bot message for the page: its text, and buttons (its own, else the quick replies)."""
    text = message.get("text") or ""
    buttons = [
        {"title": b["title"], "payload": b.get("payload") or b["title"]}
        for b in message.get("buttons") or []
        if b.get("title")
    ]
    if not buttons:
        buttons = [{"title": c, "payload": c} for c in quick_replies(text)]
    return {"text": text, "buttons": buttons}


def reply_to_page(message: HandoffMessage) -> Dict[str, Any]:
    """A staff member shows as their office, not by name (the resident deals with the office)."""
    who = (
        f"工作人员（{message.staff_office}）" if message.staff_office else ("工作人员" if message.staff_id else "系统")
    )
    return {"id": message.id, "author": message.author.value, "from": who, "text": message.text}


def _error(status: int, code: str, message: str, message_zh: str) -> HTTPResponse:
    return response.json({"error": {"code": code, "message": message, "message_zh": message_zh}}, status=status)


class WebChatInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return WEB_CHAT

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("webchat_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/chat", methods=["GET"])
        async def page(_request: Request) -> HTTPResponse:
            html = (STATIC / "chat.html").read_text(encoding="utf-8")
            return response.html(html, headers=PAGE_HEADERS)

        @webhook.route("/static/<name>", methods=["GET"])
        async def asset(_request: Request, name: str) -> HTTPResponse:
            if name not in ASSETS:
                return _error(404, "not_found", "no such file", "没有这个文件")
            body = (STATIC / name).read_text(encoding="utf-8")
            return response.text(body, content_type=ASSETS[name], headers={"X-Content-Type-Options": "nosniff"})

        @webhook.route("/webhook", methods=["POST"], stream=True)
        async def receive(request: Request) -> HTTPResponse:
            raw = await body_within(request, MAX_BODY_BYTES)
            if raw is None:
                return _error(413, "too_large", f"body over {MAX_BODY_BYTES} bytes", "消息太长了")
            try:
                body = parse_json(raw.decode("utf-8"))  # strict and depth-bounded, as at the edge
            except (UnicodeDecodeError, ValueError, InputRefused):
                body = None
            if not isinstance(body, dict):
                return _error(400, "invalid_body", "body must be a JSON object", "请求内容应为 JSON 对象")
            sender, text, region = body.get("sender"), body.get("message"), body.get("region")
            if not isinstance(sender, str) or not SENDER.match(sender):
                return _error(
                    400, "invalid_sender", "sender: 16–64 letters, digits, - or _", "会话标识无效，请刷新页面"
                )
            try:
                text = clean_text(text, max_length=MAX_MESSAGE_CHARS)
            except InputRefused as refused:
                return _error(400, "invalid_message", f"message: {refused.reason}", f"消息{refused.message_zh}")
            if not text:
                return _error(400, "invalid_message", "message: empty", "请输入要发送的内容")
            if region is not None and (not isinstance(region, str) or not REGION.match(region)):
                return _error(400, "invalid_region", "region: an administrative code (digits)", "地区代码无效")
            service = runtime.handoff_service()
            conversation = conversation_id(self.name(), sender)
            # While a person has the conversation the bot is paused: the staff member reads it here.
            await asyncio.to_thread(service.heard, conversation, text)
            collector = CollectingOutputChannel()
            await on_new_message(
                UserMessage(
                    text,
                    collector,
                    conversation,
                    input_channel=self.name(),
                    metadata={"region": region} if region else None,
                )
            )
            waiting = await asyncio.to_thread(service.get_open, conversation) is not None
            return response.json({"messages": [to_page(m) for m in collector.messages], "waiting_for_staff": waiting})

        @webhook.route("/replies", methods=["GET"])
        async def replies(request: Request) -> HTTPResponse:
            sender = request.args.get("sender", "")
            after = request.args.get("after", "0")
            if not SENDER.match(sender):
                return _error(
                    400, "invalid_sender", "sender: 16–64 letters, digits, - or _", "会话标识无效，请刷新页面"
                )
            if not after.isascii() or not after.isdigit() or len(after) > 12:
                return _error(400, "invalid_after", "after: a message id (digits)", "参数 after 无效")
            service = runtime.handoff_service()
            conversation = conversation_id(self.name(), sender)
            deadline = time.monotonic() + POLL_SECONDS
            while True:
                found = await asyncio.to_thread(service.replies_after, conversation, int(after))
                if found or time.monotonic() >= deadline:
                    break
                await asyncio.sleep(POLL_EVERY_SECONDS)
            waiting = await asyncio.to_thread(service.get_open, conversation) is not None
            return response.json({"messages": [reply_to_page(m) for m in found], "waiting_for_staff": waiting})

        return webhook
