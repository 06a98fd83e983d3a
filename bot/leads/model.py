"""Leads (线索) in the warning queue, their life cycle and history. Plain Python: no ORM, no Rasa.

Life cycle (ARCHITECTURE.md, "Facts that shape the channels"): new → claimed → visiting → pending →
resolved → closed, plus merged (the household already had an open lead: 一户一条救助链).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Dict, FrozenSet, Optional

from bot.errors import ServiceError


class LeadState(str, enum.Enum):
    new = "new"
    claimed = "claimed"
    visiting = "visiting"  # 入户调查 / 查访核实 under way
    pending = "pending"  # waiting on the household or another department
    resolved = "resolved"  # handled, with an outcome
    closed = "closed"
    merged = "merged"  # folded into the household's open lead


OPEN_STATES: FrozenSet[LeadState] = frozenset({LeadState.new, LeadState.claimed, LeadState.visiting, LeadState.pending})

# Which move is allowed from where. `claimed → new` releases a claim; `resolved → visiting` reopens.
TRANSITIONS: Dict[LeadState, FrozenSet[LeadState]] = {
    LeadState.new: frozenset({LeadState.claimed, LeadState.merged, LeadState.closed}),
    LeadState.claimed: frozenset(
        {LeadState.new, LeadState.visiting, LeadState.pending, LeadState.resolved, LeadState.merged}
    ),
    LeadState.visiting: frozenset({LeadState.pending, LeadState.resolved}),
    LeadState.pending: frozenset({LeadState.visiting, LeadState.resolved}),
    LeadState.resolved: frozenset({LeadState.closed, LeadState.visiting}),
    LeadState.closed: frozenset(),
    LeadState.merged: frozenset(),
}

STATE_NAMES = {
    LeadState.new: "待认领",
    LeadState.claimed: "已认领",
    LeadState.visiting: "核实中",
    LeadState.pending: "等待中",
    LeadState.resolved: "已办结",
    LeadState.closed: "已关闭",
    LeadState.merged: "已合并",
}


class Severity(str, enum.Enum):
    life_threatening = "life_threatening"
    urgent = "urgent"
    normal = "normal"


# Most severe first: the queue's order, and which report wins when a household's reports merge.
SEVERITY_RANK = {Severity.life_threatening: 0, Severity.urgent: 1, Severity.normal: 2}


def more_severe(a: Severity, b: Severity) -> bool:
    return SEVERITY_RANK[Severity(a)] < SEVERITY_RANK[Severity(b)]


class Cause(str, enum.Enum):  # warning indicators, 001 §2 and ELIGIBILITY.md §6
    illness = "illness"
    schooling = "schooling"
    disability = "disability"
    disaster = "disaster"
    unemployment = "unemployment"
    expense_spike = "expense_spike"
    income_drop = "income_drop"
    household_change = "household_change"
    other = "other"


class SourceChannel(str, enum.Enum):
    wechat = "wechat"
    hotline = "hotline"
    web = "web"
    staff = "staff"
    monitoring = "monitoring"  # 动态监测: filed by the re-screen when a standard changed (bot.standards)


class Handling(str, enum.Enum):  # 004: how a warning is handled
    deliver = "deliver"  # 落实
    refer = "refer"  # 推送部门
    case_conference = "case_conference"  # 一事一议
    terminate = "terminate"  # 核查终止


class StaffRole(str, enum.Enum):
    township_staff = "township_staff"
    county_supervisor = "county_supervisor"
    admin = "admin"


DEPARTMENTS = ("教育", "医保", "住建", "人社", "应急", "残联")

SEVERITY_NAMES = {Severity.life_threatening: "危及生命", Severity.urgent: "紧急", Severity.normal: "一般"}
CAUSE_NAMES = {
    Cause.illness: "因病",
    Cause.schooling: "因学",
    Cause.disability: "因残",
    Cause.disaster: "因灾",
    Cause.unemployment: "因失业",
    Cause.expense_spike: "支出骤增",
    Cause.income_drop: "收入骤减",
    Cause.household_change: "人口变化",
    Cause.other: "其他",
}
CHANNEL_NAMES = {
    SourceChannel.wechat: "微信公众号",
    SourceChannel.hotline: "12345热线",
    SourceChannel.web: "网页",
    SourceChannel.staff: "工作人员",
    SourceChannel.monitoring: "动态监测",
}
# Emergency kinds (the names of knowledge/rules/emergency.yaml, and `other` for an emergency the
# classifier alone saw) in a short list of groups staff filter and count by. A kind not listed here
# (one added to the rules later) falls into `other`; tests/leads/test_kinds.py checks every rule's kind is.
KIND_GROUP_NAMES = {
    "self_harm": "自伤风险",
    "violence": "暴力侵害",
    "fire": "火灾",
    "disaster": "自然灾害",
    "sudden_illness": "突发疾病或受伤",
    "accident": "意外事故",
    "stranded": "生活无着",
    "missing": "走失或无人照料",
    "sudden_loss": "突发变故",
    "other": "其他紧急情况",
}
KIND_GROUPS: Dict[str, str] = {
    "self_harm": "self_harm",
    "violence": "violence",
    "fire": "fire",
    "fire_trapped": "fire",
    "disaster": "disaster",
    "disaster_damage": "disaster",
    "sudden_illness": "sudden_illness",
    "threat_to_life": "sudden_illness",
    "accident": "accident",
    "acute": "accident",
    "no_food_or_shelter": "stranded",
    "abandoned": "missing",
    "sudden_loss": "sudden_loss",
    "plea": "other",
    "other": "other",
}


def kind_group(kind: Optional[str]) -> Optional[str]:
    """The group of an emergency kind; None for a lead without one (filed by staff, or before kinds)."""
    return None if kind is None else KIND_GROUPS.get(kind, "other")


def kind_name(kind: Optional[str]) -> str:
    group = kind_group(kind)
    return KIND_GROUP_NAMES[group] if group else ""


def kinds_in_group(group: str) -> FrozenSet[str]:
    return frozenset(kind for kind, g in KIND_GROUPS.items() if g == group)


HANDLING_NAMES = {
    Handling.deliver: "落实",
    Handling.refer: "推送部门",
    Handling.case_conference: "一事一议",
    Handling.terminate: "核查终止",
}


@dataclass
class Staff:
    name: str
    office: str
    region: str  # administrative code; what the staff member sees: bot/access.py
    role: StaffRole
    token_hash: str
    active: bool = True
    id: Optional[int] = None


@dataclass
class Lead:
    idempotency_key: str
    source_channel: SourceChannel
    cause: Cause
    severity: Severity
    description: str
    region: str
    created_at: datetime
    due_at: datetime
    state: LeadState = LeadState.new
    conversation_id: Optional[str] = None
    place: Optional[str] = None
    contact_name: Optional[str] = None
    contact_phone: Optional[str] = None
    contact_address: Optional[str] = None
    consent_at: Optional[datetime] = None
    household_key: Optional[str] = None
    screening: Optional[dict] = None
    suggested_handling: Optional[Handling] = None
    outcome: Optional[str] = None
    merged_into_id: Optional[int] = None
    claimed_by_id: Optional[int] = None
    updated_at: Optional[datetime] = None
    filer: str = ""  # "staff:<id>" or the filing channel: idempotency keys are unique per filer
    draft_hash: Optional[str] = None
    kind: Optional[str] = None  # the emergency's kind (KIND_GROUPS), when one was detected
    id: Optional[int] = None

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


@dataclass
class LeadEvent:
    lead_id: int
    at: datetime
    actor: str  # "staff:<id>", or the filing channel
    kind: str  # filed | claimed | transition | merged | referred | linked
    from_state: Optional[LeadState] = None
    to_state: Optional[LeadState] = None
    note: str = ""
    id: Optional[int] = field(default=None)


class LeadError(ServiceError):
    """The queue's refusals."""

    code = "lead_error"
    message_zh = "线索操作失败"


class LeadNotFound(LeadError):
    code = "lead_not_found"
    message_zh = "没有找到这条线索"
    status = 404


class Forbidden(LeadError):
    code = "forbidden"
    message_zh = "您没有权限处理这个地区的线索"
    status = 403


class TransitionRefused(LeadError):
    code = "transition_refused"
    message_zh = "线索当前状态不允许这样操作"
    status = 409


class ClaimConflict(LeadError):
    code = "claim_conflict"
    message_zh = "这条线索已被其他人认领或状态已变化，请刷新后再试"
    status = 409


class IdempotencyConflict(LeadError):
    code = "idempotency_conflict"
    message_zh = "这个请求编号已用于另一份不同的登记；重试请原样重发，新的登记请换一个编号"
    status = 409


class InvalidLead(LeadError):
    code = "invalid_lead"
    message_zh = "线索信息填写有误"
