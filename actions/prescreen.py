"""The pre-screen as a Rasa form: one free-text slot, filled again for every question.

The core (bot/conversation/prescreen.py) decides everything: which question, what an answer means,
when it is done. The form only carries its state between turns and says what the core said.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.conversation import prescreen

FINISHED = "__finished__"  # the value of `prescreen_answer` once the core says done or stopped


def _turn_events(turn: prescreen.Turn) -> Dict[Text, Any]:
    finished = turn.done or turn.stopped
    return {
        "prescreen_state": None if finished else turn.state,
        "prescreen_reply": turn.reply,
        "prescreen_answer": FINISHED if finished else None,
        "region": turn.state["household"].get("region"),
    }


class ActionStartPrescreen(Action):
    def name(self) -> Text:
        return "action_start_prescreen"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        state: Optional[dict] = tracker.get_slot("prescreen_state")
        text = tracker.latest_message.get("text") or ""
        if state and state.get("pending"):  # 继续: an interrupted pre-screen (e.g. by an emergency) resumes
            turn = prescreen.resume(state)
        else:
            region = tracker.get_slot("region")
            # A region the resident named is reused; "CN" (they did not know) is asked again.
            turn = prescreen.start(text, region=region if region and region.isascii() and region.isdigit() else None)
        return [SlotSet(name, value) for name, value in _turn_events(turn).items() if name != "region" or value]


class ActionAskPrescreenAnswer(Action):
    def name(self) -> Text:
        return "action_ask_prescreen_answer"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        dispatcher.utter_message(text=tracker.get_slot("prescreen_reply") or prescreen.REGION_QUESTION)
        return []


class ValidatePrescreenForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_prescreen_form"

    def validate_prescreen_answer(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        state = tracker.get_slot("prescreen_state")
        if value is None or value == FINISHED or not state:
            # None: the form's activation re-validates the slot the start action cleared; nothing was said.
            return {"prescreen_answer": value}
        events = _turn_events(prescreen.step(state, str(value)))
        if not events["region"]:
            events.pop("region")
        return events


class ActionPrescreenResult(Action):
    def name(self) -> Text:
        return "action_prescreen_result"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        dispatcher.utter_message(text=tracker.get_slot("prescreen_reply") or "")
        return [SlotSet("prescreen_answer", None), SlotSet("prescreen_reply", None)]
