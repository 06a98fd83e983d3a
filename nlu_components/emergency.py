"""After the classifiers: a message that describes an emergency becomes `report_emergency`.

Recall matters more than precision (issue 5), and a statistical classifier trained on a few hundred
examples misses phrasings it never saw. The rules themselves live in the core
(bot/conversation/emergency.py, knowledge/rules/emergency.yaml); this component only applies them.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.conversation.emergency import detect

EMERGENCY_INTENT = "report_emergency"
EMERGENCY_KEY = "emergency"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class EmergencyOverride(GraphComponent):
    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "EmergencyOverride":
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text: Optional[str] = message.get(TEXT)
            found = None if not text or text.startswith("/") else detect(text)
            # Detected once per message: the action reads this instead of detecting again ({} = none).
            message.set(EMERGENCY_KEY, found.to_dict() if found else {}, add_to_output=True)
            if found is None:
                continue
            intent = message.get(INTENT) or {}
            if intent.get("name") == EMERGENCY_INTENT:
                continue
            ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != EMERGENCY_INTENT]
            message.set(INTENT, {"name": EMERGENCY_INTENT, "confidence": 1.0}, add_to_output=True)
            message.set(
                INTENT_RANKING_KEY, [{"name": EMERGENCY_INTENT, "confidence": 1.0}, *ranking], add_to_output=True
            )
        return messages
