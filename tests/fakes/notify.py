"""Local stand-ins for the servers notifications go to: a 企业微信 group robot, an HTTP SMS gateway and
WeChat's template-message API. Each runs in a thread on 127.0.0.1, can go down and come back on the
same port, can answer slowly (to kill a sender mid-send), and counts what it received by notification
number (N<id> in every message), so a test can tell delivered, lost and duplicated apart."""

from __future__ import annotations

import asyncio
import collections
import re
import threading
import time
from typing import Callable, Dict, Iterable, List, Optional

from aiohttp import web

from tests.fakes.wechat import FakeWeChatApi

ROBOT_KEY = "robot-key-0001"
SMS_TOKEN = "sms-token-0001"
NUMBER = re.compile(r"(?<![A-Za-z0-9])N(\d+)")


class _ThreadServer:
    def __init__(self) -> None:
        self.received: List[dict] = []
        self.delay = 0.0  # seconds between taking a message and answering
        self.port: Optional[int] = None
        self.url = ""
        self._lock = threading.Lock()
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._runner: Optional[web.AppRunner] = None

    def app(self) -> web.Application:  # pragma: no cover - each fake has its own
        raise NotImplementedError

    def record(self, entry: dict) -> None:
        with self._lock:
            self.received.append({**entry, "at": time.monotonic()})

    # --- what arrived -----------------------------------------------------------------------------
    def texts(self) -> List[str]:
        with self._lock:
            return [entry["text"] for entry in self.received]

    def numbers(self) -> collections.Counter:
        """Notification number → how many times a message carrying it arrived."""
        return collections.Counter(int(n) for text in self.texts() for n in set(NUMBER.findall(text)))

    def repeated_messages(self) -> int:
        """Messages carrying a notification number that had arrived before (a digest repeats many)."""
        seen: set = set()
        repeated = 0
        for text in self.texts():
            numbers = set(NUMBER.findall(text))
            repeated += bool(numbers & seen)
            seen |= numbers
        return repeated

    def wait_for(self, check: Callable[[], bool], timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if check():
                return
            time.sleep(0.05)
        raise AssertionError(f"{type(self).__name__}: condition not met in {timeout}s; received {self.texts()}")

    # --- lifecycle -------------------------------------------------------------------------------
    async def _up(self) -> None:
        self._runner = web.AppRunner(self.app())
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port or 0, reuse_address=True)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self) -> str:
        ready = threading.Event()

        def run() -> None:
            self._loop = asyncio.new_event_loop()
            self._loop.run_until_complete(self._up())
            ready.set()
            self._loop.run_forever()

        threading.Thread(target=run, daemon=True, name=type(self).__name__).start()
        ready.wait(10)
        return self.url

    def down(self) -> None:
        """Stop listening (connections are refused) until `up`."""
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)

    def up(self) -> None:
        asyncio.run_coroutine_threadsafe(self._up(), self._loop).result(10)

    def stop(self) -> None:
        if self._loop is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
            self._loop.call_soon_threadsafe(self._loop.stop)


class FakeWeComRobot(_ThreadServer):
    """POST /cgi-bin/webhook/send?key=KEY as 企业微信 answers it: 93000 for a wrong key, 40058 for
    content over 2048 bytes, 45009 beyond `per_minute` messages a minute."""

    def __init__(self, key: str = ROBOT_KEY, per_minute: int = 20) -> None:
        super().__init__()
        self.key = key
        self.per_minute = per_minute

    async def _send(self, request: web.Request) -> web.Response:
        if request.query.get("key") != self.key:
            return web.json_response({"errcode": 93000, "errmsg": "invalid webhook url"})
        body = await request.json()
        kind = body.get("msgtype")
        content = (body.get(kind) or {}).get("content", "") if kind in ("text", "markdown") else ""
        if not content:
            return web.json_response({"errcode": 40008, "errmsg": "invalid message type"})
        if len(content.encode("utf-8")) > 2048:
            return web.json_response({"errcode": 40058, "errmsg": "content exceed max length"})
        recent = [e for e in self.received if e["at"] > time.monotonic() - 60]
        if len(recent) >= self.per_minute:
            return web.json_response({"errcode": 45009, "errmsg": "api freq out of limit"})
        self.record({"text": content, "mentioned": body[kind].get("mentioned_list", [])})
        await asyncio.sleep(self.delay)
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/cgi-bin/webhook/send", self._send)
        return app


class FakeSmsGateway(_ThreadServer):
    """POST /sms/send with a bearer token and {"phones", "content", "reference"}, as README documents."""

    def __init__(self, token: str = SMS_TOKEN) -> None:
        super().__init__()
        self.token = token

    async def _send(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return web.json_response({"ok": False, "error": "unauthorised"}, status=401)
        body = await request.json()
        if not body.get("phones") or not body.get("content"):
            return web.json_response({"ok": False, "error": "phones and content required"}, status=400)
        self.record({"text": body["content"], "phones": body["phones"], "reference": body.get("reference")})
        await asyncio.sleep(self.delay)
        return web.json_response({"ok": True, "id": len(self.received)})

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/sms/send", self._send)
        return app


class FakeWeChatTemplateApi(_ThreadServer):
    """WeChat's /cgi-bin/token and /cgi-bin/message/template/send (the token rules of FakeWeChatApi)."""

    def __init__(self) -> None:
        super().__init__()
        self.tokens = FakeWeChatApi()

    async def _template(self, request: web.Request) -> web.Response:
        token = request.query.get("access_token", "")
        if token not in self.tokens.tokens_issued or token in self.tokens.revoked:
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})
        body = await request.json()
        if not body.get("touser") or not body.get("template_id") or not isinstance(body.get("data"), dict):
            return web.json_response({"errcode": 47001, "errmsg": "data format error"})
        text = "\n".join(str(v.get("value", "")) for v in body["data"].values())
        self.record({"text": text, "touser": body["touser"], "template_id": body["template_id"], "data": body["data"]})
        await asyncio.sleep(self.delay)
        return web.json_response({"errcode": 0, "errmsg": "ok", "msgid": len(self.received)})

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/cgi-bin/token", self.tokens._token)
        app.router.add_post("/cgi-bin/message/template/send", self._template)
        return app

    def to(self, open_id: str) -> List[dict]:
        return [entry for entry in self.received if entry["touser"] == open_id]


def counts(numbers: collections.Counter, expected: Iterable[int]) -> Dict[str, int]:
    """delivered (distinct expected numbers that arrived), lost, duplicates (arrivals beyond the first)."""
    expected = set(expected)
    delivered = sum(1 for n in expected if numbers[n] > 0)
    return {
        "delivered": delivered,
        "lost": len(expected) - delivered,
        "duplicates": sum(count - 1 for n, count in numbers.items() if n in expected and count > 1),
    }
