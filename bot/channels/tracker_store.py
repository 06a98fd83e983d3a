"""Rasa's SQL tracker store, keeping no phone or ID number in full (endpoints.yml names it).

Rasa stores each event as it happened: the resident's message as typed, the NLU's copy of it, every
slot value. A phone given for an emergency lead stayed in the conversation's rows for as long as the
conversation is kept, and `GET /conversations/<id>/tracker` showed it. Here every string of an event is
masked (`bot.privacy.mask_stored`) as it is written: the turn itself ran on the message as sent, the
lead holds the number (with consent), and the one value the conversation needs again later, the phone
of a lead not filed yet, is carried sealed (bot/conversation/dialogue.py `SEALED_FIELDS`).
"""

from __future__ import annotations

import json

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from bot.privacy import mask_stored


class MaskingSQLTrackerStore(SQLTrackerStore):
    async def save(self, tracker: DialogueStateTracker) -> None:
        """Rasa 3.6's `SQLTrackerStore.save`, with each event's data masked before it is written."""
        await self.stream_events(tracker)
        with self.session_scope() as session:
            for event in self._additional_events(session, tracker):
                data = mask_stored(event.as_dict())
                session.add(
                    self.SQLEvent(
                        sender_id=tracker.sender_id,
                        type_name=event.type_name,
                        timestamp=data.get("timestamp"),
                        intent_name=data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                        action_name=data.get("name"),
                        data=json.dumps(data),
                    )
                )
            session.commit()
