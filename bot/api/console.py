"""Staff console: server-rendered pages in Chinese over the same service as the staff API."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Optional
from urllib.parse import quote, urlencode

from aiohttp import web

from bot.api import pages
from bot.api.auth import LOGIN_PAGE, SESSION_COOKIE, STAFF_KEY, page_staff, staff_for_token
from bot.api.dashboard import TRACKER_KEY
from bot.api.leads import LEADS_KEY, lead_to_dict, list_filters
from bot.api.pages import local_time as _local
from bot.api.pages import redirect as _redirect
from bot.api.pages import render as _page
from bot.api.places import region_label
from bot.leads import InvalidLead, LeadError, LeadState, SourceChannel
from bot.leads.model import (
    CAUSE_NAMES,
    CHANNEL_NAMES,
    DEPARTMENTS,
    KIND_GROUP_NAMES,
    SEVERITY_NAMES,
    STATE_NAMES,
    TRANSITIONS,
    Cause,
    Severity,
)

EVENT_NAMES = {
    "filed": "登记",
    "claimed": "认领",
    "transition": "办理",
    "referred": "推送部门",
    "merged": "合并",
    "linked": "关联",
    "escalated": "升级督办",
    "contact_added": "补充联系方式",
}


def setup(app: web.Application) -> None:
    pages.setup(app)
    app.router.add_get("/console", lambda _r: _redirect("/console/"))
    app.router.add_get("/console/", queue_page)
    app.router.add_get(LOGIN_PAGE, login_page)
    app.router.add_post(LOGIN_PAGE, login)
    app.router.add_post("/console/logout", logout)
    app.router.add_get(r"/console/leads/{id:[0-9]+}", lead_page)
    app.router.add_get(r"/console/leads/{id:[0-9]+}/conversation", conversation_page)
    app.router.add_post(r"/console/leads/{id:[0-9]+}/claim", claim)
    app.router.add_post(r"/console/leads/{id:[0-9]+}/transition", move)
    app.router.add_post(r"/console/leads/{id:[0-9]+}/refer", refer)
    app.router.add_get("/console/standards", standards_page)
    app.router.add_post("/console/standards", enter_standard)


def _actor(actor: str) -> str:
    if actor.startswith("staff:"):
        return f"工作人员 #{actor.split(':', 1)[1]}"
    try:
        return CHANNEL_NAMES[SourceChannel(actor)]
    except ValueError:
        return actor


def _countdown(lead, now: datetime) -> tuple:
    if not lead.is_open:
        return f"截止 {_local(lead.due_at)}", False
    seconds = int((lead.due_at - now).total_seconds())
    hours, minutes = divmod(abs(seconds) // 60, 60)
    span = f"{hours}小时{minutes}分"
    return (f"剩余 {span}", False) if seconds >= 0 else (f"已超时 {span}", True)


async def login_page(request: web.Request) -> web.Response:
    return _page(request, "login.html", {"staff": None})


async def login(request: web.Request) -> web.Response:
    form = await request.post()
    token = str(form.get("token", "")).strip()
    member = await staff_for_token(request, token)
    if member is None:
        return _page(request, "login.html", {"staff": None, "error": "令牌无效或账号已停用。"}, status=401)
    session_id = await asyncio.to_thread(request.app[STAFF_KEY].open_session, member)
    response = _redirect("/console/")
    response.set_cookie(SESSION_COOKIE, session_id, httponly=True, samesite="Strict", secure=request.secure, path="/")
    raise response


async def logout(request: web.Request) -> web.Response:
    """Revokes the session: the cookie, even if kept or copied, no longer signs anyone in."""
    session_id = request.cookies.get(SESSION_COOKIE, "")
    if session_id:
        await asyncio.to_thread(request.app[STAFF_KEY].close_session, session_id)
    response = _redirect(LOGIN_PAGE)
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response


async def queue_page(request: web.Request) -> web.Response:
    staff = await page_staff(request)
    service = request.app[LEADS_KEY]
    found = await asyncio.to_thread(service.list, staff, **list_filters(request))
    now = service.now()
    rows = []
    for lead in found:
        countdown, overdue = _countdown(lead, now)
        rows.append(
            {
                **lead_to_dict(lead, now),
                "severity_name": SEVERITY_NAMES[lead.severity],
                "region_label": region_label(lead.region),
                "countdown": countdown,
                "overdue": overdue,
            }
        )
    filters = {k: request.query.get(k, "") for k in ("state", "cause", "kind", "severity", "overdue")}
    return _page(
        request,
        "queue.html",
        {
            "staff": staff,
            "leads": rows,
            "filters": filters,
            "query": urlencode({k: v for k, v in filters.items() if v}),
            "states": [(s.value, STATE_NAMES[s]) for s in LeadState],
            "causes": [(c.value, CAUSE_NAMES[c]) for c in Cause],
            "kinds": list(KIND_GROUP_NAMES.items()),
            "severities": [(s.value, SEVERITY_NAMES[s]) for s in Severity],
        },
    )


async def lead_page(request: web.Request) -> web.Response:
    staff = await page_staff(request)
    service = request.app[LEADS_KEY]
    lead, events = await asyncio.to_thread(service.get, int(request.match_info["id"]), staff)
    now = service.now()
    countdown, overdue = _countdown(lead, now)
    moves = [
        (s.value, STATE_NAMES[s])
        for s in LeadState
        if s in TRANSITIONS[lead.state] and s not in (LeadState.claimed, LeadState.merged)
    ]
    history = [
        {
            "at": _local(e.at),
            "actor": _actor(e.actor),
            "kind_name": EVENT_NAMES.get(e.kind, e.kind),
            "states": f"{STATE_NAMES[e.from_state]} → {STATE_NAMES[e.to_state]}"
            if e.from_state and e.to_state and e.from_state != e.to_state
            else (STATE_NAMES[e.to_state] if e.to_state else ""),
            "note": e.note,
        }
        for e in events
    ]
    return _page(
        request,
        "lead.html",
        {
            "staff": staff,
            "lead": lead_to_dict(lead, now),
            "history": history,
            "countdown": countdown,
            "overdue": overdue,
            "state_name": STATE_NAMES[lead.state],
            "severity_name": SEVERITY_NAMES[lead.severity],
            "cause_name": CAUSE_NAMES[lead.cause],
            "region_label": region_label(lead.region),
            "conversation_url": conversation_url(lead),
            "channel_name": CHANNEL_NAMES[lead.source_channel],
            "can_claim": lead.state is LeadState.new,
            "moves": moves,
            "is_open": lead.is_open,
            "departments": DEPARTMENTS,
        },
    )


def conversation_url(lead) -> Optional[str]:
    """Where the conversation a lead came from is read: a call's page, or the chat's transcript."""
    if not lead.conversation_id:
        return None
    if lead.source_channel is SourceChannel.hotline:
        return f"/console/calls/{quote(lead.conversation_id, safe='')}"
    return f"/console/leads/{lead.id}/conversation"


async def conversation_page(request: web.Request) -> web.Response:
    """The chat (web or WeChat) a lead came from, masked, as Rasa's tracker store kept it. Seen by whoever
    may see the lead: the lead's region guards its conversation."""
    staff = await page_staff(request)
    service = request.app[LEADS_KEY]
    lead, _ = await asyncio.to_thread(service.get, int(request.match_info["id"]), staff)
    tracker = request.app[TRACKER_KEY]
    available = bool(lead.conversation_id) and await asyncio.to_thread(tracker.available)
    lines = await asyncio.to_thread(tracker.transcript, lead.conversation_id) if available else []
    return _page(
        request,
        "conversation.html",
        {
            "staff": staff,
            "lead": lead_to_dict(lead, service.now()),
            "available": available,
            "lines": [{**line, "at": _local(line["at"])} for line in lines],
            "channel_name": CHANNEL_NAMES[lead.source_channel],
        },
    )


