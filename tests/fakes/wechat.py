"""A local stand-in for WeChat: the API server (access_token, customer-service messages) and the
callbacks WeChat sends, signed and encrypted exactly as WeChat does, with wechatpy's code.

Used by the tests and by bench/wechat; it runs in a thread so synchronous code can use it too.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import string
import threading
import time
from typing import Dict, List, Optional, Tuple

import xmltodict
from aiohttp import web
from wechatpy.crypto import WeChatCrypto

TOKEN = "jiuzhuTestToken2026"
APP_ID = "wx0123456789abcdef"
APP_SECRET = "0123456789abcdef0123456789abcdef"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # 43 characters, as the console shows
ACCOUNT = "gh_jiuzhu_test"


class FakeWeChatApi:
    """GET /cgi-bin/token and POST /cgi-bin/message/custom/send, with WeChat's error codes."""

    def __init__(self, expires_in: int = 7200) -> None:
        self.expires_in = expires_in
        self.tokens_issued: List[str] = []
        self.revoked: set = set()
        self.messages: List[dict] = []  # what reached users: {"touser", "content", "at"}
        self.refuse_every_token = False
        self._lock = threading.Lock()
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._runner: Optional[web.AppRunner] = None
        self.url = ""

    # --- server -------------------------------------------------------------------------------
    async def _token(self, request: web.Request) -> web.Response:
        q = request.query
        if q.get("grant_type") != "client_credential" or q.get("appid") != APP_ID or q.get("secret") != APP_SECRET:
            return web.json_response({"errcode": 40013, "errmsg": "invalid appid"})
        with self._lock:
            token = f"TOKEN-{len(self.tokens_issued) + 1}-" + "".join(random.choices(string.ascii_letters, k=16))
            self.tokens_issued.append(token)
        return web.json_response({"access_token": token, "expires_in": self.expires_in})

    async def _send(self, request: web.Request) -> web.Response:
        token = request.query.get("access_token", "")
        with self._lock:
            known = token in self.tokens_issued and token not in self.revoked and not self.refuse_every_token
        if not known:
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential, access_token is invalid"})
        body = await request.json()
        if body.get("msgtype") != "text" or not body.get("touser") or not body.get("text", {}).get("content"):
            return web.json_response({"errcode": 44002, "errmsg": "empty post data"})
        content = body["text"]["content"]
        if len(content.encode("utf-8")) > 2048:
            return web.json_response({"errcode": 45002, "errmsg": "content size out of limit"})
        with self._lock:
            self.messages.append({"touser": body["touser"], "content": content, "at": time.monotonic()})
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    def revoke_all(self) -> None:
        """As if the token had been refreshed elsewhere: every token issued so far is refused (40001)."""
        with self._lock:
            self.revoked.update(self.tokens_issued)

    def messages_to(self, open_id: str) -> List[str]:
        with self._lock:
            return [m["content"] for m in self.messages if m["touser"] == open_id]

    def wait_for(self, open_id: str, count: int = 1, timeout: float = 15) -> List[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.messages_to(open_id)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(
            f"{count} customer-service message(s) to {open_id} expected, got {self.messages_to(open_id)}"
        )

    # --- lifecycle ----------------------------------------------------------------------------
    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/cgi-bin/token", self._token)
        app.router.add_post("/cgi-bin/message/custom/send", self._send)
        return app

    async def start_async(self, port: int = 0) -> str:
        self._runner = web.AppRunner(self.app())
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"
        return self.url

    async def stop_async(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def start_in_thread(self) -> str:
        ready = threading.Event()

        def run() -> None:
            self._loop = asyncio.new_event_loop()
            self._loop.run_until_complete(self.start_async())
            ready.set()
            self._loop.run_forever()

        threading.Thread(target=run, daemon=True, name="fake-wechat-api").start()
        ready.wait(10)
        return self.url

    def stop_thread(self) -> None:
        if self._loop is not None:
            asyncio.run_coroutine_threadsafe(self.stop_async(), self._loop).result(10)
            self._loop.call_soon_threadsafe(self._loop.stop)


# --- callbacks, as WeChat sends them ---------------------------------------------------------------
def _sign(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def text_xml(open_id: str, content: str, msg_id: int, create_time: Optional[int] = None) -> str:
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{open_id}]]></FromUserName>"
        f"<CreateTime>{create_time or int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>"
    )


def voice_xml(open_id: str, recognition: Optional[str], msg_id: int) -> str:
    heard = f"<Recognition><![CDATA[{recognition}]]></Recognition>" if recognition is not None else ""
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{open_id}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[voice]]></MsgType>"
        f"<MediaId><![CDATA[media1]]></MediaId><Format><![CDATA[amr]]></Format>{heard}<MsgId>{msg_id}</MsgId></xml>"
    )


def event_xml(open_id: str, event: str, create_time: int) -> str:
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{open_id}]]></FromUserName>"
        f"<CreateTime>{create_time}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        f"<Event><![CDATA[{event}]]></Event></xml>"
    )


def image_xml(open_id: str, msg_id: int) -> str:
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{open_id}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[image]]></MsgType>"
        f"<PicUrl><![CDATA[http://example.invalid/a.jpg]]></PicUrl><MediaId><![CDATA[m]]></MediaId><MsgId>{msg_id}</MsgId></xml>"
    )


def callback(
    xml: str, encrypted: bool = False, token: str = TOKEN, timestamp: Optional[int] = None
) -> Tuple[Dict[str, str], bytes]:
    """(query, body) of a callback, signed with `token` at `timestamp` (now by default); in safe mode the
    message is AES-encrypted."""
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    nonce = "".join(random.choices(string.digits, k=10))
    query = {
        "signature": _sign(token, timestamp, nonce),
        "timestamp": timestamp,
        "nonce": nonce,
        "openid": xmltodict.parse(xml)["xml"]["FromUserName"],
    }
    if not encrypted:
        return query, xml.encode("utf-8")
    sealed = xmltodict.parse(WeChatCrypto(token, AES_KEY, APP_ID).encrypt_message(xml, nonce, timestamp))["xml"][
        "Encrypt"
    ]
    query.update(encrypt_type="aes", msg_signature=_sign(token, timestamp, nonce, sealed))
    body = f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><Encrypt><![CDATA[{sealed}]]></Encrypt></xml>"
    return query, body.encode("utf-8")


def read_reply(body: str, query: Dict[str, str]) -> dict:
    """A passive reply as the user's WeChat would show it; an encrypted one is checked and opened."""
    outer = xmltodict.parse(body)["xml"]
    if "Encrypt" in outer:
        body = WeChatCrypto(TOKEN, AES_KEY, APP_ID).decrypt_message(
            body, outer["MsgSignature"], outer["TimeStamp"], outer["Nonce"]
        )
    return xmltodict.parse(body)["xml"]


def account_environment(api_url: str) -> Dict[str, str]:
    """The JIUZHU_WECHAT_* settings of the test account, talking to a fake API server at `api_url`."""
    return {
        "JIUZHU_WECHAT_TOKEN": TOKEN,
        "JIUZHU_WECHAT_APP_ID": APP_ID,
        "JIUZHU_WECHAT_APP_SECRET": APP_SECRET,
        "JIUZHU_WECHAT_ENCODING_AES_KEY": AES_KEY,
        "JIUZHU_WECHAT_API_BASE": api_url,
    }
