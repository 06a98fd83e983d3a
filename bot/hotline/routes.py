"""Hotline operator assist API: the 12345 system calls it per call (start, each utterance, end) and
the operator files the call's lead with one request. Same staff tokens as the queue."""

from __future__ import annotations

import asyncio

from aiohttp import web
from pydantic import ValidationError

from bot.api.auth import current_staff
from bot.api.errors import bad_request, dumps, json_object
from bot.hotline.service import CallService
from bot.input_errors import describe
from bot.inputs import INT4_MAX

CALLS_KEY = web.AppKey("calls", CallService)
LEAD_FIELDS = (
    "cause",
    "severity",
    "description",
    "region",
    "place",
    "contact",
    "consent",
    "screening",
    "suggested_handling",
)


def _text(body: dict, name: str, limit: int, required: bool = True):
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > limit:
        raise bad_request(
            f"invalid_{name}", f"{name} must be text of at most {limit} characters", f"{name} 应为不超过{limit}字的文字"
        )
    return value.strip()


async def start_call(request: web.Request) -> web.Response:
    staff = await current_staff(request)
    body = await json_object(request)
    call = await asyncio.to_thread(
        request.app[CALLS_KEY].start,
        _text(body, "call_id", 100),
        _text(body, "operator", 100, required=False) or staff.name,
        staff=staff,
    )
    return web.json_response({"call": call.to_dict()}, status=201, dumps=dumps)


async def add_utterance(request: web.Request) -> web.Response:
    staff = await current_staff(request)
    body = await json_object(request)
    seq = body.get("seq")
    if not isinstance(seq, int) or isinstance(seq, bool) or not 0 <= seq <= INT4_MAX:
        raise bad_request(
            "invalid_seq", "seq must be a non-negative integer (the utterance's order in the call)", "seq 应为非负整数"
        )
    assistance = await asyncio.to_thread(
        request.app[CALLS_KEY].hear,
        request.match_info["call_id"],
        seq,
        _text(body, "speaker", 16),
        _text(body, "text", 2000),
        staff=staff,
    )
    return web.json_response(assistance.to_dict(), dumps=dumps)


async def get_call(request: web.Request) -> web.Response:
    staff = await current_staff(request)
    call = await asyncio.to_thread(request.app[CALLS_KEY].get, request.match_info["call_id"], staff=staff)
    return web.json_response({"call": call.to_dict()}, dumps=dumps)


async def end_call(request: web.Request) -> web.Response:
    staff = await current_staff(request)
    call = await asyncio.to_thread(request.app[CALLS_KEY].end, request.match_info["call_id"], staff=staff)
    return web.json_response({"call": call.to_dict()}, dumps=dumps)


async def edit_call(request: web.Request) -> web.Response:
    staff = await current_staff(request)
    body = await json_object(request)
    call = await asyncio.to_thread(
        request.app[CALLS_KEY].edit,
        request.match_info["call_id"],
        _text(body, "summary", 2000, required=False),
        _text(body, "category", 100, required=False),
        staff=staff,
    )
    return web.json_response({"call": call.to_dict()}, dumps=dumps)


async def file_call_lead(request: web.Request) -> web.Response:
    staff = await current_staff(request)
    body = await json_object(request)
    unknown = set(body) - set(LEAD_FIELDS)
    if unknown:
        raise bad_request("invalid_lead", f"unknown fields {sorted(unknown)}", "线索信息填写有误")
    try:
        lead_id = await asyncio.to_thread(
            request.app[CALLS_KEY].file_lead, request.match_info["call_id"], body, staff=staff
        )
    except ValidationError as error:
        raise bad_request("invalid_lead", "lead is invalid", "线索信息填写有误", describe(error))
    return web.json_response(
        {"lead_id": lead_id}, status=201, dumps=dumps, headers={"Location": f"/api/v1/leads/{lead_id}"}
    )


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/v1/calls", start_call)
    app.router.add_get("/api/v1/calls/{call_id}", get_call)
    app.router.add_patch("/api/v1/calls/{call_id}", edit_call)
    app.router.add_post("/api/v1/calls/{call_id}/utterances", add_utterance)
    app.router.add_post("/api/v1/calls/{call_id}/end", end_call)
    app.router.add_post("/api/v1/calls/{call_id}/lead", file_call_lead)
