"""What a handoff request learns from the conversation: where the resident is (who may see it) and
whether it is urgent (listed first)."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import handoff_is_urgent, handoff_region, record_handoff
from bot import runtime
from tests.fixtures.trackers import state


def user(text, metadata=None, emergency=None):
    parse = {"intent": {"name": "handoff"}}
    if emergency:
        parse["emergency"] = emergency
    return {"event": "user", "text": text, "parse_data": parse, "input_channel": "webchat", "metadata": metadata or {}}


def test_the_region_is_what_the_conversation_learnt_else_the_page_it_came_from():
    events = [user("转人工", {"region": "2201"})]
    assert handoff_region({"region": "220104", "emergency": None}, events) == "220104"
    assert handoff_region({"region": None, "emergency": {"region": "220104001"}}, events) == "220104001"
    assert handoff_region({"region": None, "emergency": None}, events) == "2201"
    # the district's site within the city the resident named: the more specific one
    assert handoff_region({"region": "2201"}, [user("转人工", {"region": "220104"})]) == "220104"
    assert handoff_region({"region": "220100"}, [user("转人工", {"region": "220104"})]) == "220104"  # 长春市 padded
    # a resident elsewhere than the site: where they said
    assert handoff_region({"region": "3713"}, [user("转人工", {"region": "220104"})]) == "3713"
    assert handoff_region(None, [user("转人工")]) is None
    assert handoff_region({"region": "000000"}, [user("转人工", {"region": "22x"})]) is None  # unknown, not a code


def test_an_emergency_in_the_conversation_makes_it_urgent():
    assert handoff_is_urgent({"emergency": {"stage": "consent"}}, [])
    assert handoff_is_urgent({}, [user("我家着火了", emergency={"kind": "fire"}), user("转人工")])
    assert not handoff_is_urgent({"emergency": None}, [user("低保怎么申请"), user("转人工")])


async def test_record_handoff_stores_region_and_urgency(configured):
    dump = state("tracker_handoff.json")
    dump["slots"]["conversation"] = {"region": "220104", "emergency": {"stage": "phone", "region": None}}
    dispatcher = CollectingDispatcher()
    await record_handoff(dispatcher, Tracker.from_dict(dump))
    stored = runtime.handoff_service().get_open(dump["sender_id"])
    assert stored.region == "220104" and stored.urgent
