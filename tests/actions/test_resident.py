"""The resident's actions against real rasa-sdk trackers, and the warning queue on a real database."""

from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.emergency import ActionEmergency, ActionFileEmergencyLead, ValidateEmergencyForm
from actions.policy import NOT_SURE, ActionAnswerPolicy
from actions.prescreen import (
    FINISHED,
    ActionAskPrescreenAnswer,
    ActionPrescreenResult,
    ActionStartPrescreen,
    ValidatePrescreenForm,
)
from bot import runtime
from bot.leads import StaffRole
from tests.fixtures.trackers import message as tracker


def slots_of(events) -> dict:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def texts(dispatcher: CollectingDispatcher) -> str:
    return "\n".join(m.get("text") or m.get("response") or "" for m in dispatcher.messages)


def test_a_policy_answer_uses_the_region_named_and_cites_its_sources():
    dispatcher = CollectingDispatcher()
    events = ActionAnswerPolicy().run(dispatcher, tracker("我在吉林，低保边缘家庭的收入标准是多少"), {})
    reply = texts(dispatcher)
    assert slots_of(events)["region"] == "220000"
    assert "2倍" in reply and reply.splitlines()[-1].startswith("依据：")


def test_a_question_no_article_answers_is_not_guessed():
    dispatcher = CollectingDispatcher()
    ActionAnswerPolicy().run(dispatcher, tracker("推荐个饭店"), {})
    assert texts(dispatcher) == NOT_SURE


async def test_prescreen_through_the_form_actions():
    """Start → each answer validated → the verdict, as the form runs them."""
    dispatcher = CollectingDispatcher()
    slots = slots_of(ActionStartPrescreen().run(dispatcher, tracker("三口人一个月一千二能吃低保吗"), {}))
    assert slots["prescreen_answer"] is None and slots["prescreen_state"]["household"]["size"] == 3
    for answer in ["吉林长春", "城里", "没超"]:
        ask = CollectingDispatcher()
        ActionAskPrescreenAnswer().run(ask, tracker("", slots), {})
        assert texts(ask)  # a question was asked
        t = tracker(answer, slots, active_loop="prescreen_form")
        slots.update(ValidatePrescreenForm().validate_prescreen_answer(answer, CollectingDispatcher(), t, {}))
    assert slots["prescreen_answer"] == FINISHED and slots["prescreen_state"] is None
    result = CollectingDispatcher()
    ActionPrescreenResult().run(result, tracker("", slots), {})
    assert "最低生活保障" in texts(result) and "480" in texts(result)


async def emergency_conversation(text: str, answers: list, sender="resident-2", message_id="msg-9"):
    dispatcher = CollectingDispatcher()
    slots = slots_of(ActionEmergency().run(dispatcher, tracker(text, message_id=message_id), {}))
    advice = texts(dispatcher)
    form = ValidateEmergencyForm()
    for slot, answer in answers:
        t = tracker(answer, slots, sender=sender, active_loop="emergency_form")
        slots.update(getattr(form, f"validate_{slot}")(answer, CollectingDispatcher(), t, {}))
    filed = CollectingDispatcher()
    await ActionFileEmergencyLead().run(filed, tracker("", slots, sender=sender), {})
    return advice, texts(filed), slots, filed.messages[-1].get("custom") or {}


async def test_an_emergency_with_consent_files_one_lead_with_the_phone(configured):
    advice, reply, slots, data = await emergency_conversation(
        "我家着火了，身份证号220104199001011234也烧了",
        [("lead_consent", "好的"), ("lead_phone", "13912345678"), ("lead_place", "长春市朝阳区前进街道")],
    )
    assert advice.startswith("如果火还没灭") and "119" in advice and "24小时先行救助" in advice
    assert "线索编号" in reply
    admin, _ = runtime.staff_service().create("管理员", "市民政局", "22", StaffRole.admin)
    lead, history = runtime.lead_service().get(data["lead_id"], admin)
    assert (lead.cause.value, lead.severity.value, lead.region) == ("disaster", "urgent", "220100")
    assert lead.contact_phone == "13912345678" and lead.consent_at is not None
    assert lead.conversation_id == "resident-2" and "220104199001011234" not in lead.description
    # The same turn again (a retried action call) files nothing new.
    _, again, _, data_again = await emergency_conversation(
        "我家着火了，身份证号220104199001011234也烧了",
        [("lead_consent", "好的"), ("lead_phone", "13912345678"), ("lead_place", "长春市朝阳区前进街道")],
    )
    assert data_again["lead_id"] == data["lead_id"]
    assert len(runtime.lead_service().list(admin)) == 1


async def test_an_emergency_without_consent_is_filed_without_contact(configured):
    advice, reply, slots, data = await emergency_conversation("我真的不想活了", [("lead_consent", "不用")])
    assert advice.index("12356") < advice.index("临时救助")
    assert slots["lead_consent"] == "no" and "没有留联系方式" in reply
    admin, _ = runtime.staff_service().create("管理员", "市民政局", "22", StaffRole.admin)
    lead, _ = runtime.lead_service().get(data["lead_id"], admin)
    assert lead.severity.value == "life_threatening" and lead.contact_phone is None and lead.consent_at is None
    assert lead.region == "000000"  # no place named: an admin routes it


async def test_the_form_asks_nothing_more_once_consent_is_refused():
    form = ValidateEmergencyForm()
    t = tracker("不用", {"lead_consent": "no"})
    assert await form.required_slots(["lead_consent", "lead_phone", "lead_place"], CollectingDispatcher(), t, {}) == [
        "lead_consent"
    ]


@pytest.mark.parametrize(
    "answer,expected", [("139 1234 5678", "13912345678"), ("不想留", "__skipped__"), ("123", None)]
)
def test_phone_answers(answer, expected):
    result = ValidateEmergencyForm().validate_lead_phone(answer, CollectingDispatcher(), tracker(answer), {})
    assert result["lead_phone"] == expected


def test_slots_cleared_before_the_form_starts_are_asked_not_refused():
    # On activation the form re-validates the slots action_emergency just cleared (value None).
    form = ValidateEmergencyForm()
    for slot in ("lead_consent", "lead_phone", "lead_place"):
        assert getattr(form, f"validate_{slot}")(None, CollectingDispatcher(), tracker(""), {}) == {slot: None}


def test_the_prescreen_form_activation_does_not_count_as_an_answer():
    state = {"household": {}, "pending": "region", "unknown": [], "retries": 0}
    t = tracker("", {"prescreen_state": state}, active_loop="prescreen_form")
    assert ValidatePrescreenForm().validate_prescreen_answer(None, CollectingDispatcher(), t, {}) == {
        "prescreen_answer": None
    }
