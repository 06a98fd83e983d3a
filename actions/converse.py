"""Every resident message goes to the conversation core (bot/conversation/dialogue.py); this action only
carries its state in one slot, says what it said, files the lead it hands over and pauses on 转人工.
"""

from __future__ import annotations

import asyncio
import logging
from functools import lru_cache
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import record_handoff
from bot import logs, runtime
from bot.conversation.dialogue import Dialogue, LeadRequest, Message, open_state, seal_state
from bot.conversation.emergency import from_dict as emergency_from_dict
from bot.leads import intake
from bot.policies import default_desk
from bot.privacy import mask_pii

logger = logging.getLogger(__name__)

STATE_SLOT = "conversation"


def file_lead(request: LeadRequest) -> str:
    found = request.emergency
    draft = intake.draft_lead(
        intake.CHAT,
        request.conversation_id,
        message_id=request.message_id,
        input_channel=request.channel,
        emergency=found,
        description=request.text,
        region=request.region,
        place=request.place,
        contact={"phone": request.phone} if request.phone else None,
        consent=request.consent,
        screening={"household": request.household} if request.household else None,
        suggested_handling="deliver",
    )
    try:
        filed = runtime.lead_service().file(draft)
    except Exception:
        logger.exception("emergency lead not filed (conversation=%s)", mask_pii(request.conversation_id))
        raise
    kind = found.kind if found else "other"
    logger.info("emergency lead %s filed (kind=%s, created=%s)", filed.lead_id, kind, filed.created)
    return filed.lead_id


def add_contact(request: LeadRequest, phone: str) -> str:
    key = intake.idempotency_key(intake.CHAT, request.conversation_id, request.message_id)
    lead = runtime.lead_service().add_contact(intake.source_channel(request.channel).value, key, phone)
    logger.info("contact added to lead %s", lead.id)
    return lead.id


def monitor(conversation_id: str, channel: str, household: Dict[str, Any]) -> None:
    """The resident agreed to be re-screened when a standard changes (bot.standards.rescreen)."""
    runtime.rescreener().enroll(conversation_id, channel, household)


@lru_cache(maxsize=1)
def dialogue() -> Dialogue:
    runtime.use_live_standards()  # a standard staff entered applies to the next screening, no restart
    return Dialogue(default_desk(), file_lead, add_contact=add_contact, monitor=monitor)


def message_of(tracker: Tracker) -> Message:
    latest = tracker.latest_message or {}
    intent = latest.get("intent") or {}
    emergency = latest.get("emergency")
    selectors = latest.get("response_selector") or {}
    # One ResponseSelector for the one retrieval intent (out_of_scope): Rasa names it "default".
    selector = selectors.get("out_of_scope") or selectors.get("default") or {}
    response = (selector.get("response") or {}).get("utter_action")
    return Message(
        text=latest.get("text") or "",
        message_id=latest.get("message_id") or f"event-{len(tracker.events)}",
        sender_id=tracker.sender_id,
        channel=tracker.get_latest_input_channel() or "web",
        intent=intent.get("name"),
        confidence=float(intent.get("confidence") or 0.0),
        emergency=emergency_from_dict(emergency) if emergency else None,
        emergency_checked="emergency" in latest,
        response=response,
    )


class ActionConverse(Action):
    def name(self) -> Text:
        return "action_converse"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        sealer = runtime.sealer()
        state: Optional[dict] = open_state(tracker.get_slot(STATE_SLOT), sealer.unseal)
        with logs.conversation(tracker.sender_id):  # every log line of this turn names its conversation
            outcome = await asyncio.to_thread(dialogue().turn, state, message_of(tracker))
        for say in outcome.says:
            if say.response:
                dispatcher.utter_message(response=say.response)
            else:
                dispatcher.utter_message(text=say.text, json_message=say.data)
        events: List[EventType] = [SlotSet(STATE_SLOT, seal_state(outcome.state, sealer.seal))]
        if outcome.handoff:
            events += await record_handoff(dispatcher, tracker)
        return events
