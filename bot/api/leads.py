"""Staff API for the warning queue: file, list, read with history, claim, move, refer, merge, export.

Every call needs a staff token (`Authorization: Bearer …`, or the console's cookie). A township
account sees only leads of its own region (403 otherwise); county supervisors see their county.
"""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import datetime
from typing import Optional

from aiohttp import web
from pydantic import ValidationError

from bot.api.auth import current_staff
from bot.api.errors import bad_request, dumps, json_object
from bot.api.places import region_name
from bot.input_errors import describe
from bot.inputs import parse_id
from bot.leads import (
    Cause,
    Lead,
    LeadDraft,
    LeadEvent,
    LeadService,
    LeadState,
    Severity,
)
from bot.leads.model import CAUSE_NAMES, KIND_GROUP_NAMES, STATE_NAMES, kind_group, kind_name

LEADS_KEY = web.AppKey("leads", LeadService)


def _iso(value: Optional[datetime]) -> Optional[str]:
    return value.isoformat() if value else None


def lead_to_dict(lead: Lead, now: Optional[datetime] = None) -> dict:
    return {
        "id": lead.id,
        "idempotency_key": lead.idempotency_key,
        "state": lead.state.value,
        "state_name": STATE_NAMES[lead.state],
        "severity": lead.severity.value,
        "cause": lead.cause.value,
        "cause_name": CAUSE_NAMES[lead.cause],
        "kind": lead.kind,
        "kind_group": kind_group(lead.kind),
        "kind_name": kind_name(lead.kind),
        "source_channel": lead.source_channel.value,
        "conversation_id": lead.conversation_id,
        "description": lead.description,
        "region": lead.region,
        "region_name": region_name(lead.region),
        "place": lead.place,
        "contact": {"name": lead.contact_name, "phone": lead.contact_phone, "address": lead.contact_address},
        "consent_at": _iso(lead.consent_at),
        "screening": lead.screening,
        "suggested_handling": lead.suggested_handling.value if lead.suggested_handling else None,
        "outcome": lead.outcome,
        "merged_into": lead.merged_into_id,
        "claimed_by": lead.claimed_by_id,
        "created_at": _iso(lead.created_at),
        "updated_at": _iso(lead.updated_at),
        "due_at": _iso(lead.due_at),
        "overdue": bool(now and lead.is_open and lead.due_at < now),
    }


def event_to_dict(event: LeadEvent) -> dict:
    return {
        "at": _iso(event.at),
        "actor": event.actor,
        "kind": event.kind,
        "from_state": event.from_state.value if event.from_state else None,
        "to_state": event.to_state.value if event.to_state else None,
        "note": event.note,
    }


def _enum_query(request: web.Request, name: str, enum_cls):
    raw = request.query.get(name)
    if raw in (None, ""):
        return None
    try:
        return enum_cls(raw)
    except ValueError:
        allowed = ", ".join(e.value for e in enum_cls)
        raise bad_request(f"invalid_{name}", f"{name} must be one of {allowed}", f"筛选条件 {name} 不正确")


def list_filters(request: web.Request) -> dict:
    state = _enum_query(request, "state", LeadState)
    overdue_raw = request.query.get("overdue")
    if overdue_raw not in (None, "", "true", "false"):
        raise bad_request("invalid_overdue", "overdue must be true or false", "筛选条件 overdue 应为 true 或 false")
    kind = request.query.get("kind") or None
    if kind is not None and kind not in KIND_GROUP_NAMES:
        raise bad_request(
            "invalid_kind", f"kind must be one of {', '.join(KIND_GROUP_NAMES)}", "筛选条件 kind（紧急情况类型）不正确"
        )
    region = request.query.get("region") or None
    if region is not None and not (region.isascii() and region.isdigit() and len(region) <= 12):
        raise bad_request("invalid_region", "region must be digits", "地区代码应为数字")
    return {
        "states": [state] if state else None,
        "cause": _enum_query(request, "cause", Cause),
        "kind": kind,
        "severity": _enum_query(request, "severity", Severity),
        "region": region,
        "overdue": None if overdue_raw in (None, "") else overdue_raw == "true",
    }


def _lead_id(request: web.Request) -> int:
    lead_id = parse_id(request.match_info["id"])
    if lead_id is None:
        raise bad_request("invalid_id", "the lead id must be an integer from 1 to 2147483647", "线索编号不正确")
    return lead_id


def _text(body: dict, name: str) -> str:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise bad_request(f"invalid_{name}", f"{name} must be a string", f"{name} 应为文字")
    return value or ""


async def file_lead(request: web.Request) -> web.Response:
    staff = await current_staff(request)
    body = await json_object(request)
    try:
        draft = LeadDraft(**body)
    except ValidationError as error:
        raise bad_request("invalid_lead", "lead is invalid", "线索信息填写有误", describe(error))
    except TypeError as error:
        raise bad_request("invalid_lead", str(error), "线索信息填写有误")
    filed = await asyncio.to_thread(request.app[LEADS_KEY].file, draft, staff)
    body = {"lead": lead_to_dict(filed.lead), "created": filed.created, "merged_into": filed.merged_into}
    return web.json_response(
        body,
        status=201 if filed.created else 200,
        dumps=dumps,
        headers={"Location": f"/api/v1/leads/{filed.lead.id}"},
    )


