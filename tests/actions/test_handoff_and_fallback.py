"""Actions run against real trackers and a CollectingDispatcher, with a real database."""

import pytest
from rasa_sdk.events import ConversationPaused
from rasa_sdk.executor import CollectingDispatcher

from actions.fallback import OFFER_HANDOFF_AFTER_MISSES, ActionFallback
from actions.handoff import ActionHandoff
from actions.transcript import consecutive_misses, recent_transcript
from bot import runtime
from tests.fixtures.trackers import from_fixture as tracker_from_fixture
from tests.fixtures.trackers import with_events as tracker_with


def user(text, intent):
    return {"event": "user", "text": text, "parse_data": {"intent": {"name": intent}}, "input_channel": "rest"}


async def test_handoff_records_the_request_and_pauses(configured):
    dispatcher = CollectingDispatcher()
    events = await ActionHandoff().run(dispatcher, tracker_from_fixture("tracker_handoff.json"), {})

    assert events == [ConversationPaused()]
    assert [m["response"] for m in dispatcher.messages] == ["utter_handoff"]
    stored = runtime.handoff_service().get_open("wx-openid-123")
    assert stored is not None
    assert stored.channel == "rest"
    texts = [line["text"] for line in stored.transcript]
    assert texts[0] == "你好" and texts[-1] == "我要转人工 please"
    assert "13912345678" not in " ".join(texts)  # phone masked before storing


async def test_handoff_that_cannot_be_recorded_does_not_pause(monkeypatch):
    # Nothing listens on port 1: the database is down.
    monkeypatch.setenv("JIUZHU_DATABASE_URL", "postgresql://postgres@127.0.0.1:1/down")
    runtime.reset()
    try:
        dispatcher = CollectingDispatcher()
        events = await ActionHandoff().run(dispatcher, tracker_from_fixture("tracker_handoff.json"), {})
    finally:
        runtime.reset()
    assert events == []
    assert [m["response"] for m in dispatcher.messages] == ["utter_handoff_failed"]


@pytest.mark.parametrize(
    "intents,expected",
    [
        (["nlu_fallback"], "utter_ask_rephrase"),
        (["nlu_fallback"] * OFFER_HANDOFF_AFTER_MISSES, "utter_offer_handoff"),
        (["nlu_fallback", "greet", "nlu_fallback"], "utter_ask_rephrase"),
        (["nlu_fallback"] * 3, "utter_offer_handoff"),
    ],
)
def test_fallback_offers_a_person_only_after_repeated_misses(intents, expected):
    events = []
    for intent in intents:
        events += [user("……", intent), {"event": "action", "name": "action_fallback"}, {"event": "bot", "text": "x"}]
    dispatcher = CollectingDispatcher()
    assert ActionFallback().run(dispatcher, tracker_with(events), {}) == []
    assert [m["response"] for m in dispatcher.messages] == [expected]


def test_misses_do_not_count_across_sessions():
    events = [user("a", "nlu_fallback"), {"event": "session_started"}, user("b", "nlu_fallback")]
    assert consecutive_misses(events) == 1


def test_transcript_keeps_the_latest_messages_in_order():
    events = [user(str(i), "greet") for i in range(5)] + [{"event": "bot", "text": "回复"}]
    lines = recent_transcript(events, limit=3)
    assert [(line.speaker, line.text) for line in lines] == [("user", "3"), ("user", "4"), ("bot", "回复")]
