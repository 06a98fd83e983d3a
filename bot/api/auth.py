"""Staff authentication, one module for every staff route: the queue's and the hotline's APIs take a
bearer token (or the console's cookie) and answer 401; the console's pages send to the login page."""

from __future__ import annotations

import asyncio
from typing import Optional

from aiohttp import web

from bot.api.errors import dumps
from bot.leads import Staff, StaffService

STAFF_KEY = web.AppKey("staff", StaffService)
TOKEN_COOKIE = "jiuzhu_token"
LOGIN_PAGE = "/console/login"


async def staff_for_token(request: web.Request, token: str) -> Optional[Staff]:
    return await asyncio.to_thread(request.app[STAFF_KEY].authenticate, token) if token else None


async def current_staff(request: web.Request) -> Staff:
    """For the API: `Authorization: Bearer …`, else the console's cookie; a 401 without a valid one."""
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else request.cookies.get(TOKEN_COOKIE, "")
    member = await staff_for_token(request, token)
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
    member = await staff_for_token(request, request.cookies.get(TOKEN_COOKIE, ""))
    if member is None:
        raise web.HTTPSeeOther(LOGIN_PAGE)
    return member