async def _act(request: web.Request, action, done: str) -> web.Response:
    staff = await page_staff(request)
    lead_id = int(request.match_info["id"])
    form = await request.post()
    try:
        await asyncio.to_thread(action, request.app[LEADS_KEY], lead_id, staff, form)
    except LeadError as error:
        raise _redirect(f"/console/leads/{lead_id}?{urlencode({'error': error.message_zh})}")
    raise _redirect(f"/console/leads/{lead_id}?{urlencode({'msg': done})}")


async def claim(request: web.Request) -> web.Response:
    return await _act(request, lambda s, i, staff, _f: s.claim(i, staff), "已认领。")


async def move(request: web.Request) -> web.Response:
    def action(service, lead_id, staff, form):
        try:
            to_state = LeadState(str(form.get("to_state", "")))
        except ValueError:
            raise InvalidLead("unknown state", "请选择下一步")
        outcome: Optional[str] = str(form.get("outcome", "")).strip() or None
        service.transition(lead_id, staff, to_state, str(form.get("note", "")), outcome)

    return await _act(request, action, "已更新。")


async def refer(request: web.Request) -> web.Response:
    return await _act(
        request,
        lambda s, i, staff, f: s.refer(i, staff, str(f.get("department", "")), str(f.get("note", ""))),
        "已推送。",
    )


