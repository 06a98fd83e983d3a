"""The hotline operator's page: a call's live assistance (suggested answers with sources, the next
question, facts heard, urgency, the lead draft), filing the lead, and the editable wrap-up.

Without a 12345 telephony system posting utterances, the operator starts a call here and types or
pastes what is said: each line is heard exactly as a posted utterance is (CallService.hear), numbered
after the call's last one, so a form sent twice is not heard twice.

Server-rendered like the rest of the console; the live panel is an HTML fragment the page reloads
every two seconds while the call goes on (and on 刷新 without JavaScript).
"""

from __future__ import annotations

import asyncio
import re
import secrets
from datetime import datetime
from typing import List, Tuple
from urllib.parse import quote, urlencode

from aiohttp import web
from pydantic import ValidationError

from bot.api.auth import page_staff
from bot.api.pages import CHINA, local_time, redirect, render
from bot.api.places import region_label
from bot.errors import ServiceError
from bot.hotline.routes import CALLS_KEY
from bot.hotline.service import CallError
from bot.leads.model import CAUSE_NAMES, SEVERITY_NAMES, Cause, Forbidden, Severity, kind_name

SPEAKER_NAMES = {"caller": "来电人", "operator": "话务员"}
# A pasted transcript's own speaker marks (来电人：…, 坐席：…) decide the line's speaker.
_SPEAKER_MARK = re.compile(
    r"^\s*(?:(来电人|来电|市民|群众|居民|caller)|(话务员|坐席|接线员|operator))\s*[:：]\s*", re.I
)
MAX_LINES = 200  # one paste; a whole call's transcript fits


def said_lines(text: str, speaker: str) -> List[Tuple[str, str]]:
    """(speaker, text) for each non-empty line typed or pasted; a line's own mark overrides `speaker`."""
    lines = []
    for raw in text.splitlines():
        mark = _SPEAKER_MARK.match(raw)
        who = speaker if mark is None else ("caller" if mark.group(1) else "operator")
        line = raw[mark.end() :] if mark else raw
        if line.strip():
            lines.append((who, line.strip()))
    return lines


def setup(app: web.Application) -> None:
    app.router.add_get("/console/calls", calls_page)
    app.router.add_post("/console/calls/start", start_call)
    app.router.add_get("/console/calls/{call_id}", call_page)
    app.router.add_get("/console/calls/{call_id}/live", live_fragment)
    app.router.add_post("/console/calls/{call_id}/lead", file_lead)
    app.router.add_post("/console/calls/{call_id}/end", end_call)
    app.router.add_post("/console/calls/{call_id}/say", say)
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
            "region": region_label(c.region),
        }
        for c in found
    ]
    # A number for a call started here; the operator may put the 12345 system's ticket number instead.
    new_id = f"manual-{datetime.now(CHINA):%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"
    return render(request, "calls.html", {"staff": staff, "calls": rows, "new_call_id": new_id})


async def start_call(request: web.Request) -> web.Response:
    staff = await page_staff(request)
    form = await request.post()
    call_id = str(form.get("call_id", "")).strip()
    if not call_id:
        raise redirect("/console/calls?" + urlencode({"error": "请填写来电编号。"}))
    try:
        call = await asyncio.to_thread(request.app[CALLS_KEY].start, call_id, staff.name, staff=staff)
    except Forbidden as error:  # the number is another region's call
        raise web.HTTPForbidden(text=error.message_zh)
    except ServiceError as error:
        raise redirect("/console/calls?" + urlencode({"error": error.message_zh}))
    raise redirect(_call_url(call.call_id, msg="通话已开始：请记录来电人说的话。"))


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
    last = await asyncio.to_thread(service.transcript, call, 1)
    assistance = call.state.get("assistance") or {}
    urgency = assistance.get("urgency")
    return {
        "call": call,
        "assistance": assistance,
        "ended": call.ended_at is not None,
        "urgency": urgency,
        "urgency_kind": kind_name((urgency or {}).get("kind")) or "紧急情况",
        "severity_name": SEVERITY_NAMES.get(Severity(urgency["severity"])) if urgency else None,
        "transcript": [{**u, "speaker_name": SPEAKER_NAMES.get(u["speaker"], u["speaker"])} for u in transcript],
        "url": _call_url(call_id),
        "next_seq": last[-1]["seq"] + 1 if last else 0,
        "region_label": region_label(call.region),
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


async def say(request: web.Request) -> web.Response:
    def action(service, call_id, form, staff):
        lines = said_lines(str(form.get("text", "")), str(form.get("speaker", "caller")))
        if not lines:
            return "没有要记录的内容。"
        if len(lines) > MAX_LINES:
            raise CallError(f"at most {MAX_LINES} lines at once", f"一次最多记录{MAX_LINES}行，请分几次粘贴")
        raw_seq = str(form.get("seq", ""))
        # The number the page was rendered with: a resent form repeats it and is not heard twice.
        first = int(raw_seq) if raw_seq.isascii() and raw_seq.isdigit() and len(raw_seq) < 10 else None
        if first is None:
            last = service.transcript(service.get(call_id, staff=staff), 1)
            first = last[-1]["seq"] + 1 if last else 0
        for offset, (speaker, text) in enumerate(lines):
            service.hear(call_id, first + offset, speaker, text, staff=staff)
        return f"已记录 {len(lines)} 句。"

    return await _act(request, action, "已记录。")


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
