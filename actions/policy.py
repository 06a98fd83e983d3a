"""Policy questions: the core's article search answers, with its 依据 line; unsure → never guess."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.conversation.facts import facts_in, find_region
from bot.policies import default_desk

NOT_SURE = (
    "这个问题我没有把握答准，不想给您说错。您可以换个说法再问一次，比如“低保边缘家庭是什么”“临时救助怎么申请”；"
    "也可以说“转人工”，或拨打12345政务服务便民热线。"
)
PRESCREEN_HINT = "想知道自己家能不能申请，可以说“帮我算算”，我一步步帮您初步测算。"


class ActionAnswerPolicy(Action):
    def name(self) -> Text:
        return "action_answer_policy"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        text = tracker.latest_message.get("text") or ""
        events: List[EventType] = []
        region = find_region(text)
        if region and region != tracker.get_slot("region"):
            events.append(SlotSet("region", region))
        answer = default_desk().answer(text, region or tracker.get_slot("region"))
        if answer is None:
            dispatcher.utter_message(text=NOT_SURE)
            return events
        reply = answer.text
        if {"size", "monthly_income"} & set(facts_in(text)):
            reply = f"{reply}\n{PRESCREEN_HINT}"
        dispatcher.utter_message(text=reply, json_message={"article": answer.article.id, "citations": answer.citations})
        return events
