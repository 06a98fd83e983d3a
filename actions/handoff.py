"""转人工: pause the bot for this conversation and record a request a person picks up."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any, Dict, Iterable, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, EventType
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.transcript import recent_transcript
from bot import runtime
from bot.settings import get_settings

logger = logging.getLogger(__name__)

STATE_SLOT = "conversation"  # the core's conversation state (actions/converse.py)
_REGION_CODE = re.compile(r"[0-9]{2,12}\Z")
UNKNOWN_REGION = "000000"


def _code(value: Any) -> Optional[str]:
    return value if isinstance(value, str) and _REGION_CODE.match(value) and value != UNKNOWN_REGION else None


def _significant(code: str) -> str:
    """The code without the 00 pairs that pad a city or province to six digits (220100 is 长春市, 2201)."""
    while len(code) > 2 and code.endswith("00"):
        code = code[:-2]
    return code


def handoff_region(state: Optional[dict], events: Iterable[dict]) -> Optional[str]:
    """Where the resident is: what the conversation learnt, made more specific by the region the web
    chat's page is for (the 12345 site of a city or district sends its code) when that lies within it.
    Without either, only admins see the request."""
    state = state or {}
    pending = state.get("emergency") or {}
    said = next((value for value in (pending.get("region"), state.get("region")) if _code(value)), None)
    page = None
    for event in reversed(list(events)):
        if event.get("event") == "user":
            page = _code((event.get("metadata") or {}).get("region"))
            break
    if said and page and not page.startswith(_significant(said)):
        return said  # the resident said where they are: that wins over the site they came from
    return page or said


def handoff_is_urgent(state: Optional[dict], events: Iterable[dict]) -> bool:
    """An emergency in this conversation (seen by the rules, or one still collecting consent)."""
    if (state or {}).get("emergency"):
        return True
    return any(e.get("event") == "user" and (e.get("parse_data") or {}).get("emergency") for e in events)


async def record_handoff(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
    """Record a request a person picks up, then pause the bot; without a record, do not pause."""
    transcript = recent_transcript(tracker.events, get_settings().handoff_transcript_messages)
    channel = tracker.get_latest_input_channel() or "unknown"
    state = tracker.get_slot(STATE_SLOT)
    region = handoff_region(state, tracker.events)
    urgent = handoff_is_urgent(state, tracker.events)
    try:
        handoff = await asyncio.to_thread(
            runtime.handoff_service().request, tracker.sender_id, channel, transcript, region, urgent
        )
    except SQLAlchemyError:
        # Without a record nobody would pick the conversation up, so do not pause.
        logger.exception("handoff not recorded (channel=%s)", channel)
        dispatcher.utter_message(response="utter_handoff_failed")
        return []
    logger.info("handoff %s recorded (channel=%s, urgent=%s)", handoff.id, channel, urgent)
    dispatcher.utter_message(response="utter_handoff")
    return [ConversationPaused()]


class ActionHandoff(Action):
    def name(self) -> Text:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        return await record_handoff(dispatcher, tracker)
