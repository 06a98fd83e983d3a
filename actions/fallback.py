"""Low NLU confidence: ask to rephrase, and after repeated misses offer a person."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.transcript import consecutive_misses

# After this many misunderstood messages in a row the resident is offered a person.
OFFER_HANDOFF_AFTER_MISSES = 2


class ActionFallback(Action):
    def name(self) -> Text:
        return "action_fallback"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        if consecutive_misses(tracker.events) >= OFFER_HANDOFF_AFTER_MISSES:
            dispatcher.utter_message(response="utter_offer_handoff")
        else:
            dispatcher.utter_message(response="utter_ask_rephrase")
        return []
