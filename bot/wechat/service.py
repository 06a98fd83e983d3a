"""One WeChat callback, start to end: check it, take it once, get the assistant's answer, and reply
passively within the window or through the customer-service API after it.

Channel-free: `answer` is any coroutine (open_id, text, message_id) → list of texts; the Rasa channel
passes one that runs the conversation.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from dataclasses import dataclass
from typing import Awaitable, Callable, List, Mapping, Optional, Set

from bot.edge import MAX_MESSAGE_CHARS
from bot.inputs import InputRefused, clean_text
from bot.wechat.client import CustomerService
from bot.wechat.protocol import BadMessage, BadSignature, Inbound, Protocol, TooLarge, split_text
from bot.wechat.store import DeliveryLog

logger = logging.getLogger("jiuzhu.wechat")

Answer = Callable[[str, str, Optional[str]], Awaitable[List[str]]]

# What the channel itself says; everything else comes from the conversation.
ASK_FOR_TEXT = "抱歉，没能识别这条语音。请用文字把您的问题发给我。"
UNSUPPORTED = "目前我只能看懂文字和语音消息。请用文字描述您的问题，比如“低保怎么申请”。"
TOO_LONG = "这条消息太长了（最多 {limit} 个字），请分几次发给我。"
UNREADABLE = "这条消息里有无法识别的字符，请换个说法再发一次。"
FAILED = "抱歉，系统暂时出了点问题，请稍后再发一次。着急的话请拨打12345政务服务便民热线；遇到生命危险请立即拨打110、120或119。"
# Sent into the conversation when someone follows the account: it answers with its welcome.
WELCOME_INTENT = "/greet"
# Passive reply and the messages after it: give WeChat a moment to deliver the first one first.
FOLLOW_UP_DELAY_SECONDS = 0.3


@dataclass
class Reply:
    status: int
    body: str
    content_type: str = "text/plain; charset=utf-8"

    @classmethod
    def success(cls) -> "Reply":
        # WeChat's "received, nothing to say now" (an empty body works too; `success` is explicit).
        return cls(200, "success")


class WeChatService:
    def __init__(
        self, protocol: Protocol, deliveries: DeliveryLog, sender: Optional[CustomerService], reply_seconds: float
    ) -> None:
        # A request is accepted only within W seconds of its signed timestamp, so a captured one can be
        # replayed at most 2W after it first arrived: the dedupe must remember keys at least that long,
        # then every replay is either refused (old timestamp) or recognised (remembered key).
        window = dt.timedelta(seconds=2 * protocol.config.timestamp_window_seconds)
        if deliveries.keep < window:
            raise ValueError(f"deliveries must be remembered for at least {window} (twice the timestamp window)")
        self.protocol = protocol
        self._deliveries = deliveries
        self._sender = sender
        self._reply_seconds = reply_seconds
        self._background: Set[asyncio.Task] = set()

    def verify_server(self, query: Mapping[str, str]) -> Reply:
        try:
            return Reply(200, self.protocol.echo(query))
        except BadSignature as error:
            return Reply(403, f"signature refused: {error}")

    async def handle(self, query: Mapping[str, str], body: bytes, answer: Answer) -> Reply:
        started = time.monotonic()
        try:
            inbound = self.protocol.read(query, body)
        except TooLarge as error:
            logger.warning("WeChat callback refused: %s", error)
            return Reply(413, f"body too large: {error}")
        except BadSignature as error:
            logger.warning("WeChat callback refused: %s", error)
            return Reply(403, f"signature refused: {error}")
        except BadMessage as error:
            logger.warning("WeChat callback unreadable: %s", error)
            return Reply(400, f"malformed message: {error}")
        if inbound.kind == "silent":
            return Reply.success()
        if not await asyncio.to_thread(self._deliveries.claim, inbound.delivery_key):
            logger.info("WeChat retry of %s ignored: already taken", inbound.delivery_key)
            return Reply.success()
        if inbound.kind == "unsupported":
            return self._passive(inbound, UNSUPPORTED, query)
        if inbound.kind == "voice" and inbound.text is None:
            return self._passive(inbound, ASK_FOR_TEXT, query)
        text = WELCOME_INTENT if inbound.kind == "subscribe" else inbound.text
        try:  # the edge's rule for every channel (bot/edge.py), told to the resident in their chat
            text = clean_text(text, max_length=MAX_MESSAGE_CHARS)
        except InputRefused as refused:
            logger.info("WeChat message %s refused: %s", inbound.delivery_key, refused.reason)
            too_long = refused.reason.startswith("longer")
            return self._passive(inbound, TOO_LONG.format(limit=MAX_MESSAGE_CHARS) if too_long else UNREADABLE, query)
        message_id = inbound.delivery_key
        task = asyncio.ensure_future(answer(inbound.open_id, text, message_id))
        remaining = self._reply_seconds - (time.monotonic() - started)
        done, _ = await asyncio.wait({task}, timeout=max(remaining, 0))
        if not done:
            # Too slow for a passive reply: acknowledge now, send the answer when it is there.
            self._keep(self._answer_later(inbound.open_id, task))
            return Reply.success()
        try:
            pieces = self._pieces(task.result())
        except Exception:  # noqa: BLE001 - the user gets an apology, the log the cause
            logger.exception("answering WeChat message %s failed", message_id)
            return self._passive(inbound, FAILED, query)
        if not pieces:
            return Reply.success()
        if len(pieces) > 1:
            self._keep(self._send(inbound.open_id, pieces[1:], delay=FOLLOW_UP_DELAY_SECONDS))
        return self._passive(inbound, pieces[0], query)

    def _passive(self, inbound: Inbound, text: str, query: Mapping[str, str]) -> Reply:
        return Reply(200, self.protocol.reply(inbound, text, query), "application/xml; charset=utf-8")

    @staticmethod
    def _pieces(texts: List[str]) -> List[str]:
        return split_text("\n\n".join(t.strip() for t in texts if t and t.strip()))

    def _keep(self, coroutine) -> None:
        task = asyncio.ensure_future(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _answer_later(self, open_id: str, task: Awaitable[List[str]]) -> None:
        try:
            pieces = self._pieces(await task)
        except Exception:  # noqa: BLE001
            logger.exception("answering a WeChat message for the customer-service API failed")
            pieces = [FAILED]
        await self._send(open_id, pieces)

    async def _send(self, open_id: str, pieces: List[str], delay: float = 0) -> None:
        if delay:
            await asyncio.sleep(delay)
        if self._sender is None:
            logger.error(
                "a WeChat reply missed the passive window but no AppID/AppSecret is set: %d piece(s) dropped",
                len(pieces),
            )
            return
        for piece in pieces:
            try:
                await self._sender.send_text(open_id, piece)
            except Exception:  # noqa: BLE001 - one failed piece must not stop the ones after it
                logger.exception("customer-service message to a WeChat user failed")

    async def drain(self) -> None:
        """Wait for replies still being sent (tests, shutdown)."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)
