"""The supervisor dashboard's figures, from what the database holds: leads and their history, calls,
handoff requests, and Rasa's tracker store (bot/dashboard/tracker.py) where it is present.

County and city supervisors (and admins) see their own region only, through the one region guard
(bot/leads/access.py). Leads and calls carry a region; a conversation has the region its resident
settled on (the assistant's state), and a handoff the region of its conversation: those without one
count for admins only, and the figure says how many were left out. A figure whose source is absent
says so instead of showing zeros.

Periods are days or weeks (from Monday) in China's time. Merged leads are further reports of a
household's open lead: they are not counted again.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from bot.dashboard.tracker import Conversation, TrackerEvents
from bot.db import utcnow
from bot.eligibility import Household, screen
from bot.eligibility.result import CATEGORY_NAMES
from bot.handoff.tables import handoff_requests
from bot.hotline.tables import calls
from bot.leads.access import may_see, visible
from bot.leads.model import (
    CAUSE_NAMES,
    KIND_GROUP_NAMES,
    OPEN_STATES,
    SEVERITY_NAMES,
    Cause,
    Forbidden,
    LeadState,
    Severity,
    Staff,
    StaffRole,
    kind_group,
)
from bot.leads.tables import lead_events, leads

CHINA = timezone(timedelta(hours=8))
PERIODS = {"day": "按日", "week": "按周"}
DEFAULT_DAYS = {"day": 30, "week": 84}
MAX_DAYS = 366
TOWNSHIP_DIGITS = 9  # 220104001: a township (乡镇/街道) code; a shorter region is the county's own
NO_KIND = "（未识别紧急类型）"
TOTAL = "全部"
VERDICT_NONE = "均不符合"
VERDICT_UNDECIDED = "信息不全，未得出结果"


class DashboardError(Forbidden):
    code = "dashboard_forbidden"
    message_zh = "统计看板供县（市、区）及以上的督导人员使用"


@dataclass
class Figure:
    """One figure: a table (columns → rows) that is also the CSV, and how to draw it."""

    key: str
    title: str
    columns: List[Tuple[str, str]]  # (key, Chinese header)
    rows: List[Dict[str, Any]] = field(default_factory=list)
    # stacked: one column per period split by `series`; bars: one bar per row; summary: a bar per `series`
    # column of the total row (percentages)
    chart: str = "stacked"
    series: List[str] = field(default_factory=list)  # the stacked chart's parts (column keys)
    total: Optional[Dict[str, Any]] = None  # the whole window's row, after the periods
    bar: Optional[str] = None  # the bars chart's value column
    unit: str = ""
    note: str = ""
    missing: Optional[str] = None  # the source is absent: why the figure is empty

    def to_dict(self) -> dict:
        return {
            "key": self.key,
            "title": self.title,
            "columns": [{"key": k, "name": n} for k, n in self.columns],
            "rows": self.rows,
            "total": self.total,
            "note": self.note,
            "missing": self.missing,
        }


@dataclass
class Dashboard:
    region: str
    period: str
    since: date
    until: date
    figures: List[Figure]

    def figure(self, key: str) -> Figure:
        return next(f for f in self.figures if f.key == key)

    def to_dict(self) -> dict:
        return {
            "region": self.region,
            "period": self.period,
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "figures": [f.to_dict() for f in self.figures],
        }


def period_of(moment: datetime, period: str) -> str:
    day = moment.astimezone(CHINA).date()
    if period == "week":
        day -= timedelta(days=day.weekday())
    return day.isoformat()


def _periods(since: date, until: date, period: str) -> List[str]:
    start = since - timedelta(days=since.weekday()) if period == "week" else since
    step = timedelta(days=7 if period == "week" else 1)
    found = []
    while start <= until:
        found.append(start.isoformat())
        start += step
    return found


def _hours(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 3600


def _median(values: List[float]) -> Optional[float]:
    return round(statistics.median(values), 1) if values else None


def _percent(part: int, whole: int) -> Optional[float]:
    return round(100 * part / whole, 1) if whole else None


def township(region: str) -> str:
    return region[:TOWNSHIP_DIGITS]


class DashboardService:
    def __init__(
        self,
        sessions: sessionmaker,
        clock: Callable[[], datetime] = utcnow,
        region_name: Callable[[str], str] = lambda code: code,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._tracker = TrackerEvents(sessions)
        self._region_name = region_name  # how a region is shown (the API gives bot/places' names)

    @staticmethod
    def check(staff: Staff) -> None:
        """Supervisors and admins only: a township's staff work their queue, they do not supervise."""
        if staff.role not in (StaffRole.county_supervisor, StaffRole.admin):
            raise DashboardError(f"staff {staff.id} ({staff.role.value}) may not open the dashboard")

    def build(self, staff: Staff, period: str = "day", days: Optional[int] = None) -> Dashboard:
        self.check(staff)
        if period not in PERIODS:
            raise ValueError(f"period must be one of {sorted(PERIODS)}")
        days = days or DEFAULT_DAYS[period]
        if not 1 <= days <= MAX_DAYS:
            raise ValueError(f"days must be from 1 to {MAX_DAYS}")
        now = self._clock()
        today = now.astimezone(CHINA).date()
        first = today - timedelta(days=days - 1)
        since = datetime(first.year, first.month, first.day, tzinfo=CHINA).astimezone(timezone.utc)
        periods = _periods(first, today, period)
        lead_rows, events = self._leads(staff, since)
        figures = [
            self._by(lead_rows, periods, period, "by_cause", "线索数（按原因）", "cause", _cause_names()),
            self._by(lead_rows, periods, period, "by_kind", "线索数（按紧急类型）", "kind_group", _kind_names()),
            self._by(lead_rows, periods, period, "by_severity", "线索数（按紧急程度）", "severity", _severity_names()),
            self._by_township(lead_rows, periods, period),
            self._compliance(lead_rows, events, periods, period, now),
            self._open_by_township(staff, now),
        ]
        figures += self._conversations(staff, since, now, periods, period)
        return Dashboard(staff.region, period, first, today, figures)

    # --- leads ---------------------------------------------------------------------------------------
    def _leads(self, staff: Staff, since: datetime):
        query = select(
            leads.c.id,
            leads.c.cause,
            leads.c.kind,
            leads.c.severity,
            leads.c.region,
            leads.c.state,
            leads.c.created_at,
            leads.c.due_at,
        ).where(visible(leads.c.region, staff), leads.c.created_at >= since, leads.c.state != LeadState.merged.value)
        firsts = (
            select(lead_events.c.lead_id, lead_events.c.kind, lead_events.c.to_state, lead_events.c.at)
            .where(lead_events.c.lead_id.in_(query.with_only_columns(leads.c.id).scalar_subquery()))
            .where((lead_events.c.kind == "claimed") | (lead_events.c.to_state == LeadState.visiting.value))
            .order_by(lead_events.c.at)
        )
        with self._sessions() as session:
            rows = [dict(r) for r in session.execute(query).mappings()]
            history = session.execute(firsts).all()
        reached: Dict[int, Dict[str, datetime]] = defaultdict(dict)
        for lead_id, kind, _to_state, at in history:
            step = "claimed" if kind == "claimed" else "visited"
            reached[lead_id].setdefault(step, at)  # the first time: a release and re-claim is not faster
        for row in rows:
            row["kind_group"] = kind_group(row["kind"]) or NO_KIND
            row["cause"] = Cause(row["cause"]).value
            row["severity"] = Severity(row["severity"]).value
        return rows, reached

    def _by(self, rows, periods, period, key, title, column, names: Dict[str, str]) -> Figure:
        counts = Counter((period_of(r["created_at"], period), r[column]) for r in rows)
        present = [v for v in names if any(c[1] == v for c in counts)]
        figure = Figure(
            key,
            title,
            [("period", "日期" if period == "day" else "周（起始日）")]
            + [(v, names[v]) for v in present]
            + [("total", "合计")],
            series=present,
            unit="条",
        )
        for p in periods:
            row = {"period": p, **{v: counts[(p, v)] for v in present}}
            row["total"] = sum(row[v] for v in present)
            figure.rows.append(row)
        return figure

    def _by_township(self, rows, periods, period) -> Figure:
        names = {}
        for r in rows:
            code = township(r["region"])
            names[code] = self._region_name(code)
        shaped = [{**r, "township": township(r["region"])} for r in rows]
        figure = self._by(
            shaped, periods, period, "by_township", "线索数（按乡镇/街道）", "township", dict(sorted(names.items()))
        )
        figure.note = "地区代码只到县（市、区）的线索，按所在县（市、区）计。"
        return figure

    def _compliance(self, rows, reached, periods, period, now) -> Figure:
        figure = Figure(
            "compliance",
            "处置时限达标情况",
            [
                ("period", "日期" if period == "day" else "周（起始日）"),
                ("filed", "登记线索"),
                ("claimed_in_time_pct", "按时认领（%）"),
                ("visited_in_time_pct", "按时核实（%）"),
                ("median_hours_to_claim", "认领用时中位数（小时）"),
                ("median_hours_to_visit", "核实用时中位数（小时）"),
            ],
            chart="summary",
            series=["claimed_in_time_pct", "visited_in_time_pct"],
            unit="%",
            note="时限为 knowledge/rules/queue.yaml 按紧急程度规定的处置时限（截止时间）。未到截止时间且尚未认领（核实）的线索不计入比例；"
            "“核实”指线索首次进入“核实中”。",
        )
        by_period: Dict[str, List[dict]] = defaultdict(list)
        for r in rows:
            by_period[period_of(r["created_at"], period)].append(r)
        for p in periods + ["total"]:
            group = rows if p == "total" else by_period.get(p, [])
            row: Dict[str, Any] = {"period": TOTAL if p == "total" else p, "filed": len(group)}
            for step, label in (("claimed", "claim"), ("visited", "visit")):
                judged = in_time = 0
                spans = []
                for r in group:
                    at = reached.get(r["id"], {}).get(step)
                    if at is not None:
                        spans.append(_hours(r["created_at"], at))
                        judged += 1
                        in_time += at <= r["due_at"]
                    elif r["due_at"] < now:  # past due and not done: late
                        judged += 1
                row[f"{step}_in_time_pct"] = _percent(in_time, judged)
                row[f"median_hours_to_{label}"] = _median(spans)
            if p == "total":
                figure.total = row
            else:
                figure.rows.append(row)
        return figure

    def _open_by_township(self, staff: Staff, now: datetime) -> Figure:
        query = select(leads.c.region, leads.c.due_at).where(
            visible(leads.c.region, staff), leads.c.state.in_(sorted(s.value for s in OPEN_STATES))
        )
        with self._sessions() as session:
            found = session.execute(query).all()
        counts: Dict[str, List[int]] = defaultdict(lambda: [0, 0])
        for region, due_at in found:
            counts[township(region)][0] += 1
            counts[township(region)][1] += due_at < now
        figure = Figure(
            "open_by_township",
            "在办与超时线索（按乡镇/街道，当前）",
            [("township", "乡镇/街道"), ("township_name", "名称"), ("open", "在办"), ("overdue", "其中超时")],
            chart="bars",
            bar="open",
            series=["overdue"],
            unit="条",
        )
        for code, (open_count, overdue) in sorted(counts.items(), key=lambda item: (-item[1][1], -item[1][0], item[0])):
            figure.rows.append(
                {"township": code, "township_name": self._region_name(code), "open": open_count, "overdue": overdue}
            )
        return figure

    # --- conversations, calls and handoffs -----------------------------------------------------------
    def _conversations(self, staff, since, now, periods, period) -> List[Figure]:
        label = "日期" if period == "day" else "周（起始日）"
        activity = Figure(
            "conversations",
            "会话与来电",
            [
                ("period", label),
                ("conversations", "居民会话"),
                ("messages", "居民消息"),
                ("calls", "热线来电"),
                ("prescreens_started", "开始测算"),
                ("prescreens_finished", "得出测算结果"),
                ("emergencies", "紧急情况"),
                ("fallback_rate_pct", "未能理解的比例（%）"),
            ],
            series=["conversations", "calls"],
            unit="次",
            note="未能理解的比例：助手请居民换个说法或建议转人工的回复占居民消息的比例。",
        )
        verdicts = Figure(
            "verdicts",
            "测算结果分布",
            [("verdict", "初步结果"), ("count", "次数")],
            chart="bars",
            bar="count",
            unit="次",
            note="按测算当日的标准重新计算得出（与居民当时看到的一致）。",
        )
        handoffs = Figure(
            "handoffs",
            "转人工请求与等待时间",
            [
                ("period", label),
                ("requests", "转人工请求"),
                ("answered", "已交还助手"),
                ("waiting", "仍在等待"),
                ("median_wait_minutes", "等待时间中位数（分钟）"),
            ],
            series=["answered", "waiting"],
            unit="次",
            note="等待时间：从居民请求转人工到工作人员交还助手（仍在等待的按到现在计）。",
        )
        rows = {p: Counter() for p in periods}
        regions: Dict[str, Optional[str]] = {}
        verdict_counts: Counter = Counter()
        left_out = 0
        if self._tracker.available():
            for conversation in self._tracker.conversations(since, now):
                region = conversation.region
                regions[conversation.sender_id] = region
                if not may_see(staff, region):
                    left_out += region is None
                    continue
                self._count(conversation, rows, verdict_counts, period)
            if left_out and staff.role is not StaffRole.admin:
                activity.note += f" 另有 {left_out} 个会话没有说明地区，只计入管理员的统计。"
        else:
            activity.missing = verdicts.missing = (
                "对话记录库（Rasa 的 events 表）不在本数据库中，会话、测算和紧急情况的数字无法统计；只显示热线来电。"
            )
        with self._sessions() as session:
            for (started_at,) in session.execute(
                select(calls.c.started_at).where(visible(calls.c.region, staff), calls.c.started_at >= since)
            ):
                key = period_of(started_at, period)
                if key in rows:
                    rows[key]["calls"] += 1
            requests = session.execute(
                select(
                    handoff_requests.c.conversation_id, handoff_requests.c.requested_at, handoff_requests.c.resumed_at
                ).where(handoff_requests.c.requested_at >= since)
            ).all()
        for p in periods:
            c = rows[p]
            activity.rows.append(
                {
                    "period": p,
                    "conversations": c["conversations"],
                    "messages": c["messages"],
                    "calls": c["calls"],
                    "prescreens_started": c["started"],
                    "prescreens_finished": c["finished"],
                    "emergencies": c["emergencies"],
                    "fallback_rate_pct": _percent(c["fallbacks"], c["messages"]),
                }
            )
        whole = sum(rows.values(), Counter())
        activity.total = {
            "period": TOTAL,
            "conversations": sum(r["conversations"] for r in activity.rows),
            "messages": whole["messages"],
            "calls": whole["calls"],
            "prescreens_started": whole["started"],
            "prescreens_finished": whole["finished"],
            "emergencies": whole["emergencies"],
            "fallback_rate_pct": _percent(whole["fallbacks"], whole["messages"]),
        }
        verdicts.rows = [{"verdict": v, "count": n} for v, n in verdict_counts.most_common()]
        self._handoffs(handoffs, requests, regions, staff, now, periods, period)
        return [activity, verdicts, handoffs]

    def _handoffs(self, figure, requests, regions, staff, now, periods, period) -> None:
        waits: Dict[str, List[float]] = defaultdict(list)
        counts = {p: Counter() for p in periods}
        hidden = 0
        for conversation_id, requested_at, resumed_at in requests:
            if not may_see(staff, regions.get(conversation_id)):
                hidden += 1
                continue
            key = period_of(requested_at, period)
            if key not in counts:
                continue
            counts[key]["requests"] += 1
            counts[key]["answered" if resumed_at else "waiting"] += 1
            waits[key].append(((resumed_at or now) - requested_at).total_seconds() / 60)
        for p in periods:
            figure.rows.append(
                {
                    "period": p,
                    "requests": counts[p]["requests"],
                    "answered": counts[p]["answered"],
                    "waiting": counts[p]["waiting"],
                    "median_wait_minutes": _median(waits[p]),
                }
            )
        figure.total = {
            "period": TOTAL,
            "requests": sum(r["requests"] for r in figure.rows),
            "answered": sum(r["answered"] for r in figure.rows),
            "waiting": sum(r["waiting"] for r in figure.rows),
            "median_wait_minutes": _median([w for p in periods for w in waits[p]]),
        }
        if hidden and staff.role is not StaffRole.admin:
            figure.note += f" 另有 {hidden} 个请求的会话没有说明地区（或对话记录库不可用），只计入管理员的统计。"

    @staticmethod
    def _count(conversation: Conversation, rows, verdicts: Counter, period: str) -> None:
        active = set()
        for at in conversation.messages:
            key = period_of(at, period)
            if key in rows:
                rows[key]["messages"] += 1
                active.add(key)
        for key in active:
            rows[key]["conversations"] += 1
        for turn in conversation.turns:
            key = period_of(turn.at, period)
            if key not in rows:
                continue
            before, after = turn.before, turn.after
            count = rows[key]
            if after.get("screen") and not before.get("screen") and not before.get("paused"):
                count["started"] += 1
            if after.get("last") and after.get("last") != before.get("last"):
                count["finished"] += 1
                verdicts[_verdict(after["last"], turn.at)] += 1
            if after.get("emergency") and not before.get("emergency"):
                count["emergencies"] += 1
            if int(after.get("misses") or 0) > int(before.get("misses") or 0):
                count["fallbacks"] += 1


def _verdict(screened: Dict[str, Any], at: datetime) -> str:
    """The pre-screen's result, screened again with the parameters of that day."""
    try:
        result = screen(Household(**(screened.get("household") or {})), at.astimezone(CHINA).date())
    except (ValidationError, TypeError, ValueError, KeyError):
        return VERDICT_UNDECIDED
    if not result.decided:
        return VERDICT_UNDECIDED
    return CATEGORY_NAMES.get(result.primary, result.primary) if result.primary else VERDICT_NONE


def _cause_names() -> Dict[str, str]:
    return {c.value: name for c, name in CAUSE_NAMES.items()}


def _kind_names() -> Dict[str, str]:
    return {**KIND_GROUP_NAMES, NO_KIND: NO_KIND}


def _severity_names() -> Dict[str, str]:
    return {s.value: name for s, name in SEVERITY_NAMES.items()}


def figure_keys() -> Iterable[str]:
    return (
        "by_cause",
        "by_kind",
        "by_severity",
        "by_township",
        "compliance",
        "open_by_township",
        "conversations",
        "verdicts",
        "handoffs",
    )
