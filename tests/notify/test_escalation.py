"""Escalation by due time: once per step, idempotent across runs and instances, a notification to the
county supervisor and a history entry in one transaction; business hours never pause a life-threatening
lead's clock."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from bot.db import create_db_engine, session_factory
from bot.knowledge import rules as knowledge_rules
from bot.knowledge.files import KnowledgeFileError
from bot.leads import LeadService, StaffRole, StaffService
from bot.leads.tables import lead_events
from bot.notify.escalation import Escalator, add_business_hours
from bot.notify.outbox import Outbox
from bot.settings import NotifyRoute
from tests.notify.common import SECRET, draft, outbox_rows, robot_route

CST = timezone(timedelta(hours=8))
FRIDAY_5PM = datetime(2026, 11, 27, 17, 0, tzinfo=CST)  # a Friday, half an hour before closing
SATURDAY_3AM = datetime(2026, 11, 28, 3, 0, tzinfo=CST)
SUPERVISOR = NotifyRoute(
    name="county-sms", region="220104", audience="supervisor", channel="sms", phones=["13800000009"]
)


def routes():
    return [robot_route("http://127.0.0.1:9"), SUPERVISOR]


def history(sessions, lead_id):
    with sessions() as session:
        rows = session.execute(select(lead_events).where(lead_events.c.lead_id == lead_id).order_by(lead_events.c.id))
        return [(row.kind, row.actor, row.note) for row in rows]


def escalated(sessions):
    return sorted((r["lead_id"], r["step"], r["route"]) for r in outbox_rows(sessions) if r["event"] == "escalated")


def test_the_steps_in_queue_yaml():
    steps, business = knowledge_rules.escalation()
    assert {name: step.until for name, step in steps.items()} == {"not_claimed": "claimed", "not_visited": "visiting"}
    assert all(step.hours["life_threatening"].clock == "wall" for step in steps.values())
    assert business is not None and business.weekdays == [1, 2, 3, 4, 5]


def test_a_business_clock_on_a_life_threatening_lead_is_refused(tmp_path, monkeypatch):
    text = (knowledge_rules.RULES_DIR / "queue.yaml").read_text(encoding="utf-8")
    broken = text.replace("life_threatening: {value: 1, clock: wall}", "life_threatening: {value: 1, clock: business}")
    assert broken != text
    (tmp_path / "queue.yaml").write_text(broken, encoding="utf-8")
    monkeypatch.setattr(knowledge_rules, "RULES_DIR", tmp_path)
    knowledge_rules.escalation.cache_clear()
    try:
        with pytest.raises(KnowledgeFileError, match="life-threatening"):
            knowledge_rules.escalation()
    finally:
        knowledge_rules.escalation.cache_clear()


def test_business_hours_skip_nights_and_weekends():
    _, business = knowledge_rules.escalation()
    # Friday 17:00–17:30 is half an hour; Monday 9 more; Tuesday 08:30 + 6.5 h = 15:00.
    assert add_business_hours(FRIDAY_5PM, 16, business) == datetime(2026, 12, 1, 15, 0, tzinfo=CST)
    # Filed on a Saturday night: the clock starts Monday 08:30.
    assert add_business_hours(SATURDAY_3AM, 1, business) == datetime(2026, 11, 30, 9, 30, tzinfo=CST)


def test_an_unclaimed_lead_escalates_to_the_county_once_per_step(sessions):
    filed_at = SATURDAY_3AM.astimezone(timezone.utc)
    service = LeadService(sessions, SECRET, clock=lambda: filed_at, outbox=Outbox(routes(), 0))
    lead_id = service.file(draft("e1", "life_threatening")).lead.id
    clock = {"now": filed_at + timedelta(minutes=59)}
    escalator = Escalator(sessions, Outbox(routes(), 0), clock=lambda: clock["now"])
    assert escalator.run_once() == 0
    clock["now"] = filed_at + timedelta(hours=1)  # a Saturday night: the life-threatening clock runs on
    assert escalator.run_once() == 1
    assert escalated(sessions) == [(lead_id, "not_claimed", "county-sms")]
    kinds = history(sessions, lead_id)
    assert kinds[-1][0] == "escalated" and kinds[-1][1] == "system:escalation" and "县级督办" in kinds[-1][2]
    # A restart, a second instance: nothing again.
    assert escalator.run_once() == 0
    assert Escalator(sessions, Outbox(routes(), 0), clock=lambda: clock["now"]).run_once() == 0
    clock["now"] = filed_at + timedelta(hours=24)
    assert escalator.run_once() == 1  # the next step: still not visited
    assert escalated(sessions) == [(lead_id, "not_claimed", "county-sms"), (lead_id, "not_visited", "county-sms")]
    assert escalator.run_once() == 0
    assert [k for k, _, _ in history(sessions, lead_id)].count("escalated") == 2


def test_a_claimed_lead_skips_the_claim_step_and_a_normal_lead_waits_for_business_hours(sessions):
    filed_at = FRIDAY_5PM.astimezone(timezone.utc)
    service = LeadService(sessions, SECRET, clock=lambda: filed_at, outbox=Outbox(routes(), 0))
    claimed = service.file(draft("e2", "life_threatening")).lead.id
    normal = service.file(draft("e3", "normal", phone="13700000000")).lead.id
    town = StaffService(sessions).create("李干事", "前进街道", "220104001", StaffRole.township_staff)[0]
    service.claim(claimed, town)
    clock = {"now": filed_at + timedelta(hours=20)}  # Saturday: 16 wall hours gone, half a business hour
    escalator = Escalator(sessions, Outbox(routes(), 0), clock=lambda: clock["now"])
    assert escalator.run_once() == 0
    clock["now"] = datetime(2026, 12, 1, 15, 0, tzinfo=CST).astimezone(timezone.utc)  # 16 business hours
    assert escalator.run_once() == 2  # the normal lead's first step; the claimed one's not_visited (24 h)
    assert escalated(sessions) == [(claimed, "not_visited", "county-sms"), (normal, "not_claimed", "county-sms")]


def test_two_escalators_at_once_escalate_once(database_url):
    engines = [create_db_engine(database_url) for _ in range(4)]
    try:
        sessions = [session_factory(e) for e in engines]
        filed_at = SATURDAY_3AM.astimezone(timezone.utc)
        service = LeadService(sessions[0], SECRET, clock=lambda: filed_at, outbox=Outbox(routes(), 0))
        ids = [service.file(draft(f"r{i}", "life_threatening", phone=f"136{i:08d}")).lead.id for i in range(20)]
        later = filed_at + timedelta(hours=2)
        done = []
        escalators = [Escalator(s, Outbox(routes(), 0), clock=lambda: later) for s in sessions]
        threads = [threading.Thread(target=lambda e=e: done.append(e.run_once())) for e in escalators]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert sum(done) == 20
        assert escalated(sessions[0]) == [(i, "not_claimed", "county-sms") for i in ids]
        assert all([k for k, _, _ in history(sessions[0], i)].count("escalated") == 1 for i in ids)
    finally:
        for e in engines:
            e.dispose()
