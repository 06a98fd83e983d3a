"""Builders shared by the notification tests: routes to the local fakes, drafts, senders."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import List

import aiohttp
from sqlalchemy import select

from bot.leads import LeadDraft, LeadService
from bot.notify.adapters import SmsGateway, WeChatTemplate, WeComRobot
from bot.notify.outbox import Outbox
from bot.notify.sender import Sender
from bot.notify.tables import notification_attempts, notification_outbox
from bot.settings import NotifyRoute
from tests.fakes.notify import ROBOT_KEY, SMS_TOKEN

SECRET = b"notify-secret"
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)
PHONE = "13912345678"


def robot_route(url: str, region: str = "220104", name: str = "chaoyang-robot", **extra) -> NotifyRoute:
    extra.setdefault("key", ROBOT_KEY)
    return NotifyRoute(name=name, region=region, channel="wecom_robot", webhook_base=url, **extra)


def draft(key: str, severity: str = "life_threatening", region: str = "220104001", phone: str = PHONE) -> LeadDraft:
    return LeadDraft(
        idempotency_key=key,
        source_channel="wechat",
        cause="illness",
        severity=severity,
        description=f"老人突发重病，家里拿不出住院费（{key}）",
        region=region,
        place="幸福小区",
        contact={"name": "刘女士", "phone": phone},
        consent=True,
    )


def file_leads(sessions, routes: List[NotifyRoute], count: int, severity: str = "life_threatening", **kw) -> List[int]:
    service = LeadService(sessions, SECRET, outbox=Outbox(routes, digest_seconds=0), **kw)
    # Distinct phones: one household each, so no report is linked into another's lead.
    return [service.file(draft(f"k{i}", severity, phone=f"139{i:08d}")).lead.id for i in range(count)]


def outbox_ids(sessions) -> List[int]:
    with sessions() as session:
        return list(session.scalars(select(notification_outbox.c.id).order_by(notification_outbox.c.id)))


def outbox_rows(sessions) -> list:
    with sessions() as session:
        return session.execute(select(notification_outbox).order_by(notification_outbox.c.id)).mappings().all()


def attempts(sessions) -> list:
    with sessions() as session:
        return session.execute(select(notification_attempts).order_by(notification_attempts.c.id)).mappings().all()


def make_sender(sessions, routes, http: aiohttp.ClientSession, **kw) -> Sender:
    adapters = {
        "wecom_robot": WeComRobot(http),
        "sms": SmsGateway(http, kw.pop("sms_url", None), SMS_TOKEN),
        "wechat_template": WeChatTemplate(http, kw.pop("wechat", None), kw.pop("wechat_api", ""), None),
    }
    kw.setdefault("retry_base", 0.2)
    kw.setdefault("retry_max", 1)
    kw.setdefault("send_timeout", 2)
    kw.setdefault("lease_seconds", 6)
    return Sender(sessions, routes, adapters, **kw)


async def drain(sender: Sender, until, timeout: float = 20, pause: float = 0.1) -> None:
    """Tick until `until()` holds."""
    import asyncio
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        await sender.tick()
        if await asyncio.to_thread(until):
            return
        await asyncio.sleep(pause)
    raise AssertionError("the sender did not finish in time")
