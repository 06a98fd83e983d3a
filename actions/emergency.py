"""Emergencies: what to do now first, then consent and a phone number, then a lead in the queue.

Detection and advice come from the core (bot/conversation/emergency.py); filing from the queue
(bot/leads). The lead's idempotency key is the emergency message's id, so a retried or replayed
turn never files twice.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from bot import runtime
from bot.conversation.emergency import detect, generic_advice
from bot.conversation.facts import find_region, parse_consent
from bot.leads import intake
from bot.privacy import find_phone, mask_pii

logger = logging.getLogger(__name__)

SKIPPED = "__skipped__"


class ActionEmergency(Action):
    def name(self) -> Text:
        return "action_emergency"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        message = tracker.latest_message
        text = message.get("text") or ""
        found = detect(text)
        dispatcher.utter_message(text=found.advice if found else generic_advice())
        events = [
            SlotSet("emergency_text", text),
            SlotSet("emergency_message_id", message.get("message_id") or f"event-{len(tracker.events)}"),
            SlotSet("lead_consent", None),
            SlotSet("lead_phone", None),
            SlotSet("lead_place", None),
        ]
        region = find_region(text)
        if region:
            events.append(SlotSet("region", region))
        return events


class ValidateEmergencyForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_emergency_form"

    async def required_slots(
        self, domain_slots: List[Text], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Text]:
        # Declined: nothing more to ask; the lead is filed without contact details.
        return ["lead_consent"] if tracker.get_slot("lead_consent") == "no" else domain_slots

    def validate_lead_consent(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if value is None:  # the form's activation re-validates slots just cleared: nothing was said yet
            return {"lead_consent": None}
        agreed, phone = parse_consent(str(value))
        if agreed is None:
            dispatcher.utter_message(text="请回复“同意”或直接发手机号；不需要的话回复“不用”。")
            return {"lead_consent": None}
        if not agreed:
            return {"lead_consent": "no"}
        return {"lead_consent": "yes", **({"lead_phone": phone} if phone else {})}

    def validate_lead_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if value is None:
            return {"lead_phone": None}
        phone = find_phone(str(value))
        if phone:
            return {"lead_phone": phone}
        agreed, _ = parse_consent(str(value))
        if agreed is False:
            return {"lead_phone": SKIPPED}
        dispatcher.utter_message(text="这个号码好像不完整，请发11位手机号或带区号的座机号；不想留可以回复“不用”。")
        return {"lead_phone": None}

    def validate_lead_place(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if value is None:
            return {"lead_place": None}
        place = str(value).strip()[:200]
        events: Dict[Text, Any] = {"lead_place": place or SKIPPED}
        region = find_region(place)
        if region:
            events["region"] = region
        return events


def _clean(value: Optional[str]) -> Optional[str]:
    return None if value in (None, SKIPPED) else value


class ActionFileEmergencyLead(Action):
    def name(self) -> Text:
        return "action_file_emergency_lead"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        text = tracker.get_slot("emergency_text") or ""
        found = detect(text)
        consent = tracker.get_slot("lead_consent") == "yes"
        phone = _clean(tracker.get_slot("lead_phone")) if consent else None
        place = _clean(tracker.get_slot("lead_place")) if consent else None
        draft = intake.draft_lead(
            intake.CHAT,
            tracker.sender_id,
            message_id=tracker.get_slot("emergency_message_id"),
            input_channel=tracker.get_latest_input_channel(),
            emergency=found,
            description=text,
            region=tracker.get_slot("region"),
            place=place,
            contact={"phone": phone},
            consent=consent,
            suggested_handling="deliver",
        )
        try:
            filed = await asyncio.to_thread(runtime.lead_service().file, draft)
        except SQLAlchemyError:
            logger.exception("emergency lead not filed (conversation=%s)", mask_pii(tracker.sender_id))
            dispatcher.utter_message(
                text="抱歉，登记暂时没有成功。请直接拨打12345政务服务便民热线说明情况；有生命危险请拨打110、120。"
            )
            return []
        lead_id = filed.lead_id
        logger.info(
            "emergency lead %s filed (kind=%s, created=%s)", lead_id, found.kind if found else "other", filed.created
        )
        if phone:
            reply = f"已把您的情况登记给当地民政工作人员（线索编号 {lead_id}），他们会尽快打电话联系您。"
        else:
            reply = f"已把您的情况登记给当地民政工作人员（线索编号 {lead_id}），没有留联系方式，您也可以随时拨打12345或到乡镇（街道）说明情况。"
        if tracker.get_slot("prescreen_state"):
            reply += "\n刚才的初步测算先暂停了，想接着算请说“继续测算”。"
        dispatcher.utter_message(text=reply, json_message={"lead_id": lead_id})
        return [SlotSet("emergency_text", None), SlotSet("emergency_message_id", None)]
