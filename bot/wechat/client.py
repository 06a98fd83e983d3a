"""The customer-service message API (客服消息): how a reply reaches the user when it missed the
passive-reply window, or did not fit into one message. Async (aiohttp)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Callable, Optional

import aiohttp

from bot.db import utcnow
from bot.wechat.protocol import WeChatConfig
from bot.wechat.store import TokenStore

logger = logging.getLogger("jiuzhu.wechat")

# 40001 invalid credential, 40014 invalid access_token, 42001 access_token expired: fetch a new one.
TOKEN_ERRORS = {40001, 40014, 42001}
# Fetch a new token this long before WeChat says the old one expires (it lives 7200 s).
REFRESH_MARGIN = dt.timedelta(minutes=5)
NETWORK_ATTEMPTS = 3


class WeChatApiError(Exception):
    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"WeChat API error {errcode}: {errmsg}")
        self.errcode = errcode


class CustomerService:
    def __init__(self, config: WeChatConfig, tokens: TokenStore, clock: Callable[[], dt.datetime] = utcnow) -> None:
        self._config = config
        self._tokens = tokens
        self._clock = clock
        self._refreshing = asyncio.Lock()
        self._http: Optional[aiohttp.ClientSession] = None

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()

    def _session(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        return self._http

    async def access_token(self, stale: Optional[str] = None) -> str:
        """The shared token; a new one when it is near expiry or when `stale` was just refused.

        Within a process one task refreshes and the others wait for it. Two processes refreshing at
        the same moment may each fetch one; WeChat keeps the older token valid for five minutes after
        a refresh, and every process reads the stored one before each call, so they converge.
        """
        cached = await self._usable_token(stale)
        if cached:
            return cached
        async with self._refreshing:
            cached = await self._usable_token(stale)
            if cached:
                return cached  # refreshed by another task (or process) meanwhile
            body = await self._call(
                "GET",
                "/cgi-bin/token",
                params={
                    "grant_type": "client_credential",
                    "appid": self._config.app_id,
                    "secret": self._config.app_secret,
                },
            )
            token = body["access_token"]
            expires_at = self._clock() + dt.timedelta(seconds=int(body.get("expires_in", 7200)))
            await asyncio.to_thread(self._tokens.put, self._config.app_id, token, expires_at)
            logger.info("fetched a new WeChat access_token for %s (valid until %s)", self._config.app_id, expires_at)
            return token

    async def _usable_token(self, stale: Optional[str]) -> Optional[str]:
        cached = await asyncio.to_thread(self._tokens.get, self._config.app_id)
        if cached and cached[0] != stale and cached[1] - REFRESH_MARGIN > self._clock():
            return cached[0]
        return None

    async def send_text(self, open_id: str, text: str) -> None:
        payload = {"touser": open_id, "msgtype": "text", "text": {"content": text}}
        token = await self.access_token()
        try:
            await self._call("POST", "/cgi-bin/message/custom/send", params={"access_token": token}, json=payload)
        except WeChatApiError as error:
            if error.errcode not in TOKEN_ERRORS:
                raise
            # Refreshed elsewhere or revoked: once more with a new token, then give up.
            token = await self.access_token(stale=token)
            await self._call("POST", "/cgi-bin/message/custom/send", params={"access_token": token}, json=payload)

    async def _call(self, method: str, path: str, **kwargs) -> dict:
        for attempt in range(1, NETWORK_ATTEMPTS + 1):
            try:
                async with self._session().request(method, self._config.api_base + path, **kwargs) as resp:
                    resp.raise_for_status()
                    body = await resp.json(content_type=None)
                break
            except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                if attempt == NETWORK_ATTEMPTS:
                    raise
                logger.warning(
                    "WeChat API %s failed (%s), attempt %d of %d", path, type(error).__name__, attempt, NETWORK_ATTEMPTS
                )
                await asyncio.sleep(0.5 * 2 ** (attempt - 1))
        if body.get("errcode", 0) != 0:
            raise WeChatApiError(int(body["errcode"]), str(body.get("errmsg", "")))
        return body
