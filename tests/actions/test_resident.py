"""The resident's conversation through action_converse on real rasa-sdk trackers, leads on a real database."""

from __future__ import annotations

import json

from rasa_sdk.events import ConversationPaused
from rasa_sdk.executor import CollectingDispatcher

from actions.converse import STATE_SLOT, ActionConverse
from bot import runtime
from bot.conversation.dialogue import NOT_SURE
from bot.leads import StaffRole
from bot.privacy import SEALED, Sealer
from tests.fixtures.trackers import message


def tracker(text: str, state=None, sender: str = "resident-1", message_id: str = "m1", intent: str = "x"):
    return message(text, {STATE_SLOT: state}, sender=sender, message_id=message_id, intent=intent)


def texts(dispatcher: CollectingDispatcher) -> str:
    return "\n".join(m.get("text") or m.get("response") or "" for m in dispatcher.messages)


async def say(text, state=None, **kwargs):
    dispatcher = CollectingDispatcher()
    events = await ActionConverse().run(dispatcher, tracker(text, state, **kwargs), {})
    state = next(e["value"] for e in events if e.get("event") == "slot" and e["name"] == STATE_SLOT)
    return dispatcher, state, events


async def conversation(lines, sender="resident-1", intent="x"):
    state, replies = None, []
    for n, text in enumerate(lines):
        dispatcher, state, _ = await say(text, state, sender=sender, message_id=f"{sender}-{n}", intent=intent)
        replies.append(dispatcher)
    return replies, state


async def test_a_policy_answer_uses_the_region_named_and_cites_its_sources():
    dispatcher, state, _ = await say("我在吉林，低保边缘家庭的收入标准是多少", intent="ask_policy")
    reply = texts(dispatcher)
    assert state["region"] == "220000"
    assert "2倍" in reply and reply.splitlines()[-1].startswith("依据：")


async def test_a_question_no_article_answers_is_not_guessed():
    dispatcher, _, _ = await say("推荐个饭店", intent="ask_policy")
    assert texts(dispatcher) == NOT_SURE


async def test_prescreen_to_a_verdict():
    replies, state = await conversation(["三口人一个月一千二能吃低保吗", "吉林长春", "城里", "没有"])
    assert "最低生活保障" in texts(replies[-1]) and "1110" in texts(replies[-1])
    assert state["screen"] is None and state["last"]["household"]["size"] == 3


async def test_an_emergency_with_consent_files_one_lead_with_the_phone(configured):
    lines = ["我家着火了，身份证号220104199001011234也烧了", "好的", "13912345678", "长春市朝阳区前进街道"]
    replies, _ = await conversation(lines, sender="resident-2")
    advice, reply = texts(replies[0]), texts(replies[-1])
    assert advice.startswith("如果火还没灭") and "119" in advice and "24小时先行救助" in advice
    assert "线索编号" in reply
    lead_id = replies[-1].messages[-1]["custom"]["lead_id"]
    admin, _ = runtime.staff_service().create("管理员", "市民政局", "22", StaffRole.admin)
    lead, history = runtime.lead_service().get(lead_id, admin)
    assert (lead.cause.value, lead.severity.value, lead.region) == ("disaster", "urgent", "220104")
    assert lead.contact_phone == "13912345678" and lead.consent_at is not None
    assert lead.conversation_id == "resident-2" and "220104199001011234" not in lead.description
    # The same turns again (a retried action call) file nothing new.
    again, _ = await conversation(lines, sender="resident-2")
    assert again[-1].messages[-1]["custom"]["lead_id"] == lead_id
    assert len(runtime.lead_service().list(admin)) == 1


async def test_the_phone_waiting_for_its_lead_is_carried_sealed_and_leaves_with_the_filing(configured):
    """The slot is what Rasa stores and its tracker API shows: the number is never in it in full."""
    lines = ["我家着火了", "好的", "13912345678"]
    _, waiting = await conversation(lines, sender="resident-seal")
    assert "13912345678" not in json.dumps(waiting) and waiting["emergency"]["phone"].startswith(SEALED)
    dispatcher, filed, _ = await say("长春市朝阳区前进街道", waiting, sender="resident-seal", message_id="seal-4")
    assert "13912345678" not in json.dumps(filed) and filed["emergency"] is None
    admin, _ = runtime.staff_service().create("管理员", "市民政局", "22", StaffRole.admin)
    lead, _ = runtime.lead_service().get(dispatcher.messages[-1]["custom"]["lead_id"], admin)
    assert lead.contact_phone == "13912345678"  # opened for the lead, which holds it with consent
    # A seal another secret made, or text behind the prefix, does not open: the phone is asked for
    # again, nothing is guessed or filed.
    for n, forged_phone in enumerate((Sealer(b"another secret").seal("13912345678"), SEALED + "not a token")):
        emergency = {**waiting["emergency"], "phone": forged_phone, "message_id": f"forged-{n}"}
        forged = {**waiting, "emergency": emergency}
        asked, _, _ = await say("长春市朝阳区前进街道", forged, sender=f"resident-seal-{n}", message_id=f"seal-{n}")
        assert "手机号" in texts(asked), texts(asked)


async def test_an_emergency_without_consent_is_filed_without_contact(configured):
    replies, state = await conversation(["我真的不想活了", "不用"])
    advice, reply = texts(replies[0]), texts(replies[-1])
    assert advice.index("12356") < advice.index("临时救助")
    assert "没有留联系方式" in reply and state["emergency"] is None
    admin, _ = runtime.staff_service().create("管理员", "市民政局", "22", StaffRole.admin)
    lead, _ = runtime.lead_service().get(replies[-1].messages[-1]["custom"]["lead_id"], admin)
    assert lead.severity.value == "life_threatening" and lead.contact_phone is None and lead.consent_at is None
    assert lead.region == "000000"  # no place named: an admin routes it


async def test_handoff_mid_prescreen_pauses_and_keeps_the_household(configured):
    replies, state = await conversation(["帮我算算能不能吃低保", "长春 三口人"], intent="start_prescreen")
    dispatcher, state, events = await say("转人工", state, intent="handoff")
    assert ConversationPaused() in events
    assert [m["response"] for m in dispatcher.messages] == ["utter_handoff"]
    assert state["paused"]["household"]["size"] == 3


async def test_a_phone_given_after_declining_goes_into_the_same_lead(configured):
    replies, _ = await conversation(["厨房着火了 怎么办", "不用", "哎 还是留个电话吧 13644317720"], sender="resident-3")
    first = replies[1].messages[-1]["custom"]["lead_id"]
    assert replies[2].messages[-1]["custom"]["lead_id"] == first and "补充" in texts(replies[2])
    admin, _ = runtime.staff_service().create("管理员", "市民政局", "22", StaffRole.admin)
    leads = runtime.lead_service().list(admin)
    assert len(leads) == 1 and leads[0].contact_phone == "13644317720" and leads[0].consent_at is not None
