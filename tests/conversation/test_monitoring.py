"""The offer at a result to re-screen when a standard changes (动态监测): made only where a new standard
could change the verdict, kept only after a clear yes, with the screening facts only."""

from __future__ import annotations

import datetime as dt

from bot.conversation.dialogue import MONITOR_OFFER, Dialogue, Message
from bot.policies import default_desk


class Resident:
    def __init__(self) -> None:
        self.kept = []
        self.dialogue = Dialogue(
            default_desk(),
            lambda request: "L1",
            today=lambda: dt.date(2026, 12, 7),
            monitor=lambda *args: self.kept.append(args),
        )
        self.state, self.n = None, 0

    def say(self, text: str) -> str:
        self.n += 1
        outcome = self.dialogue.turn(
            self.state, Message(text=text, message_id=f"m{self.n}", sender_id="webchat:r1", channel="webchat")
        )
        self.state = outcome.state
        return outcome.text


EDGE = "帮我算算能不能吃低保 长春南关区 城里 两口人 一个月一千八"


def result(resident: Resident, first: str = EDGE) -> str:
    resident.say(first)
    return resident.say("没有")  # the assets question


def test_an_edge_household_is_offered_and_kept_after_yes():
    resident = Resident()
    reply = result(resident)
    assert "低保边缘" in reply and MONITOR_OFFER in reply
    assert "好的，已经记下" in resident.say("可以")
    [(conversation, channel, household)] = resident.kept
    assert (conversation, channel) == ("webchat:r1", "webchat")
    assert household["region"] == "220102" and household["size"] == 2 and "text" not in household
    assert MONITOR_OFFER not in resident.say("我家情况变了 一个月一千六")  # offered once per conversation


def test_anything_but_a_clear_yes_lets_the_offer_lapse():
    resident = Resident()
    result(resident)
    reply = resident.say("那要带啥材料")
    assert resident.kept == [] and ("材料" in reply or "身份证" in reply)
    assert "已经记下" not in resident.say("可以")  # the offer lapsed with the question
    assert resident.kept == []


def test_no_is_respected_and_dibao_is_not_offered():
    resident = Resident()
    result(resident)
    assert "不记" in resident.say("不用了") and resident.kept == []
    other = Resident()
    reply = result(other, "帮我算算能不能吃低保 长春南关区 城里 两口人 一个月八百")
    assert "最低生活保障" in reply and MONITOR_OFFER not in reply
