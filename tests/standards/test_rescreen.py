"""动态监测 when a standard changes: only households that agreed are re-screened; each one that may now
qualify for more becomes one lead, notified like the others, never twice (real SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, update

from bot.eligibility.engine import seed_book
from bot.leads import LeadService, StaffRole, StaffService
from bot.leads.tables import leads as leads_table
from bot.notify.outbox import Outbox
from bot.notify.tables import notification_outbox
from bot.standards import LiveBook, StandardsService
from bot.standards.rescreen import LEAD_KIND, Rescreener
from bot.standards.tables import monitored_households
from tests.notify.common import robot_route

TODAY = dt.date(2026, 12, 7)
EDGE = {"region": "220102", "area": "urban", "size": 2, "monthly_income": "1800", "assets_within_limit": True}
RAISE = {"parameter": "dibao_standard_urban", "value": 1000, "since": "2026-12-06", "document": "长民发〔2026〕9号"}


@pytest.fixture
def world(sessions):
    leads = LeadService(sessions, b"s", outbox=Outbox([robot_route("http://127.0.0.1:9", region="2201")], 0))
    book = LiveBook(seed_book(), sessions, refresh_seconds=0)
    supervisor, _ = StaffService(sessions).create("科长", "南关区民政局", "220102", StaffRole.county_supervisor)
    return sessions, Rescreener(sessions, leads, book), book, supervisor


def count(sessions, table, *where):
    with sessions() as session:
        return session.execute(select(func.count()).select_from(table).where(*where)).scalar()


def test_a_raised_standard_files_one_lead_for_an_edge_household_that_now_may_get_dibao(world):
    sessions, rescreener, book, supervisor = world
    rescreener.enroll("webchat:a", "webchat", {**EDGE, "members": [{"age": 40}]}, on=dt.date(2026, 12, 1))
    rescreener.enroll("webchat:rich", "webchat", {**EDGE, "monthly_income": "9000"}, on=dt.date(2026, 12, 1))
    first = rescreener.run(TODAY)
    assert (first.households, first.unchanged, first.filed) == (2, 2, 0)  # nothing changed yet
    StandardsService(sessions).enter(supervisor, book(), "220102", RAISE, today=TODAY)
    report = rescreener.run(TODAY)
    assert (report.rescreened, report.newly_qualifying, report.filed) == (2, 1, 1)
    with sessions() as session:
        lead = session.execute(select(leads_table)).one()
    assert (lead.kind, lead.source_channel.value, lead.region, lead.conversation_id) == (
        LEAD_KIND,
        "monitoring",
        "220102",
        "webchat:a",
    )
    assert "标准调整后可能符合" in lead.description and "长民发〔2026〕9号" in lead.description
    assert lead.screening["before"] == "near_dibao" and lead.screening["after"] == "dibao"
    assert count(sessions, notification_outbox) == 1  # notified like any other lead
    again = rescreener.run(TODAY)
    assert (again.unchanged, again.filed) == (2, 0)
    assert count(sessions, leads_table) == 1


def test_a_run_that_died_before_recording_files_nothing_twice(world):
    sessions, rescreener, book, supervisor = world
    rescreener.enroll("webchat:a", "webchat", EDGE, on=dt.date(2026, 12, 1))
    with sessions() as session:
        old = session.execute(select(monitored_households.c.standard)).scalar()
    StandardsService(sessions).enter(supervisor, book(), "220102", RAISE, today=TODAY)
    assert rescreener.run(TODAY).filed == 1
    with sessions.begin() as session:  # as if the run had filed the lead and died before its update
        session.execute(update(monitored_households).values(standard=old, primary_layer="near_dibao"))
    retry = rescreener.run(TODAY)
    assert (retry.newly_qualifying, retry.filed) == (1, 0) and count(sessions, leads_table) == 1


def test_no_lead_without_consent_or_after_it_was_withdrawn_or_for_a_lower_layer(world):
    sessions, rescreener, book, supervisor = world
    rescreener.enroll("webchat:gone", "webchat", EDGE, on=dt.date(2026, 12, 1))
    rescreener.withdraw("webchat:gone")
    rescreener.enroll("webchat:dibao", "webchat", {**EDGE, "monthly_income": "1200"}, on=dt.date(2026, 12, 1))
    StandardsService(sessions).enter(supervisor, book(), "220102", RAISE, today=TODAY)
    report = rescreener.run(TODAY)
    assert report.households == 1 and report.filed == 0  # already 低保: more of the same is no news
    assert count(sessions, leads_table) == 0


def test_only_the_screening_facts_are_kept(world):
    sessions, rescreener, _, _ = world
    rescreener.enroll("webchat:a", "webchat", {**EDGE, "name": "张三", "phone": "13912345678"}, on=TODAY)
    with sessions() as session:
        kept = session.execute(select(monitored_households.c.household)).scalar()
    assert "name" not in kept and "phone" not in kept and kept["monthly_income"] == "1800"


def test_a_lead_whose_resident_agreed_is_monitored_and_one_who_did_not_is_not(world):
    from bot.leads import LeadDraft

    sessions, rescreener, book, supervisor = world
    leads = rescreener.leads
    for key, consent in (("agreed", True), ("refused", False)):
        leads.file(
            LeadDraft(
                idempotency_key=key,
                source_channel="hotline",
                cause="illness",
                severity="normal",
                description="来电",
                region="220102",
                contact={"phone": "13912345678"} if consent else None,
                consent=consent,
                screening={"household": EDGE},
            )
        )
    assert rescreener.run(TODAY).households == 1  # only the lead that agreed
    StandardsService(sessions).enter(supervisor, book(), "220102", RAISE, today=TODAY)
    assert rescreener.run(TODAY).filed == 1
    with sessions() as session:
        kinds = session.execute(select(leads_table.c.kind, leads_table.c.conversation_id)).all()
    assert (LEAD_KIND, "lead:1") in kinds
