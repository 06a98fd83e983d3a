"""The supervisor dashboard's figures on real SQLite and PostgreSQL: leads by cause, kind, severity and
township, due-time compliance, open and overdue leads, and conversations from Rasa's events table (made
here as Rasa's SQL tracker store makes it), each confined to the supervisor's region."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from bot.dashboard import DashboardError, DashboardService, TrackerEvents
from bot.dashboard.tracker import events
from bot.handoff import HandoffService, TranscriptLine
from bot.hotline import CallService
from bot.leads import LeadDraft, LeadService, LeadState, StaffRole, StaffService

# 2026-11-23 16:00 in China: "today" is the 23rd, yesterday the 22nd.
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)
TODAY, YESTERDAY = "2026-11-23", "2026-11-22"


class Clock:
    def __init__(self):
        self.now = NOW

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def people(sessions):
    make = StaffService(sessions).create
    return {
        "town": make("李干事", "前进街道", "220104001", StaffRole.township_staff)[0],
        "county": make("王科长", "朝阳区民政局", "220104", StaffRole.county_supervisor)[0],
        "city": make("孙处长", "长春市民政局", "2201", StaffRole.county_supervisor)[0],
        "far": make("赵科长", "兰山区民政局", "371302", StaffRole.county_supervisor)[0],
        "admin": make("管理员", "省厅", "22", StaffRole.admin)[0],
    }


@pytest.fixture(autouse=True)
def no_rasa_events(sessions):
    """Rasa's table is not ours: migrations leave it, so each test starts and ends without it."""
    with sessions.begin() as session:
        events.drop(session.get_bind(), checkfirst=True)
    yield
    with sessions.begin() as session:
        events.drop(session.get_bind(), checkfirst=True)


@pytest.fixture
def world(sessions, clock, people):
    leads = LeadService(sessions, b"dash", clock=clock)
    return leads, DashboardService(sessions, clock=clock)


def file(leads, clock, key, at, **fields):
    clock.now = at
    values = dict(
        idempotency_key=key,
        source_channel="wechat",
        cause="illness",
        severity="urgent",
        description="情况",
        region="220104001",
    )
    values.update(fields)
    return leads.file(LeadDraft(**values)).lead


def test_leads_by_cause_kind_severity_and_township_per_day_in_the_region(world, clock, people):
    leads, dashboard = world
    file(leads, clock, "a", NOW - timedelta(days=1), cause="other", kind="self_harm", severity="life_threatening")
    file(leads, clock, "b", NOW - timedelta(hours=2), kind="fire_trapped", cause="disaster")
    file(leads, clock, "c", NOW - timedelta(hours=1), region="220104002")
    file(leads, clock, "d", NOW - timedelta(hours=1), region="220104")  # the county's own: no township
    file(leads, clock, "e", NOW - timedelta(hours=1), region="371302001")  # another county
    clock.now = NOW
    board = dashboard.build(people["county"], "day", 7)

    def row(key, period):
        return next(r for r in board.figure(key).rows if r["period"] == period)

    assert [r["period"] for r in board.figure("by_cause").rows][-2:] == [YESTERDAY, TODAY]
    assert row("by_cause", YESTERDAY) == {"period": YESTERDAY, "other": 1, "total": 1, "illness": 0, "disaster": 0}
    assert (row("by_cause", TODAY)["illness"], row("by_cause", TODAY)["disaster"]) == (2, 1)
    assert (row("by_kind", YESTERDAY)["self_harm"], row("by_kind", TODAY)["fire"]) == (1, 1)
    assert row("by_severity", YESTERDAY)["life_threatening"] == 1 and row("by_severity", TODAY)["urgent"] == 3
    township = row("by_township", TODAY)
    assert (township["220104001"], township["220104002"], township["220104"], township["total"]) == (1, 1, 1, 3)
    assert "371302001" not in township  # another county's lead is not counted, nor named

    far = dashboard.build(people["far"], "day", 7)
    assert sum(r["total"] for r in far.figure("by_cause").rows) == 1
    weekly = dashboard.build(people["city"], "week", 14)
    assert [r["period"] for r in weekly.figure("by_cause").rows] == ["2026-11-09", "2026-11-16", "2026-11-23"]
    assert [r["total"] for r in weekly.figure("by_cause").rows] == [0, 1, 3]  # the 22nd is a Sunday


