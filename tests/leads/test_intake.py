"""The lead intake: one rule for every channel's emergency lead (region, consent, key, channel)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.conversation.emergency import detect
from bot.leads import intake


def test_a_chat_lead_takes_the_detected_emergency_and_the_message_as_its_key():
    found = detect("家里着火了，房子烧没了")
    assert found is not None
    draft = intake.draft_lead(
        intake.CHAT,
        "user-1",
        message_id="m-9",
        input_channel="wechat",
        emergency=found,
        description="家里着火了，房子烧没了，电话13912345678",
        region="220100",
    )
    assert (draft.idempotency_key, draft.source_channel.value, draft.conversation_id) == (
        "chat:user-1:m-9",
        "wechat",
        "user-1",
    )
    assert (draft.cause, draft.severity, draft.region) == (found.cause, found.severity, "220100")
    assert "13912345678" not in draft.description  # free text is masked


@pytest.mark.parametrize(
    "channel,expected", [("wechat", "wechat"), ("hotline", "hotline"), ("rest", "web"), (None, "web")]
)
def test_the_input_channel_names_the_source(channel, expected):
    draft = intake.draft_lead(intake.CHAT, "u", message_id="1", input_channel=channel, description="x")
    assert draft.source_channel.value == expected


def test_nothing_detected_is_urgent_in_chat_and_normal_on_the_hotline():
    chat = intake.draft_lead(intake.CHAT, "u", message_id="1")
    call = intake.draft_lead(intake.HOTLINE, "call-1", input_channel="wechat")
    assert (chat.cause.value, chat.severity.value, chat.description) == (
        "other",
        "urgent",
        "（居民在对话中报告紧急情况）",
    )
    assert (call.idempotency_key, call.source_channel.value, call.severity.value) == (
        "hotline:call-1",
        "hotline",
        "normal",
    )


@pytest.mark.parametrize("given", [None, "", "  ", "长春", "22x", "0"])
def test_an_unknown_place_is_filed_with_the_unknown_region_never_refused(given):
    draft = intake.draft_lead(intake.HOTLINE, "call-1", region=given)
    assert draft.region == intake.UNKNOWN_REGION == "000000"


def test_a_place_name_given_as_region_is_kept_as_the_place():
    assert intake.draft_lead(intake.HOTLINE, "c", region="长春").place == "长春"
    assert intake.draft_lead(intake.HOTLINE, "c", region="长春", place="前进街道").place == "前进街道"


def test_consent_is_recorded_only_with_a_detail_kept_and_details_need_consent():
    empty = intake.draft_lead(intake.CHAT, "u", message_id="1", contact={"phone": None}, consent=True)
    assert (empty.contact, empty.consent) == (None, False)
    kept = intake.draft_lead(intake.CHAT, "u", message_id="1", contact={"phone": "13912345678"}, consent=True)
    assert (kept.contact.phone, kept.consent) == ("13912345678", True)
    with pytest.raises(ValidationError):
        intake.draft_lead(intake.HOTLINE, "c", contact={"phone": "13912345678"}, consent=False)


def test_an_operator_corrects_the_detected_cause_and_severity():
    found = detect("我不想活了")
    assert found is not None
    draft = intake.draft_lead(intake.HOTLINE, "c", emergency=found, cause="illness", severity="normal")
    assert (draft.cause.value, draft.severity.value) == ("illness", "normal")


def test_an_unknown_origin_is_a_programming_error():
    with pytest.raises(ValueError):
        intake.draft_lead("fax", "c")
