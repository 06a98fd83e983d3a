"""Staff authentication, one module for every staff route: the queue's and the hotline's APIs take a
bearer token (or the console's cookie) and answer 401; the console's pages send to the login page."""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections import deque
from typing import Deque, Dict, Optional

from aiohttp import web

from bot.api.errors import dumps, error_body
from bot.leads import Staff, StaffService

STAFF_KEY = web.AppKey("staff", StaffService)
SESSION_COOKIE = "jiuzhu_session"
LOGIN_PAGE = "/console/login"


class TokenGuesses:
    """Failed token look-ups per client address. After `limit` failures within `window` seconds the
    address is answered 429 (with Retry-After) until the oldest failure leaves the window: guessing a
    32-byte token is hopeless anyway, but a flood of guesses costs a database look-up each."""

    def __init__(self, limit: int = 10, window: float = 60.0, clock=time.monotonic) -> None:
        self.limit, self.window, self._clock = limit, window, clock
        self._failures: Dict[str, Deque[float]] = {}
        self._lock = threading.Lock()

    def wait(self, client: str) -> float:
        """Seconds this client must wait before its next try (0: it may try now)."""
        now = self._clock()
        with self._lock:
            failures = self._failures.get(client)
            while failures and now - failures[0] >= self.window:
                failures.popleft()
            if not failures:
                self._failures.pop(client, None)
                return 0.0
            return self.window - (now - failures[0]) if len(failures) >= self.limit else 0.0

    def failed(self, client: str) -> None:
        with self._lock:
            if len(self._failures) > 100_000:  # a flood from many addresses must not fill memory
                self._failures.clear()
            self._failures.setdefault(client, deque()).append(self._clock())


GUESSES_KEY = web.AppKey("token_guesses", TokenGuesses)


async def _checked(request: web.Request, secret: str, look_up) -> Optional[Staff]:
    """A token or session id looked up, unless this client has guessed wrong too often (429)."""
    if not secret:
        return None
    guesses = request.app.get(GUESSES_KEY)
    client = request.remote or "?"
    if guesses is not None:
        wait = guesses.wait(client)
        if wait > 0:
            raise web.HTTPTooManyRequests(
                text=dumps(
                    error_body(
                        "too_many_attempts", "too many wrong tokens; retry later", "令牌错误次数过多，请稍后再试"
                    )
                ),
                content_type="application/json",
                headers={"Retry-After": str(max(1, math.ceil(wait)))},
            )
    member = await asyncio.to_thread(look_up, secret)
    if member is None and guesses is not None:
        guesses.failed(client)
    return member


async def staff_for_token(request: web.Request, token: str) -> Optional[Staff]:
    return await _checked(request, token, request.app[STAFF_KEY].authenticate)


async def staff_for_session(request: web.Request) -> Optional[Staff]:
    """The console's cookie holds a session id (logout revokes it), never the token itself."""
    return await _checked(request, request.cookies.get(SESSION_COOKIE, ""), request.app[STAFF_KEY].by_session)


async def current_staff(request: web.Request) -> Staff:
    """For the API: `Authorization: Bearer …`, else the console's cookie; a 401 without a valid one."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        member = await staff_for_token(request, header[7:].strip())
    else:
        member = await staff_for_session(request)
    if member is None:
        raise web.HTTPUnauthorized(
            text=dumps(
                {
                    "error": {
                        "code": "unauthorized",
                        "message": "a valid staff token is required",
                        "message_zh": "请先登录（需要有效的工作人员令牌）",
                    }
                }
            ),
            content_type="application/json",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return member


async def page_staff(request: web.Request) -> Staff:
    """For the console's pages: the cookie's staff member, else to the login page."""
    member = await staff_for_session(request)
    if member is None:
        raise web.HTTPSeeOther(LOGIN_PAGE)
    return member