def test_township_staff_are_refused_and_the_window_is_checked(world, people):
    _, dashboard = world
    with pytest.raises(DashboardError):
        dashboard.build(people["town"])
    with pytest.raises(ValueError):
        dashboard.build(people["county"], "month")
    with pytest.raises(ValueError):
        dashboard.build(people["county"], "day", 400)


def test_compliance_and_medians_and_open_and_overdue_by_township(world, clock, people):
    leads, dashboard = world
    start = NOW - timedelta(days=3)
    # Urgent leads are due 24 hours after filing (knowledge/rules/queue.yaml).
    fast = file(leads, clock, "fast", start)
    late = file(leads, clock, "late", start)
    never = file(leads, clock, "never", start, region="220104002")
    file(leads, clock, "fresh", NOW - timedelta(hours=1))  # not due yet: not judged
    clock.now = start + timedelta(hours=2)
    leads.claim(fast.id, people["county"])
    clock.now = start + timedelta(hours=10)
    leads.transition(fast.id, people["county"], LeadState.visiting)
    clock.now = start + timedelta(hours=30)
    leads.claim(late.id, people["county"])
    clock.now = NOW
    board = dashboard.build(people["county"], "day", 7)
    total = board.figure("compliance").total
    assert total["period"] == "全部" and total["filed"] == 4
    assert sum(row["filed"] for row in board.figure("compliance").rows) == 4
    # Claimed: fast in time, late late, never past due → 1 of 3 judged.
    assert total["claimed_in_time_pct"] == pytest.approx(33.3)
    # Visited: fast in time; late and never past due without a visit → 1 of 3.
    assert total["visited_in_time_pct"] == pytest.approx(33.3)
    assert total["median_hours_to_claim"] == pytest.approx(16.0)  # 2 h and 30 h
    assert total["median_hours_to_visit"] == pytest.approx(10.0)
    opened = {r["township"]: r for r in board.figure("open_by_township").rows}
    # Overdue as the queue says it: still open past its due time (fast is being visited, late claimed).
    assert (opened["220104001"]["open"], opened["220104001"]["overdue"]) == (3, 2)
    assert (opened["220104002"]["open"], opened["220104002"]["overdue"]) == (1, 1)
    assert never.id  # filed


def _rasa_events(sessions):
    with sessions.begin() as session:
        events.create(session.get_bind(), checkfirst=True)


def _event(session, sender, type_name, at, **data):
    session.execute(
        events.insert().values(
            sender_id=sender,
            type_name=type_name,
            timestamp=at.timestamp(),
            data=json.dumps({"event": type_name, **data}),
        )
    )


def _state(**changes):
    state = {"v": 1, "region": None, "screen": None, "paused": None, "last": None, "emergency": None, "misses": 0}
    state.update(changes)
    return state


# tests/eligibility/cases/layers.yaml, worked example 1: 低保.
DIBAO_HOUSEHOLD = {"region": "220000", "area": "urban", "size": 3, "monthly_income": 1200, "assets_within_limit": True}


def _conversation(session, sender, region, at):
    """A resident: a pre-screen to a verdict, a message not understood, then an emergency."""
    steps = [
        ("帮我算算能不能吃低保", _state(screen={"household": {}})),
        ("长春市区，三口人，每月收入500元，没有存款", _state(region=region, last={"household": DIBAO_HOUSEHOLD})),
        ("嗯嗯那个啥", _state(region=region, last={"household": DIBAO_HOUSEHOLD}, misses=1)),
        (
            "我不想活了，电话13912345678",
            _state(region=region, last={"household": DIBAO_HOUSEHOLD}, emergency={"kind": "self_harm"}),
        ),
    ]
    for i, (text, state) in enumerate(steps):
        moment = at + timedelta(minutes=i)
        _event(session, sender, "user", moment, text=text, input_channel="rest")
        _event(session, sender, "slot", moment + timedelta(seconds=1), name="conversation", value=state)
        _event(session, sender, "bot", moment + timedelta(seconds=1), text=f"回复{i}")