async def list_leads(request: web.Request) -> web.Response:
    staff = await current_staff(request)
    service = request.app[LEADS_KEY]
    found = await asyncio.to_thread(service.list, staff, **list_filters(request))
    now = service.now()
    return web.json_response({"leads": [lead_to_dict(lead, now) for lead in found]}, dumps=dumps)


async def get_lead(request: web.Request) -> web.Response:
    staff = await current_staff(request)
    service = request.app[LEADS_KEY]
    lead, events = await asyncio.to_thread(service.get, _lead_id(request), staff)
    return web.json_response(
        {"lead": lead_to_dict(lead, service.now()), "history": [event_to_dict(e) for e in events]}, dumps=dumps
    )


async def claim_lead(request: web.Request) -> web.Response:
    staff = await current_staff(request)
    lead = await asyncio.to_thread(request.app[LEADS_KEY].claim, _lead_id(request), staff)
    return web.json_response({"lead": lead_to_dict(lead)}, dumps=dumps)


async def transition_lead(request: web.Request) -> web.Response:
    staff = await current_staff(request)
    body = await json_object(request)
    try:
        to_state = LeadState(body.get("to_state"))
    except (ValueError, TypeError):
        allowed = ", ".join(s.value for s in LeadState)
        raise bad_request("invalid_state", f"to_state must be one of {allowed}", "目标状态不正确")
    note, outcome = _text(body, "note"), body.get("outcome")
    lead = await asyncio.to_thread(
        request.app[LEADS_KEY].transition,
        _lead_id(request),
        staff,
        to_state,
        note,
        _text(body, "outcome") if outcome is not None else None,
    )
    return web.json_response({"lead": lead_to_dict(lead)}, dumps=dumps)


async def refer_lead(request: web.Request) -> web.Response:
    staff = await current_staff(request)
    body = await json_object(request)
    lead = await asyncio.to_thread(
        request.app[LEADS_KEY].refer,
        _lead_id(request),
        staff,
        _text(body, "department"),
        _text(body, "note"),
    )
    return web.json_response({"lead": lead_to_dict(lead)}, dumps=dumps)


async def merge_lead(request: web.Request) -> web.Response:
    staff = await current_staff(request)
    body = await json_object(request)
    into = body.get("into")
    if not isinstance(into, int) or parse_id(into) is None:
        raise bad_request("invalid_into", "into must be a lead id (integer 1-2147483647)", "请填写要并入的线索编号")
    lead = await asyncio.to_thread(request.app[LEADS_KEY].merge, _lead_id(request), into, staff, _text(body, "note"))
    return web.json_response({"lead": lead_to_dict(lead)}, dumps=dumps)


CSV_COLUMNS = [
    "id",
    "state",
    "severity",
    "cause",
    "cause_name",
    "kind",
    "kind_name",
    "region",
    "region_name",
    "place",
    "description",
    "contact_name",
    "contact_phone",
    "contact_address",
    "source_channel",
    "created_at",
    "due_at",
    "overdue",
    "outcome",
    "merged_into",
]


def csv_cell(value) -> str:
    text = "" if value is None else str(value)
    # Spreadsheets run cells starting with these as formulas (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


async def export_leads(request: web.Request) -> web.Response:
    staff = await current_staff(request)
    service = request.app[LEADS_KEY]
    found = await asyncio.to_thread(service.list, staff, limit=10_000, **list_filters(request))
    now = service.now()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for lead in found:
        row = lead_to_dict(lead, now)
        flat = {
            **row,
            "contact_name": row["contact"]["name"],
            "contact_phone": row["contact"]["phone"],
            "contact_address": row["contact"]["address"],
        }
        writer.writerow([csv_cell(flat[c]) for c in CSV_COLUMNS])
    return csv_response(out.getvalue(), "leads.csv")


def csv_response(text: str, filename: str) -> web.Response:
    return web.Response(
        body=("\ufeff" + text).encode("utf-8"),  # BOM: Excel opens UTF-8 Chinese correctly
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/v1/leads", file_lead)
    app.router.add_get("/api/v1/leads", list_leads)
    app.router.add_get("/api/v1/leads/export.csv", export_leads)
    app.router.add_get(r"/api/v1/leads/{id:[0-9]+}", get_lead)
    app.router.add_post(r"/api/v1/leads/{id:[0-9]+}/claim", claim_lead)
    app.router.add_post(r"/api/v1/leads/{id:[0-9]+}/transitions", transition_lead)
    app.router.add_post(r"/api/v1/leads/{id:[0-9]+}/referrals", refer_lead)
    app.router.add_post(r"/api/v1/leads/{id:[0-9]+}/merge", merge_lead)


__all__ = ["LEADS_KEY", "add_routes", "csv_cell", "csv_response", "lead_to_dict", "list_filters"]