# --- 低保标准: what is in force, the region's history, and a new value entered ---------------------------
BASIS_NAMES = {"standard": "当地标准", "floor": "最低指导标准（当地不低于此）", "average": "平均标准"}
ORIGIN_NAMES = {"seed": "资料库", "staff": "工作人员录入"}


async def standards_page(request: web.Request) -> web.Response:
    from bot.api.screenings import book_of
    from bot.api.standards import SOURCED, STANDARDS_KEY
    from bot.eligibility.parameters import CATALOGUE
    from bot.standards.service import MAY_ENTER

    staff = await page_staff(request)
    book = book_of(request)
    code = request.query.get("region") or (staff.region if len(staff.region) == 6 else "CN")
    if code not in book:
        raise _redirect(f"/console/standards?{urlencode({'error': '没有这个地区（请用6位行政区划代码）'})}")
    today = datetime.now().date()
    in_force = []
    for name in SOURCED:
        value = book.value(code, name, today)
        if value is not None:
            in_force.append(
                {
                    "label": CATALOGUE[name].label,
                    "text": value.in_words(today),
                    "region_name": value.region_name,
                    "origin": ORIGIN_NAMES.get(value.origin, value.origin),
                    "source": value.source,
                }
            )
    entries = {(e.parameter, e.since): e for e in await asyncio.to_thread(request.app[STANDARDS_KEY].entries, code)}
    history = []
    for name in SOURCED:
        for v in book.region(code).parameters.get(name, ()):
            entry = entries.get((name, v.since))
            history.append(
                {
                    "label": CATALOGUE[name].label,
                    "since": v.since.isoformat(),
                    "value": f"{v.value.normalize():f}",
                    "basis": BASIS_NAMES[v.basis],
                    "source": v.source,
                    "entered": f"{entry.entered_by_name}，{_local(entry.entered_at)}" if entry else "资料库",
                }
            )
    may_enter = (
        staff.role in MAY_ENTER and code != "CN" and (staff.role.value == "admin" or code.startswith(staff.region))
    )
    return _page(
        request,
        "standards.html",
        {
            "staff": staff,
            "code": code,
            "name": book.region(code).name,
            "in_force": in_force,
            "history": history,
            "may_enter": may_enter,
        },
    )


async def enter_standard(request: web.Request) -> web.Response:
    from bot.api.screenings import BOOK_KEY, book_of
    from bot.api.standards import STANDARDS_KEY
    from bot.standards import LiveBook, StandardRefused

    staff = await page_staff(request)
    form = await request.post()
    code = str(form.get("region", ""))
    raw = {k: str(form.get(k, "")) for k in ("parameter", "value", "since", "document", "url")}
    if not raw["url"]:
        raw.pop("url")
    back = f"/console/standards?region={quote(code)}"
    try:
        await asyncio.to_thread(request.app[STANDARDS_KEY].enter, staff, book_of(request), code, raw)
    except (StandardRefused, LeadError) as error:
        raise _redirect(f"{back}&{urlencode({'error': error.message_zh})}")
    book = request.app[BOOK_KEY]
    if isinstance(book, LiveBook):
        book.invalidate()
    raise _redirect(f"{back}&{urlencode({'msg': '已录入，从执行日期起生效。'})}")
