"""Hotline operator assist on real SQLite and PostgreSQL: a call transcript yields suggestions, the
next question, facts, an urgency flag, a lead filed once, and an editable summary."""

from __future__ import annotations

import functools
from concurrent.futures import ThreadPoolExecutor

import pytest
from pydantic import ValidationError

from bot.hotline import CallError, CallNotFound, CallService
from bot.leads import LeadService, StaffRole, StaffService

TRANSCRIPT = [
    ("operator", "您好，12345政务服务便民热线"),
    ("caller", "你好，我想问问低保去哪里申请"),
    ("caller", "我家在长春，三口人，一个月收入一千二，电话13912345678"),
    ("caller", "我老公前天突发脑梗住院了，住院费交不上"),
]


class AsStaff:
    """The call service as one staff member uses it: every call passes who is acting (the region guard)."""

    def __init__(self, service: CallService, staff) -> None:
        self._service, self._staff = service, staff

    def __getattr__(self, name):
        return functools.partial(getattr(self._service, name), staff=self._staff)


@pytest.fixture
def calls(sessions):
    operator, _ = StaffService(sessions).create("话务员007", "12345热线", "22", StaffRole.county_supervisor)
    return AsStaff(CallService(sessions, LeadService(sessions, b"test")), operator)


def play(calls, call_id="call-1"):
    calls.start(call_id, "话务员007")
    return [calls.hear(call_id, seq, speaker, text) for seq, (speaker, text) in enumerate(TRANSCRIPT)]


def test_a_call_transcript_yields_suggestions_facts_question_and_urgency(calls):
    heard = play(calls)
    assert heard[0].suggestions == []  # the operator's words suggest nothing
    first = heard[1].suggestions
    assert 1 <= len(first) <= 3 and first[0]["article"] == "dibao_apply"
    assert first[0]["text"].splitlines()[-1].startswith("依据：") and 0 < first[0]["confidence"] <= 1
    facts = heard[2].facts
    assert facts["家庭人口"] == 3 and facts["所在地区"] == "220100" and facts["每月收入"] == "1200"
    assert heard[2].next_question["field"] == "area"  # what the pre-screen would ask next
    assert heard[2].urgency is None
    assert heard[3].urgency["severity"] == "urgent" and "突发" in heard[3].urgency["reason"]
    assert heard[3].lead_draft["cause"] == "illness" and heard[3].lead_draft["region"] == "220100"


def test_transcripts_are_stored_without_phone_numbers(calls, sessions):
    from sqlalchemy import select

    from bot.hotline.tables import call_utterances

    play(calls)
    with sessions() as session:
        texts = [row[0] for row in session.execute(select(call_utterances.c.text))]
    assert len(texts) == 4 and not any("13912345678" in t for t in texts)


def test_a_resent_utterance_is_heard_once(calls):
    calls.start("call-2", "话务员")
    for _ in range(3):
        calls.hear("call-2", 1, "caller", "我家三口人")
    calls.hear("call-2", 2, "caller", "不对，是四口人")
    assert calls.get("call-2").state["caller_lines"] == 2
    assert calls.get("call-2").state["household"]["size"] == 4


def test_the_lead_is_filed_once_per_call_and_the_summary_is_editable(calls, sessions):
    play(calls, "call-3")
    ended = calls.end("call-3")
    assert ended.category == "急难求助" and "紧急情况（紧急）" in ended.summary
    edited = calls.edit("call-3", summary="来电人丈夫突发脑梗住院，请街道核实。")
    assert edited.summary.startswith("来电人丈夫") and calls.end("call-3").summary == edited.summary
    with ThreadPoolExecutor(max_workers=5) as pool:  # the operator clicks five times
        ids = set(pool.map(lambda _: calls.file_lead("call-3", {"consent": False}), range(5)))
    assert len(ids) == 1
    admin, _ = StaffService(sessions).create("管理员", "市局", "22", StaffRole.admin)
    lead, _ = LeadService(sessions, b"test").get(ids.pop(), admin)
    assert (lead.source_channel.value, lead.conversation_id, lead.cause.value) == ("hotline", "call-3", "illness")
    assert calls.get("call-3").lead_id == lead.id


def test_bad_requests_are_refused_clearly(calls):
    with pytest.raises(CallNotFound):
        calls.hear("no-such-call", 0, "caller", "你好")
    calls.start("call-4", "话务员")
    with pytest.raises(CallError) as error:
        calls.hear("call-4", 0, "robot", "你好")
    assert "来电人" in error.value.message_zh
    with pytest.raises(ValidationError):
        calls.file_lead("call-4", {"contact": {"phone": "not-a-phone"}, "consent": True})
    calls.end("call-4")
    with pytest.raises(CallError):
        calls.hear("call-4", 1, "caller", "还有个问题")


def test_an_unknown_place_never_refuses_the_lead_it_is_filed_for_an_admin_to_route(calls, sessions):
    calls.start("call-5", "话务员")
    lead_id = calls.file_lead("call-5", {"region": "长春那边"})  # a place name, not a code
    admin, _ = StaffService(sessions).create("管理员", "市局", "22", StaffRole.admin)
    lead, _ = LeadService(sessions, b"test").get(lead_id, admin)
    assert (lead.region, lead.place, lead.severity.value) == ("000000", "长春那边", "normal")
    calls.start("call-6", "话务员")
    lead, _ = LeadService(sessions, b"test").get(calls.file_lead("call-6", {}), admin)  # nothing said
    assert (lead.region, lead.description) == ("000000", "热线来电")
