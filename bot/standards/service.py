"""Entering a published standard: who may, what is checked, and the history kept."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, List, Optional

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from bot.db import utcnow
from bot.eligibility.parameters import CATALOGUE, RegionBook
from bot.errors import ServiceError
from bot.leads.access import may_see
from bot.leads.model import Forbidden, Staff, StaffRole
from bot.leads.tables import staff as staff_table
from bot.standards.tables import staff_standards

MAY_ENTER = (StaffRole.county_supervisor, StaffRole.admin)  # a township's staff report, they do not set


class StandardRefused(ServiceError):
    code = "standard_refused"
    message_zh = "标准填写有误"
    status = 400

    def __init__(self, field: str, message: str, message_zh: str) -> None:
        super().__init__(f"{field}: {message}", message_zh)
        self.field = field


@dataclass(frozen=True)
class StandardEntry:
    id: int
    region: str
    parameter: str
    value: Decimal
    since: dt.date
    document: str
    url: Optional[str]
    entered_by: int
    entered_by_name: str
    entered_at: dt.datetime

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "region": self.region,
            "parameter": self.parameter,
            "label": CATALOGUE[self.parameter].label,
            "value": float(self.value),
            "since": self.since.isoformat(),
            "document": self.document,
            "url": self.url,
            "origin": "staff",
            "entered_by": {"id": self.entered_by, "name": self.entered_by_name},
            "entered_at": self.entered_at.isoformat(),
        }


def _text(value: Any, field: str, label: str, limit: int, required: bool) -> Optional[str]:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise StandardRefused(field, "is required", f"请填写{label}")
        return None
    if not isinstance(value, str) or len(value.strip()) > limit or any(ord(c) < 32 for c in value):
        raise StandardRefused(field, f"must be text of at most {limit} characters", f"{label}应为不超过{limit}字的文字")
    return value.strip()


class StandardsService:
    def __init__(self, sessions: sessionmaker) -> None:
        self.sessions = sessions

    def entries(self, region: Optional[str] = None) -> List[StandardEntry]:
        query = (
            select(staff_standards, staff_table.c.name)
            .join(staff_table, staff_table.c.id == staff_standards.c.entered_by)
            .order_by(staff_standards.c.region, staff_standards.c.parameter, staff_standards.c.since)
        )
        if region is not None:
            query = query.where(staff_standards.c.region == region)
        with self.sessions() as session:
            rows = session.execute(query).all()
        return [
            StandardEntry(
                r.id,
                r.region,
                r.parameter,
                Decimal(r.value_cents) / 100,
                r.since,
                r.document,
                r.url,
                r.entered_by,
                r.name,
                r.entered_at,
            )
            for r in rows
        ]

    def enter(
        self, member: Staff, book: RegionBook, region: str, raw: dict, today: Optional[dt.date] = None
    ) -> StandardEntry:
        """A new value for `region`, checked: the caller is a county supervisor or admin whose region
        holds it; the parameter is a published standard; the amount is positive and plausible; the
        date is later than every value the region already has; a document (文号) is named."""
        if member.role not in MAY_ENTER:
            raise Forbidden(
                f"staff {member.id} ({member.role.value}) may not enter standards",
                "只有县级民政部门负责人或管理员可以录入标准",
            )
        if region not in book or not (region.isdigit() and len(region) == 6):
            raise StandardRefused("region", f"unknown region {region!r}", "没有这个地区（请用6位行政区划代码）")
        if not may_see(member, region):
            raise Forbidden(
                f"staff {member.id} ({member.region}) may not enter standards for {region}", "您只能录入本地区的标准"
            )
        if not isinstance(raw, dict):
            raise StandardRefused("(body)", "must be a JSON object", "请求内容应为 JSON 对象")
        unknown = set(raw) - {"parameter", "value", "since", "document", "url"}
        if unknown:
            field = sorted(unknown)[0]
            raise StandardRefused(field, "unknown field", f"不认识的字段：{field}")
        parameter = raw.get("parameter")
        spec = CATALOGUE.get(parameter) if isinstance(parameter, str) else None
        if spec is None or not spec.sourced:
            names = ", ".join(n for n, s in CATALOGUE.items() if s.sourced)
            raise StandardRefused("parameter", f"must be one of {names}", "请选择城市低保标准或农村低保标准")
        value = raw.get("value")
        try:
            amount = Decimal(str(value)) if not isinstance(value, bool) and value is not None else None
        except InvalidOperation:
            amount = None
        if amount is None or not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
            raise StandardRefused(
                "value", "must be an amount in yuan with at most 2 decimals", "金额应为数字（元，最多两位小数）"
            )
        low, high = spec.plausible or (Decimal("0.01"), Decimal("1e9"))
        if not low <= amount <= high:
            raise StandardRefused(
                "value",
                f"{amount} is outside the plausible {low}–{high} {spec.unit}",
                f"{amount}元不在合理范围（{low}–{high}{spec.unit}）内，请核对是否填成了年标准",
            )
        try:
            since = dt.date.fromisoformat(raw.get("since")) if isinstance(raw.get("since"), str) else None
        except ValueError:
            since = None
        if since is None:
            raise StandardRefused("since", "must be a date YYYY-MM-DD", "执行日期格式应为 YYYY-MM-DD")
        today = today or dt.date.today()
        if since > today + dt.timedelta(days=366):
            raise StandardRefused("since", "is more than a year ahead", "执行日期不能晚于一年以后")
        document = _text(raw.get("document"), "document", "文件文号", 200, required=True)
        url = _text(raw.get("url"), "url", "链接", 500, required=False)
        if url is not None and not url.startswith(("http://", "https://")):
            raise StandardRefused("url", "must start with http:// or https://", "链接应以 http:// 或 https:// 开头")
        own = book.region(region).parameters.get(parameter, ())
        if own and since <= own[-1].since:
            raise StandardRefused(
                "since",
                f"must be later than the region's latest value, from {own[-1].since}",
                f"执行日期应晚于本地区已有的最新标准（{own[-1].since:%Y-%m-%d}起），历史标准不能改写",
            )
        row = {
            "region": region,
            "parameter": parameter,
            "value_cents": int(amount * 100),
            "since": since,
            "document": document,
            "url": url,
            "entered_by": member.id,
            "entered_at": utcnow(),
        }
        try:
            with self.sessions.begin() as session:
                new_id = session.execute(insert(staff_standards).values(**row)).inserted_primary_key[0]
        except IntegrityError:  # another entry for the same date was stored first
            raise StandardRefused(
                "since", "a value for this region and date already exists", "本地区这一天已录入过标准"
            ) from None
        return StandardEntry(
            new_id, region, parameter, amount, since, document, url, member.id, member.name, row["entered_at"]
        )
