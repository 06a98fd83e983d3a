"""The warning queue on real SQLite and PostgreSQL: idempotent filing, one chain per household,
atomic claims, the life cycle and its history, and who may see what."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
from pydantic import ValidationError
from sqlalchemy import inspect, text

from bot.db import create_db_engine, session_factory
from bot.leads import (
    ClaimConflict,
    Forbidden,
    InvalidLead,
    LeadDraft,
    LeadNotFound,
    LeadService,
    LeadState,
    Severity,
    StaffRole,
    StaffService,
    TransitionRefused,
)

SECRET = b"test-secret"
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)


@pytest.fixture
def service(sessions):
    return LeadService(sessions, SECRET, clock=lambda: NOW)


@pytest.fixture
def people(sessions):
    make = StaffService(sessions).create
    return {
        "town": make("李干事", "朝阳区前进街道", "220104001", StaffRole.township_staff)[0],
        "town2": make("张干事", "朝阳区重庆街道", "220104002", StaffRole.township_staff)[0],
        "county": make("王科长", "朝阳区民政局", "220104", StaffRole.county_supervisor)[0],
        "other": make("赵干事", "兰山区某街道", "371302001", StaffRole.township_staff)[0],
    }


def draft(key="msg-1", phone=None, region="220104001", severity="urgent", **extra):
    contact = {"name": "刘女士", "phone": phone} if phone else None
    return LeadDraft(
        idempotency_key=key,
        source_channel="wechat",
        cause="illness",
        severity=severity,
        description="家人突发重病，住院费用负担不起",
        region=region,
        contact=contact,
        consent=bool(phone),
        **extra,
    )


def test_filing_twice_with_one_key_gives_one_lead(service):
    first = service.file(draft())
    again = service.file(draft())
    assert first.created and not again.created
    assert first.lead.id == again.lead.id
    assert first.lead.due_at == NOW + timedelta(hours=24)  # urgent: 24-hour 先行救助


def test_twenty_concurrent_filers_with_one_key_give_one_lead(service, people):
    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(lambda _: service.file(draft(key="retry-key")), range(20)))
    assert len({r.lead.id for r in results}) == 1
    assert sum(r.created for r in results) == 1
    assert len(service.list(people["county"])) == 1


def test_same_household_is_linked_to_its_open_lead(service, people):
    first = service.file(draft(key="a", phone="139 1234 5678", severity="normal"))
    second = service.file(draft(key="b", phone="+86 13912345678", severity="urgent"))
    assert second.lead.state is LeadState.merged and second.merged_into == first.lead.id
    lead, events = service.get(first.lead.id, people["town"])
    assert lead.severity is Severity.urgent  # escalated by the newer report
    assert [e.kind for e in events] == ["filed", "linked"]


def test_same_name_alone_is_not_the_same_household(service):
    one = LeadDraft(
        idempotency_key="n1",
        source_channel="hotline",
        cause="other",
        severity="normal",
        description="x",
        region="220104001",
        contact={"name": "王芳"},
        consent=True,
    )
    two = LeadDraft(
        idempotency_key="n2",
        source_channel="hotline",
        cause="other",
        severity="normal",
        description="y",
        region="220104001",
        contact={"name": "王芳"},
        consent=True,
    )
    assert service.file(one).lead.state is LeadState.new
    assert service.file(two).lead.state is LeadState.new


def test_same_address_in_the_same_region_is_the_same_household(service):
    first = service.file(
        LeadDraft(
            idempotency_key="h1",
            source_channel="staff",
            cause="disaster",
            severity="urgent",
            description="房屋受损",
            region="220104001",
            contact={"address": "幸福路 12号 3单元"},
            consent=True,
        )
    )
    second = service.file(
        LeadDraft(
            idempotency_key="h2",
            source_channel="web",
            cause="disaster",
            severity="urgent",
            description="受灾",
            region="220104001",
            contact={"address": "幸福路12号3单元"},
            consent=True,
        )
    )
    assert second.merged_into == first.lead.id


def test_contact_details_need_consent_and_the_id_number_is_never_stored(service, database_url):
    with pytest.raises(ValidationError, match="consent"):
        LeadDraft(
            idempotency_key="c",
            source_channel="web",
            cause="other",
            severity="normal",
            description="x",
            region="220104",
            contact={"phone": "13912345678"},
        )
    filed = service.file(
        LeadDraft(
            idempotency_key="id",
            source_channel="web",
            cause="other",
            severity="normal",
            description="x",
            region="220104",
            contact={"id_number": "110101199003074518"},
            consent=True,
        )
    )
    assert filed.lead.household_key and "110101199003074518" not in filed.lead.household_key
    engine = create_db_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql("SELECT * FROM leads").fetchall()
        assert "110101199003074518" not in repr(rows)
        assert not any("id_number" in c["name"] for c in inspect(engine).get_columns("leads"))
    finally:
        engine.dispose()


def test_two_staff_claiming_at_once_one_wins(service, people, sessions):
    second_staff = StaffService(sessions).create("孙干事", "前进街道", "220104001", StaffRole.township_staff)[0]
    for n in range(5):
        lead = service.file(draft(key=f"claim-{n}")).lead

        def claim(who, lead_id=lead.id):
            try:
                return service.claim(lead_id, who).claimed_by_id
            except ClaimConflict:
                return None

        with ThreadPoolExecutor(max_workers=2) as pool:
            winners = [w for w in pool.map(claim, [people["town"], second_staff]) if w is not None]
        assert len(winners) == 1


def test_life_cycle_with_history(service, people):
    lead = service.file(draft()).lead
    town = people["town"]
    service.claim(lead.id, town)
    service.transition(lead.id, town, LeadState.visiting, "约好明天入户")
    service.refer(lead.id, town, "医保", "申请医疗救助")
    service.transition(lead.id, town, LeadState.resolved, "已纳入临时救助", outcome="发放临时救助金2000元")
    done = service.transition(lead.id, town, LeadState.closed, "")
    assert done.state is LeadState.closed and done.outcome == "发放临时救助金2000元"
    _, events = service.get(lead.id, town)
    assert [(e.kind, e.to_state) for e in events] == [
        ("filed", LeadState.new),
        ("claimed", LeadState.claimed),
        ("transition", LeadState.visiting),
        ("referred", LeadState.visiting),
        ("transition", LeadState.resolved),
        ("transition", LeadState.closed),
    ]
    assert all(e.actor == f"staff:{town.id}" for e in events[1:])


@pytest.mark.parametrize(
    "steps,refused",
    [
        ([], LeadState.resolved),  # new → resolved: claim and visit first
        ([LeadState.claimed, LeadState.resolved, LeadState.closed], LeadState.visiting),  # closed is final
        ([LeadState.claimed], LeadState.closed),
    ],
)
def test_forbidden_transitions_are_refused(service, people, steps, refused):
    lead = service.file(draft()).lead
    for step in steps:
        if step is LeadState.claimed:
            service.claim(lead.id, people["town"])
        else:
            service.transition(lead.id, people["town"], step, outcome="已处理")
    with pytest.raises(TransitionRefused):
        service.transition(lead.id, people["town"], refused, outcome="x")


def test_resolving_needs_an_outcome(service, people):
    lead = service.file(draft()).lead
    service.claim(lead.id, people["town"])
    with pytest.raises(InvalidLead):
        service.transition(lead.id, people["town"], LeadState.resolved)


def test_who_sees_what(service, people):
    mine = service.file(draft(key="m", region="220104001")).lead
    service.file(draft(key="n", region="220104002"))
    service.file(draft(key="o", region="371302001"))
    assert [lead.id for lead in service.list(people["town"])] == [mine.id]
    assert len(service.list(people["county"])) == 2
    with pytest.raises(Forbidden):
        service.get(mine.id, people["town2"])
    with pytest.raises(Forbidden):
        service.claim(mine.id, people["other"])


def test_overdue_filter_and_ordering(sessions, people):
    clock = {"now": NOW}
    service = LeadService(sessions, SECRET, clock=lambda: clock["now"])
    normal = service.file(draft(key="late", severity="normal")).lead
    urgent = service.file(draft(key="soon", severity="urgent")).lead
    life = service.file(draft(key="now", severity="life_threatening")).lead
    assert [lead.id for lead in service.list(people["county"])] == [life.id, urgent.id, normal.id]
    clock["now"] = NOW + timedelta(hours=25)
    assert {lead.id for lead in service.list(people["county"], overdue=True)} == {urgent.id, life.id}


def test_merge_by_hand(service, people):
    a = service.file(draft(key="x1")).lead
    b = service.file(draft(key="x2")).lead
    merged = service.merge(b.id, a.id, people["county"], "同一户")
    assert merged.state is LeadState.merged and merged.merged_into_id == a.id
    with pytest.raises(TransitionRefused):
        service.merge(a.id, b.id, people["county"])  # b is no longer open


def test_a_filed_lead_is_there_for_a_new_engine(database_url):
    engine = create_db_engine(database_url)
    filed = LeadService(session_factory(engine), SECRET).file(draft(key="durable"))
    engine.dispose()
    engine = create_db_engine(database_url)
    try:
        again = LeadService(session_factory(engine), SECRET).file(draft(key="durable"))
        assert again.lead.id == filed.lead.id and not again.created
    finally:
        engine.dispose()


def test_tokens_are_stored_hashed(sessions):
    staff_service = StaffService(sessions)
    member, token = staff_service.create("周干事", "街道", "220104001", StaffRole.township_staff)
    assert member.token_hash != token and len(member.token_hash) == 64
    assert staff_service.authenticate(token).id == member.id
    assert staff_service.authenticate("wrong") is None


def test_one_household_reported_at_once_by_many_gives_one_open_lead(service, people):
    # Different keys, one phone: all look up "no open lead" together; the database lets one open.
    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(lambda n: service.file(draft(key=f"same-home-{n}", phone="13912345678")), range(12)))
    opened = [r for r in results if r.lead.state is LeadState.new]
    assert len(opened) == 1
    assert all(r.merged_into == opened[0].lead.id for r in results if r is not opened[0])
    assert [lead.id for lead in service.list(people["county"], states=[LeadState.new])] == [opened[0].lead.id]


def test_reopening_is_refused_while_the_household_has_another_open_lead(service, people):
    town = people["town"]
    first = service.file(draft(key="old", phone="13912345678")).lead
    service.claim(first.id, town)
    service.transition(first.id, town, LeadState.resolved, outcome="已纳入低保")
    second = service.file(draft(key="new", phone="13912345678"))
    assert second.created and second.lead.state is LeadState.new  # the first is no longer open
    with pytest.raises(TransitionRefused) as refused:
        service.transition(first.id, town, LeadState.visiting, "再次核实")
    assert "正在办理" in refused.value.message_zh


def test_staff_tokens_are_looked_up_once_per_cache_period(sessions):
    member, token = StaffService(sessions).create("吴干事", "街道", "220104001", StaffRole.township_staff)
    cached, uncached = StaffService(sessions, cache_seconds=60), StaffService(sessions, cache_seconds=0)
    assert cached.authenticate(token).id == uncached.authenticate(token).id == member.id
    with sessions.begin() as session:
        session.execute(text("UPDATE staff SET active = :no WHERE id = :id"), {"no": False, "id": member.id})
    assert uncached.authenticate(token) is None  # without a cache the change is seen at once
    assert cached.authenticate(token).id == member.id  # within the period the process trusts what it saw


@pytest.mark.postgres
def test_filing_survives_the_database_dropping_its_connections(postgres_url):
    engine = create_db_engine(postgres_url)
    service = LeadService(session_factory(engine), SECRET)
    try:
        service.file(draft(key="before"))  # leaves a pooled connection
        with create_db_engine(postgres_url).connect() as admin:
            admin.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
        filed = service.file(draft(key="after"))
        assert filed.created and filed.lead.id is not None
    finally:
        engine.dispose()


def test_a_phone_given_after_filing_is_added_with_consent_once(service, people):
    lead = service.file(draft(key="chat:r1:m1")).lead
    assert lead.contact_phone is None
    added = service.add_contact("wechat", "chat:r1:m1", "13912345678")
    assert added.contact_phone == "13912345678" and added.consent_at is not None
    again = service.add_contact("wechat", "chat:r1:m1", "13800000000")  # a retry or a second number
    assert again.contact_phone == "13912345678"
    stored, history = service.get(lead.id, people["county"])
    assert stored.contact_phone == "13912345678" and [e.kind for e in history].count("contact_added") == 1
    with pytest.raises(LeadNotFound):  # another channel's key is not this filer's lead
        service.add_contact("hotline", "chat:r1:m1", "13912345678")
