"""What a notification says, rendered at send time for the receiving channel.

A channel that others can read (a group robot, a WeChat template message) gets contact details masked;
only a staff member's own phone (SMS) gets the resident's name and phone in full, to call back at once.
The address never leaves the database: staff read it in the console.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import List, Optional, Sequence, Tuple

from bot.leads.model import CAUSE_NAMES, SEVERITY_NAMES, STATE_NAMES, Cause, LeadState, Severity
from bot.privacy import mask_pii

CHINA = timezone(timedelta(hours=8))  # Beijing time, what staff read
STEP_NAMES = {"not_claimed": "超时未认领", "not_visited": "超时未核实"}
DESCRIPTION_CHARS = 120


@dataclass(frozen=True)
class Item:
    """One outbox row with the lead it is about."""

    outbox_id: int
    lead_id: int
    event: str  # filed | escalated
    step: str
    urgent: bool
    severity: Severity
    cause: Cause
    state: LeadState
    region: str
    place: Optional[str]
    description: str
    due_at: datetime
    contact_name: Optional[str]
    contact_phone: Optional[str]


def fit(text: str, max_bytes: int) -> str:
    """At most max_bytes of UTF-8, cut at a character and marked with …"""
    if len(text.encode("utf-8")) <= max_bytes:
        return text
    room = max_bytes - len("…".encode("utf-8"))
    return text.encode("utf-8")[:room].decode("utf-8", errors="ignore") + "…"


def _masked_name(name: str) -> str:
    return name[:1] + "*" * max(1, len(name) - 1)


def _masked_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 7 else "****"


def contact_line(item: Item, reveals_contact: bool) -> str:
    if not item.contact_name and not item.contact_phone:
        return ""
    name, phone = item.contact_name or "", item.contact_phone or ""
    if not reveals_contact:
        name, phone = (_masked_name(name) if name else ""), (_masked_phone(phone) if phone else "")
    return "联系人：" + " ".join(part for part in (name, phone) if part)


def region_text(code: str) -> str:
    """The region as staff read it everywhere, name beside code: 吉林省长春市朝阳区（220104）."""
    # Imported here: bot.api.places imports bot.leads, whose service imports the outbox and so this module.
    from bot.api.places import region_label

    return region_label(code)


def headline(item: Item) -> str:
    what = f"督办·{STEP_NAMES.get(item.step, item.step)}" if item.event == "escalated" else "新线索"
    return f"【{SEVERITY_NAMES[item.severity]}】{what} #{item.lead_id} {CAUSE_NAMES[item.cause]} {region_text(item.region)}"


def due_text(item: Item) -> str:
    return item.due_at.astimezone(CHINA).strftime("%m-%d %H:%M")


def link(console_url: Optional[str], lead_id: int) -> str:
    return f"{console_url.rstrip('/')}/console/leads/{lead_id}" if console_url else ""


def single(item: Item, reveals_contact: bool, console_url: Optional[str]) -> str:
    """One lead, all a staff member needs to act (descriptions are stored masked without consent, and
    masked again here: a group must not read a number the resident typed into the description)."""
    description = item.description if reveals_contact else mask_pii(item.description)
    lines = [
        headline(item),
        f"情况：{description[:DESCRIPTION_CHARS]}",
        f"地点：{mask_pii(item.place)}" if item.place else "",
        contact_line(item, reveals_contact),
        f"状态：{STATE_NAMES[item.state]}　处置时限：{due_text(item)}（北京时间）",
        f"处理：{link(console_url, item.lead_id)}" if console_url else "请登录工作台认领处理",
        f"通知编号 N{item.outbox_id}",
    ]
    return "\n".join(line for line in lines if line)


def digest_line(item: Item) -> str:
    what = "督办" if item.event == "escalated" else ""
    return (
        f"#{item.lead_id} {what}{SEVERITY_NAMES[item.severity]} {CAUSE_NAMES[item.cause]} {region_text(item.region)} "
        f"时限{due_text(item)} {mask_pii(item.description)[:30]} (N{item.outbox_id})"
    )


def render(
    items: Sequence[Item], reveals_contact: bool, console_url: Optional[str], max_bytes: int
) -> List[Tuple[str, List[Item]]]:
    """Messages of at most max_bytes, each with the rows it carries: one item alone in full; several
    as a digest, split where the limit falls (no row is ever cut off)."""
    if len(items) == 1:
        return [(fit(single(items[0], reveals_contact, console_url), max_bytes), list(items))]
    footer = f"详情：{console_url.rstrip('/')}/console/" if console_url else "详情请登录工作台"
    messages: List[Tuple[str, List[Item]]] = []
    chunk: List[Item] = []

    def text(rows: List[Item]) -> str:
        return "\n".join([f"【线索汇总】{len(rows)} 条", *(digest_line(r) for r in rows), footer])

    for item in items:
        if chunk and len(text([*chunk, item]).encode("utf-8")) > max_bytes:
            messages.append((text(chunk), chunk))
            chunk = []
        chunk.append(item)
    if chunk:
        messages.append((fit(text(chunk), max_bytes), chunk))
    return messages
