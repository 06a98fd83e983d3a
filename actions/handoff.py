"""转人工: pause the bot for this conversation and record a request a person picks up."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, EventType
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.transcript import recent_transcript
from bot import runtime
from bot.settings import get_settings

logger = logging.getLogger(__name__)


async def record_handoff(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
    """Record a request a person picks up, then pause the bot; without a record, do not pause."""
    transcript = recent_transcript(tracker.events, get_settings().handoff_transcript_messages)
    channel = tracker.get_latest_input_channel() or "unknown"
    try:
        handoff = await asyncio.to_thread(runtime.handoff_service().request, tracker.sender_id, channel, transcript)
    except SQLAlchemyError:
        # Without a record nobody would pick the conversation up, so do not pause.
        logger.exception("handoff not recorded (channel=%s)", channel)
        dispatcher.utter_message(response="utter_handoff_failed")
        return []
    logger.info("handoff %s recorded (channel=%s)", handoff.id, channel)
    dispatcher.utter_message(response="utter_handoff")
    return [ConversationPaused()]


class ActionHandoff(Action):
    def name(self) -> Text:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        return await record_handoff(dispatcher, tracker)
