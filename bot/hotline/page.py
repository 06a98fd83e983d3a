"""The hotline operator's page: a call's live assistance (suggested answers with sources, the next
question, facts heard, urgency, the lead draft), filing the lead, and the editable wrap-up.

Server-rendered like the rest of the console; the live panel is an HTML fragment the page reloads
every two seconds while the call goes on (and on 刷新 without JavaScript).
"""

from __future__ import annotations

import asyncio
from urllib.parse import quote, urlencode

from aiohttp import web
from pydantic import ValidationError

from bot.api.auth import page_staff
from bot.api.pages import local_time, redirect, render
from bot.errors import ServiceError
from bot.hotline.routes import CALLS_KEY
from bot.hotline.service import CallError
from bot.leads.model import CAUSE_NAMES, SEVERITY_NAMES, Cause, Forbidden, Severity

SPEAKER_NAMES = {"caller": "来电人", "operator": "话务员"}
URGENCY_KINDS = {"self_harm": "自伤风险", "threat_to_life": "生命危险"}


def setup(app: web.Application) -> None:
    app.router.add_get("/console/calls", calls_page)
    app.router.add_get("/console/calls/{call_id}", call_page)
    app.router.add_get("/console/calls/{call_id}/live", live_fragment)
    app.router.add_post("/console/calls/{call_id}/lead", file_lead)
    app.router.add_post("/console/calls/{call_id}/end", end_call)
    app.router.add_post("/console/calls/{call_id}/wrap-up", edit_wrap_up)


def _call_url(call_id: str, **query: str) -> str:
    return f"/console/calls/{quote(call_id, safe='')}" + (f"?{urlencode(query)}" if query else "")


async def calls_page(request: web.Request) -> web.Response:
    staff = await page_staff(request)
    found = await asyncio.to_thread(request.app[CALLS_KEY].recent, staff=staff)
    rows = [
        {
            "call_id": c.call_id,
            "url": _call_url(c.call_id),
            "operator": c.operator,
            "started": local_time(c.started_at),
            "ended": local_time(c.ended_at) if c.ended_at else None,
            "urgent": bool(c.state.get("urgency")),
            "lead_id": c.lead_id,
        }
        for c in found
    ]
    return render(request, "calls.html", {"staff": staff, "calls": rows})


async def _live_context(request: web.Request, staff) -> dict:
    service = request.app[CALLS_KEY]
    call_id = request.match_info["call_id"]
    try:
        call = await asyncio.to_thread(service.get, call_id, staff=staff)
    except Forbidden as error:
        raise web.HTTPForbidden(text=error.message_zh)
    except CallError as error:
        raise web.HTTPNotFound(text=error.message_zh)
    transcript = await asyncio.to_thread(service.transcript, call, 12)
    assistance = call.state.get("assistance") or {}
    urgency = assistance.get("urgency")
    return {
        "call": call,
        "assistance": assistance,
        "ended": call.ended_at is not None,
        "urgency": urgency,
        "urgency_kind": URGENCY_KINDS.get((urgency or {}).get("kind"), "紧急情况"),
        "severity_name": SEVERITY_NAMES.get(Severity(urgency["severity"])) if urgency else None,
        "transcript": [{**u, "speaker_name": SPEAKER_NAMES.get(u["speaker"], u["speaker"])} for u in transcript],
        "url": _call_url(call_id),
    }


async def call_page(request: web.Request) -> web.Response:
    staff = await page_staff(request)
    context = await _live_context(request, staff)
    draft = context["assistance"].get("lead_draft") or {}
    return render(
        request,
        "call.html",
        {
            **context,
            "staff": staff,
            "draft": draft,
            "causes": [(c.value, CAUSE_NAMES[c]) for c in Cause],
            "severities": [(s.value, SEVERITY_NAMES[s]) for s in Severity],
        },
    )


async def live_fragment(request: web.Request) -> web.Response:
    staff = await page_staff(request)
    return render(request, "call_live.html", await _live_context(request, staff))


async def _act(request: web.Request, action, done: str) -> web.Response:
    staff = await page_staff(request)
    call_id = request.match_info["call_id"]
    form = await request.post()
    try:
        await asyncio.to_thread(request.app[CALLS_KEY].get, call_id, staff=staff)  # before the form is read
    except Forbidden as error:
        raise web.HTTPForbidden(text=error.message_zh)
    except CallError as error:
        raise web.HTTPNotFound(text=error.message_zh)
    try:
        message = await asyncio.to_thread(action, request.app[CALLS_KEY], call_id, form, staff)
    except ServiceError as error:  # the call's and the queue's refusals, in Chinese
        raise redirect(_call_url(call_id, error=error.message_zh))
    except ValidationError:
        raise redirect(_call_url(call_id, error="线索信息填写有误，请检查地区代码和情况说明。"))
    raise redirect(_call_url(call_id, msg=message or done))


async def file_lead(request: web.Request) -> web.Response:
    def action(service, call_id, form, staff):
        fields = {
            k: str(form.get(k, "")).strip() or None for k in ("cause", "severity", "region", "description", "place")
        }
        fields["consent"] = form.get("consent") == "yes"
        contact = {k: str(form.get(k, "")).strip() or None for k in ("name", "phone")}
        # Contact details are kept only with the caller's consent.
        fields["contact"] = contact if fields["consent"] and any(contact.values()) else None
        lead_id = service.file_lead(call_id, fields, staff=staff)
        return f"已登记线索 #{lead_id}，已进入预警队列。"

    return await _act(request, action, "已登记。")


async def end_call(request: web.Request) -> web.Response:
    return await _act(
        request,
        lambda s, call_id, _f, staff: s.end(call_id, staff=staff) and None,
        "通话已结束，请核对小结和工单类别。",
    )


async def edit_wrap_up(request: web.Request) -> web.Response:
    def action(service, call_id, form, staff):
        service.edit(
            call_id,
            str(form.get("summary", "")).strip() or None,
            str(form.get("category", "")).strip() or None,
            staff=staff,
        )

    return await _act(request, action, "小结已保存。")
