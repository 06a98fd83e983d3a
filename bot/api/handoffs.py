"""Conversations waiting for a person (转人工): the staff API and the console's pages over one service.

A staff member sees the requests of their region (bot/leads/access.py), claims one, writes replies that
reach the resident in their own channel (bot/handoff/takeover.py), reads the resident's new messages
(the page polls the API) and hands the conversation back to the assistant (Rasa's resume).
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import List, Optional
from urllib.parse import urlencode

from aiohttp import web

from bot.api.auth import current_staff, page_staff
from bot.api.errors import bad_request, dumps, json_object
from bot.api.pages import local_time, redirect, render
from bot.handoff import HandoffError, HandoffMessage, HandoffRequest, HandoffService, Takeover
from bot.inputs import parse_id
from bot.leads import LeadError
from bot.leads.model import CHANNEL_NAMES, SourceChannel

HANDOFFS_KEY = web.AppKey("handoffs", HandoffService)
TAKEOVER_KEY = web.AppKey("takeover", Takeover)
# The channels as the resident used them (Rasa's input channel names).
CHANNELS = {"webchat": "网页对话", "wechat": "微信公众号", "rest": "接口（程序）", "unknown": "未知渠道"}
SPEAKERS = {"user": "居民", "bot": "助手", "resident": "居民", "staff": "工作人员", "system": "系统"}


def _iso(value: Optional[datetime]) -> Optional[str]:
    return value.isoformat() if value else None


def channel_name(channel: str) -> str:
    if channel in CHANNELS:
        return CHANNELS[channel]
    try:
        return CHANNEL_NAMES[SourceChannel(channel)]
    except ValueError:
        return channel


def handoff_to_dict(handoff: HandoffRequest) -> dict:
    return {
        "id": handoff.id,
        "conversation_id": handoff.conversation_id,
        "channel": handoff.channel,
        "channel_name": channel_name(handoff.channel),
        "status": handoff.status.value,
        "urgent": handoff.urgent,
        "region": handoff.region,
        "requested_at": _iso(handoff.requested_at),
        "requested_at_local": local_time(handoff.requested_at),
        "last_heard_at": _iso(handoff.last_heard_at),
        "claimed_by": handoff.claimed_by,
        "claimed_by_name": handoff.claimed_by_name,
        "claimed_at": _iso(handoff.claimed_at),
        "resumed_by": handoff.resumed_by,
        "resumed_at": _iso(handoff.resumed_at),
        "transcript": [
            {"speaker": line["speaker"], "speaker_name": SPEAKERS.get(line["speaker"], ""), "text": line["text"]}
            for line in handoff.transcript
        ],
    }


def message_to_dict(message: HandoffMessage) -> dict:
    who = SPEAKERS[message.author.value]
    if message.staff_name:
        who = f"{message.staff_name}（{message.staff_office}）"
    return {**message.to_dict(), "speaker_name": who, "at_local": local_time(message.at)}


def _handoff_id(request: web.Request) -> int:
    found = parse_id(request.match_info["id"])
    if found is None:
        raise bad_request("invalid_id", "the handoff id must be an integer from 1 to 2147483647", "请求编号不正确")
    return found


def _after(request: web.Request) -> int:
    raw = request.query.get("after", "0")
    found = 0 if raw == "0" else parse_id(raw)
    if found is None:
        raise bad_request("invalid_after", "after must be a message id", "参数 after 不正确")
    return found


# --- API ------------------------------------------------------------------------------------------
async def list_handoffs(request: web.Request) -> web.Response:
    staff = await current_staff(request)
    found = await asyncio.to_thread(request.app[HANDOFFS_KEY].waiting, staff)
    return web.json_response({"handoffs": [handoff_to_dict(h) for h in found]}, dumps=dumps)


async def get_handoff(request: web.Request) -> web.Response:
    staff = await current_staff(request)
    handoff, messages = await asyncio.to_thread(
        request.app[HANDOFFS_KEY].get, _handoff_id(request), staff, _after(request)
    )
    return web.json_response(
        {"handoff": handoff_to_dict(handoff), "messages": [message_to_dict(m) for m in messages]}, dumps=dumps
    )


async def claim_handoff(request: web.Request) -> web.Response:
    staff = await current_staff(request)
    handoff = await asyncio.to_thread(request.app[HANDOFFS_KEY].claim, _handoff_id(request), staff)
    return web.json_response({"handoff": handoff_to_dict(handoff)}, dumps=dumps)


async def post_message(request: web.Request) -> web.Response:
    staff = await current_staff(request)
    handoff_id = _handoff_id(request)
    body = await json_object(request)
    message = await request.app[TAKEOVER_KEY].reply(handoff_id, staff, body.get("text"))
    return web.json_response({"message": message_to_dict(message)}, status=201, dumps=dumps)


async def resume_handoff(request: web.Request) -> web.Response:
    staff = await current_staff(request)
    handoff = await request.app[TAKEOVER_KEY].hand_back(_handoff_id(request), staff)
    return web.json_response({"handoff": handoff_to_dict(handoff)}, dumps=dumps)


# --- console pages --------------------------------------------------------------------------------
async def handoffs_page(request: web.Request) -> web.Response:
    staff = await page_staff(request)
    found = await asyncio.to_thread(request.app[HANDOFFS_KEY].waiting, staff)
    return render(request, "handoffs.html", {"staff": staff, "handoffs": [handoff_to_dict(h) for h in found]})


async def handoff_page(request: web.Request) -> web.Response:
    staff = await page_staff(request)
    handoff_id = parse_id(request.match_info["id"])
    if handoff_id is None:
        raise redirect("/console/handoffs?" + urlencode({"error": "没有找到这个转人工请求"}))
    service = request.app[HANDOFFS_KEY]
    handoff, messages = await asyncio.to_thread(service.get, handoff_id, staff)
    rows: List[dict] = [message_to_dict(m) for m in messages]
    return render(
        request,
        "handoff.html",
        {
            "staff": staff,
            "handoff": handoff_to_dict(handoff),
            "messages": rows,
            "last_id": rows[-1]["id"] if rows else 0,
            "mine": handoff.claimed_by == staff.id,
            "is_open": handoff.is_open,
        },
    )


async def _act(request: web.Request, action, done: str) -> web.Response:
    staff = await page_staff(request)
    handoff_id = parse_id(request.match_info["id"])
    if handoff_id is None:
        raise redirect("/console/handoffs?" + urlencode({"error": "没有找到这个转人工请求"}))
    form = await request.post()
    try:
        await action(request.app, handoff_id, staff, form)
    except (HandoffError, LeadError) as error:
        raise redirect(f"/console/handoffs/{handoff_id}?{urlencode({'error': error.message_zh})}")
    raise redirect(f"/console/handoffs/{handoff_id}?{urlencode({'msg': done})}")


async def claim_form(request: web.Request) -> web.Response:
    async def action(app, handoff_id, staff, _form):
        await asyncio.to_thread(app[HANDOFFS_KEY].claim, handoff_id, staff)

    return await _act(request, action, "已接手，可以回复居民了。")


async def reply_form(request: web.Request) -> web.Response:
    async def action(app, handoff_id, staff, form):
        await app[TAKEOVER_KEY].reply(handoff_id, staff, form.get("text", ""))

    return await _act(request, action, "已发送。")


async def resume_form(request: web.Request) -> web.Response:
    async def action(app, handoff_id, staff, _form):
        await app[TAKEOVER_KEY].hand_back(handoff_id, staff)

    return await _act(request, action, "已交还智能助手。")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/v1/handoffs", list_handoffs)
    app.router.add_get(r"/api/v1/handoffs/{id}", get_handoff)
    app.router.add_post(r"/api/v1/handoffs/{id}/claim", claim_handoff)
    app.router.add_post(r"/api/v1/handoffs/{id}/messages", post_message)
    app.router.add_post(r"/api/v1/handoffs/{id}/resume", resume_handoff)
    app.router.add_get("/console/handoffs", handoffs_page)
    app.router.add_get(r"/console/handoffs/{id}", handoff_page)
    app.router.add_post(r"/console/handoffs/{id}/claim", claim_form)
    app.router.add_post(r"/console/handoffs/{id}/reply", reply_form)
    app.router.add_post(r"/console/handoffs/{id}/resume", resume_form)


__all__ = ["HANDOFFS_KEY", "TAKEOVER_KEY", "add_routes"]