def test_conversations_prescreens_verdicts_emergencies_and_fallbacks_from_rasa_events(world, sessions, people):
    _, dashboard = world
    board = dashboard.build(people["county"], "day", 7)
    assert "events" in board.figure("conversations").missing  # no tracker store yet: said, not zeros
    _rasa_events(sessions)
    with sessions.begin() as session:
        _conversation(session, "resident-a", "220104", NOW - timedelta(hours=3))
        _conversation(session, "resident-far", "371302", NOW - timedelta(hours=3))
        _event(session, "resident-anon", "user", NOW - timedelta(hours=2), text="你好")
        _event(session, "resident-old", "user", NOW - timedelta(days=30), text="很久以前")
    board = dashboard.build(people["county"], "day", 7)
    today = board.figure("conversations").rows[-1]
    assert board.figure("conversations").missing is None
    assert (today["conversations"], today["messages"]) == (1, 4)
    assert (today["prescreens_started"], today["prescreens_finished"], today["emergencies"]) == (1, 1, 1)
    assert today["fallback_rate_pct"] == pytest.approx(25.0)
    assert board.figure("verdicts").rows == [{"verdict": "最低生活保障（低保）", "count": 1}]
    assert "1 个会话没有说明地区" in board.figure("conversations").note
    assert board.figure("conversations").total["fallback_rate_pct"] == pytest.approx(25.0)

    admin = dashboard.build(people["admin"], "day", 7).figure("conversations").rows[-1]
    assert (admin["conversations"], admin["messages"]) == (3, 9)  # every region, and none


def test_handoffs_and_their_waiting_time_and_calls(world, sessions, clock, people):
    _, dashboard = world
    _rasa_events(sessions)
    with sessions.begin() as session:
        _event(session, "h-1", "slot", NOW - timedelta(hours=5), name="conversation", value=_state(region="220104001"))
        _event(session, "h-2", "slot", NOW - timedelta(hours=5), name="conversation", value=_state(region="220104"))
    handoffs = HandoffService(sessions, clock=clock)
    clock.now = NOW - timedelta(hours=4)
    handoffs.request("h-1", "rest", [TranscriptLine("user", "转人工")])
    handoffs.request("h-2", "rest", [])
    handoffs.request("h-unknown", "rest", [])  # a conversation without a region: admins only
    clock.now = NOW - timedelta(hours=3, minutes=50)
    handoffs.resume("h-1", "staff:1")
    calls = CallService(sessions, LeadService(sessions, b"dash", clock=clock), clock=clock)
    calls.start("call-1", "话务员", staff=people["county"])
    clock.now = NOW
    figure = dashboard.build(people["county"], "day", 7).figure("handoffs")
    today = figure.rows[-1]
    assert (today["requests"], today["answered"], today["waiting"]) == (2, 1, 1)
    assert today["median_wait_minutes"] == pytest.approx((10 + 240) / 2)
    assert "1 个请求" in figure.note
    assert (figure.total["requests"], figure.total["median_wait_minutes"]) == (2, pytest.approx(125.0))
    assert dashboard.build(people["admin"], "day", 7).figure("handoffs").rows[-1]["requests"] == 3
    activity = dashboard.build(people["county"], "day", 7).figure("conversations").rows
    assert sum(r["calls"] for r in activity) == 1
    assert sum(r["calls"] for r in dashboard.build(people["far"], "day", 7).figure("conversations").rows) == 0


def test_the_transcript_is_masked_and_absent_without_rasa(sessions):
    tracker = TrackerEvents(sessions)
    assert not tracker.available()
    _rasa_events(sessions)
    with sessions.begin() as session:
        _event(session, "u-1", "user", NOW, text="我的电话是13912345678，身份证110101199003074518")
        _event(session, "u-1", "bot", NOW + timedelta(seconds=1), text="好的")
        _event(session, "u-2", "user", NOW, text="别人的对话")
    lines = tracker.transcript("u-1")
    assert [(line["speaker_name"], line["at"]) for line in lines] == [
        ("居民", NOW),
        ("助手", NOW + timedelta(seconds=1)),
    ]
    assert "13912345678" not in lines[0]["text"] and "110101199003074518" not in lines[0]["text"]
