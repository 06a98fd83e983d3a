"""Staff take a conversation over: region-confined list, one claimer, replies in the resident's own
channel (web chat: stored for the page's long-poll; WeChat: the customer-service API within 48 hours,
against the fake WeChat API), and the hand-back through Rasa's resume."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bot.handoff import (
    AssistantUnavailable,
    Author,
    CannotReply,
    HandoffNotFound,
    HandoffService,
    HandoffStateError,
    HandoffStatus,
    InvalidReply,
    Takeover,
    TranscriptLine,
)
from bot.handoff.takeover import HANDED_BACK
from bot.leads import StaffRole, StaffService
from bot.leads.model import Forbidden
from bot.wechat import CustomerService, TokenStore, WeChatConfig
from tests.fakes.wechat import APP_ID, APP_SECRET, TOKEN, FakeWeChatApi


class Clock:
    def __init__(self):
        self.now = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)

    def __call__(self):
        self.now += timedelta(seconds=1)
        return self.now


class FakeRasa:
    """What Takeover needs from Rasa: the conversations it resumed (or a refusal)."""

    def __init__(self):
        self.resumed = []
        self.down = False

    async def resume(self, conversation_id):
        if self.down:
            raise ConnectionError("rasa down")
        self.resumed.append(conversation_id)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def service(sessions, clock):
    return HandoffService(sessions, clock=clock)


@pytest.fixture
def people(sessions):
    staff = StaffService(sessions)
    make = lambda name, region, role=StaffRole.township_staff: staff.authenticate(  # noqa: E731
        staff.create(name, f"{name}的办公室", region, role)[1]
    )
    return {
        "town": make("李干事", "220104001"),
        "town2": make("王干事", "220104001"),
        "county": make("赵科长", "220104", StaffRole.county_supervisor),
        "other": make("孙干事", "220104002"),
        "admin": make("管理员", "22", StaffRole.admin),
    }


def test_waiting_is_confined_to_the_region_urgent_first_then_newest(service, people):
    service.request("old", "webchat", [], region="220104001")
    service.request("urgent", "webchat", [], region="220104001", urgent=True)
    service.request("new", "webchat", [], region="220104001")
    service.request("elsewhere", "webchat", [], region="220104002")
    service.request("nowhere", "webchat", [])  # no region: admins only

    assert [h.conversation_id for h in service.waiting(people["town"])] == ["urgent", "new", "old"]
    assert [h.conversation_id for h in service.waiting(people["county"])] == ["urgent", "elsewhere", "new", "old"]
    assert "nowhere" in [h.conversation_id for h in service.waiting(people["admin"])]
    handoff = service.get_open("elsewhere")
    with pytest.raises(Forbidden):
        service.get(handoff.id, people["town"])
    with pytest.raises(Forbidden):
        service.claim(handoff.id, people["town"])


def test_a_second_request_keeps_its_region_and_urgency(service):
    first = service.request("c", "webchat", [], region="220104001", urgent=True)
    again = service.request("c", "webchat", [TranscriptLine("user", "转人工")])
    assert again.id == first.id and again.region == "220104001" and again.urgent


def test_one_claimer_and_only_the_claimer_writes(service, people):
    handoff = service.request("c", "webchat", [], region="220104001")
    with pytest.raises(HandoffStateError) as unclaimed:
        service.replyable(handoff.id, people["town"])
    assert "先接手" in unclaimed.value.message_zh
    claimed = service.claim(handoff.id, people["town"])
    assert claimed.claimed_by == people["town"].id and claimed.claimed_by_name == "李干事"
    assert service.claim(handoff.id, people["town"]).claimed_by == people["town"].id  # again: a no-op
    with pytest.raises(HandoffStateError) as refused:
        service.claim(handoff.id, people["town2"])
    assert "李干事" in refused.value.message_zh and refused.value.status == 409
    with pytest.raises(HandoffStateError):
        service.replyable(handoff.id, people["town2"])
    with pytest.raises(HandoffNotFound):
        service.claim(handoff.id + 100, people["town"])


def test_the_residents_messages_are_kept_masked_only_while_a_person_has_the_conversation(service):
    assert service.heard("c", "你好") is None  # no handoff: nothing kept
    handoff = service.request("c", "webchat", [], region="220104001")
    message = service.heard("c", "我的电话是13912345678\x00")
    assert message.author is Author.resident and message.text == "我的电话是139****5678"
    assert service.get_open("c").last_heard_at == message.at
    assert service.replies_after("c", 0) == []  # the page gets only what is said to it
    service.resume("c", by="x")
    assert service.heard("c", "还在吗") is None
    assert [m.text for m in service.get(handoff.id, _admin())[1]] == ["我的电话是139****5678"]


def _admin():
    from bot.leads import Staff

    return Staff("admin", "office", "", StaffRole.admin, "hash", id=999)


async def test_a_web_chat_reply_is_stored_with_its_author_and_reaches_the_page(service, people):
    rasa = FakeRasa()
    takeover = Takeover(service, rasa.resume)
    handoff = service.request("web-1", "webchat", [], region="220104001")
    service.claim(handoff.id, people["town"])

    message = await takeover.reply(handoff.id, people["town"], "  您好，我是前进街道的李干事。 ")
    assert message.author is Author.staff and message.text == "您好，我是前进街道的李干事。"
    assert (message.staff_id, message.staff_name, message.staff_office) == (
        people["town"].id,
        "李干事",
        "李干事的办公室",
    )
    assert [m.id for m in service.replies_after("web-1", 0)] == [message.id]
    assert service.replies_after("web-1", message.id) == []

    with pytest.raises(InvalidReply):
        await takeover.reply(handoff.id, people["town"], "   ")
    with pytest.raises(InvalidReply):
        await takeover.reply(handoff.id, people["town"], "a\ud800")
    with pytest.raises(HandoffStateError):  # someone else cannot write in it
        await takeover.reply(handoff.id, people["town2"], "我来")
    with pytest.raises(Forbidden):  # nor can another region, whatever they send
        await takeover.reply(handoff.id, people["other"], None)


async def test_hand_back_resumes_the_assistant_then_tells_the_resident(service, people):
    rasa = FakeRasa()
    takeover = Takeover(service, rasa.resume)
    handoff = service.request("web-2", "webchat", [], region="220104001")

    rasa.down = True
    with pytest.raises(AssistantUnavailable):
        await takeover.hand_back(handoff.id, people["county"])
    assert service.get_open("web-2") is not None  # Rasa first: nothing changed, retry later

    rasa.down = False
    done = await takeover.hand_back(handoff.id, people["county"])
    assert rasa.resumed == ["web-2"]
    assert done.status is HandoffStatus.resumed and done.resumed_by == "赵科长"
    assert [(m.author, m.text) for m in service.replies_after("web-2", 0)] == [(Author.system, HANDED_BACK)]
    with pytest.raises(HandoffStateError):
        await takeover.hand_back(handoff.id, people["county"])
    with pytest.raises(HandoffStateError):
        await takeover.reply(handoff.id, people["county"], "还在吗")
    assert rasa.resumed == ["web-2"]


async def test_a_channel_for_programs_cannot_carry_a_reply(service, people):
    takeover = Takeover(service, FakeRasa().resume)
    handoff = service.request("api-1", "rest", [], region="220104001")
    service.claim(handoff.id, people["town"])
    with pytest.raises(CannotReply, match="rest"):
        await takeover.reply(handoff.id, people["town"], "您好")
    assert service.get(handoff.id, people["town"])[1] == []  # not stored as if it had been sent


@pytest.fixture
async def wechat_api():
    api = FakeWeChatApi()
    await api.start_async()
    yield api
    await api.stop_async()


async def test_a_wechat_reply_goes_through_the_customer_service_api_within_48_hours(
    service, people, clock, sessions, wechat_api
):
    sender = CustomerService(WeChatConfig(TOKEN, APP_ID, APP_SECRET, None, wechat_api.url), TokenStore(sessions), clock)
    takeover = Takeover(service, FakeRasa().resume, sender.send_text)
    try:
        handoff = service.request("o_resident", "wechat", [], region="220104001")
        service.claim(handoff.id, people["town"])
        stored = await takeover.reply(handoff.id, people["town"], "您好，我是民政的李干事。")
        assert wechat_api.messages_to("o_resident") == ["您好，我是民政的李干事。"]
        assert stored.staff_name == "李干事"

        clock.now += timedelta(hours=47)
        service.heard("o_resident", "我家的情况是这样")  # the resident wrote: the window starts again
        clock.now += timedelta(hours=47)
        await takeover.reply(handoff.id, people["town"], "收到")
        assert len(wechat_api.messages_to("o_resident")) == 2

        clock.now += timedelta(hours=48, seconds=1)
        with pytest.raises(CannotReply) as refused:
            await takeover.reply(handoff.id, people["town"], "还在吗？")
        assert "48小时" in refused.value.message_zh and refused.value.status == 409
        assert len(wechat_api.messages_to("o_resident")) == 2  # refused before trying
        assert [m.text for m in service.get(handoff.id, people["town"])[1] if m.author is Author.staff] == [
            "您好，我是民政的李干事。",
            "收到",
        ]
    finally:
        await sender.close()


async def test_a_wechat_reply_wechat_refuses_is_not_stored(service, people, clock, sessions, wechat_api):
    sender = CustomerService(WeChatConfig(TOKEN, APP_ID, APP_SECRET, None, wechat_api.url), TokenStore(sessions), clock)
    takeover = Takeover(service, FakeRasa().resume, sender.send_text)
    try:
        handoff = service.request("o_refused", "wechat", [], region="220104001")
        service.claim(handoff.id, people["town"])
        wechat_api.refuse_every_token = True
        with pytest.raises(CannotReply, match="40001"):
            await takeover.reply(handoff.id, people["town"], "您好")
        assert service.get(handoff.id, people["town"])[1] == []
    finally:
        await sender.close()


async def test_without_an_app_secret_a_wechat_reply_is_refused_clearly(service, people):
    takeover = Takeover(service, FakeRasa().resume, None)
    handoff = service.request("o_x", "wechat", [], region="220104001")
    service.claim(handoff.id, people["town"])
    with pytest.raises(CannotReply, match="APP_SECRET"):
        await takeover.reply(handoff.id, people["town"], "您好")


async def test_wechats_own_out_of_window_answer_is_the_same_clear_refusal(service, people):
    from bot.wechat import WeChatApiError

    async def wechat_says_too_late(_open_id, _text):
        raise WeChatApiError(45015, "response out of time limit or subscription is canceled")

    takeover = Takeover(service, FakeRasa().resume, wechat_says_too_late)
    handoff = service.request("o_late", "wechat", [], region="220104001")
    service.claim(handoff.id, people["town"])
    with pytest.raises(CannotReply) as refused:
        await takeover.reply(handoff.id, people["town"], "您好")
    assert "48小时" in refused.value.message_zh
    assert service.get(handoff.id, people["town"])[1] == []
