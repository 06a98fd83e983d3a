"""The hotline core on single lines: the fixes behind the corpus score, each on its own (issue 13)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.conversation.emergency import detect
from bot.conversation.facts import correction, facts_in
from bot.hotline import assist


def play(*lines):
    state = assist.new_call()
    for speaker, text in lines:
        state, _ = assist.hear(state, speaker, text)
    return state


@pytest.mark.parametrize(
    "text, size",
    [
        ("俺是平邑县的 俺家五口人 就我一个人挣钱", 5),
        ("我是定西安定区的 想问问低保 屋里五个人", 5),
        ("你好 俺是河东区的 俺和俺老婆还有一个孩子 就我一个人上班", 3),
        ("俺们仨 俺 俺对象 还有闺女", 3),
        ("闺女啊 我八十二了 一个人 儿子前些年没了", 1),
        ("就我一个人挣钱", None),
        ("家里两个人挣钱", None),
    ],
)
def test_household_size_as_callers_say_it(text, size):
    assert facts_in(text).get("size") == size


def test_a_correction_takes_the_value_after_the_last_correction_word():
    assert correction("三口 哦不对 四口 俺婆婆也跟俺们一块住 四口人")["size"] == 4
    assert correction("七百 哦 不对 还有儿子打工的钱 加起来一千二 一千二百")["monthly_income"] == 1200


def test_no_earnings_is_no_income_but_an_empty_wallet_is_not_an_income():
    assert facts_in("回来三个多月了一分钱没挣到")["monthly_income"] == 0
    assert "monthly_income" not in facts_in("钱包让人偷了 一分钱都没有")
    assert facts_in("我现在就一百多块养老金")["monthly_income"] == 100


def test_the_operators_question_gives_the_callers_bare_answer_its_sense():
    state = play(("operator", "您一个月挣多少钱"), ("caller", "三千 三千块钱 在厂里干"))
    assert Decimal(state["household"]["monthly_income"]) == 3000
    state = play(("operator", "家里几个人 每月收入多少"), ("caller", "两个人 我和我妈 每个月一千五左右"))
    assert (state["household"]["size"], Decimal(state["household"]["monthly_income"])) == (2, 1500)
    # the operator's own words are never the caller's facts, and a bare number unasked is no income
    assert (
        play(("operator", "家里三口人 一个月一千二是吧"), ("caller", "三千"))["household"].get("monthly_income") is None
    )


def test_a_later_correction_replaces_the_earlier_value():
    state = play(("caller", "三口人 一个月两千吧"), ("caller", "哦不对 我媳妇那份活儿上个月没了 现在就一千八"))
    assert Decimal(state["household"]["monthly_income"]) == 1800


def test_the_region_is_the_most_precise_place_the_caller_names():
    state = play(("caller", "我在广州越秀区这边的火车站 钱包让人偷了"), ("caller", "我是甘肃的 回不了家了"))
    assert state["household"]["region"] == "440104"
    assert play(("caller", "俺孩子白血病 在合肥化疗 俺家临泉县的"))["household"]["region"] == "341221"


@pytest.mark.parametrize(
    "text, severity",
    [
        ("水上来了 俺们一家五口在房顶上 俺娘八十了", "life_threatening"),
        ("失业金也没有 那个 家里米都快吃完了 四口人", "urgent"),
        ("这个月水费涨了 是不是表坏了", None),
    ],
)
def test_emergencies_heard_on_the_phone(text, severity):
    found = detect(text)
    assert (found.severity.value if found else None) == severity


@pytest.mark.parametrize(
    "lines, category",
    [
        ([("caller", "我要反映个事 低保交上去仨月了 工作人员态度老差了")], "投诉建议"),
        ([("caller", "俺家土房子 下雨就漏 想问问那个危房改造")], "转办"),
        ([("caller", "这个月水费咋这么多 是不是表坏了")], "其他"),
        ([("caller", "俺想问一下那个低包的事儿 家里四口人")], "政策咨询"),
        ([("caller", "我妈叫不醒了")], "急难求助"),
    ],
)
def test_ticket_categories_a_12345_centre_files_under(lines, category):
    assert assist.summarise(play(*lines))["category"].split("-")[0] == category


def test_the_summary_says_the_topic_household_and_urgency_in_words_with_the_programme_spelt_right():
    summary = assist.summarise(
        play(
            ("operator", "您好 12345"),
            ("caller", "喂 你好 那个 俺想问一下那个低包的事儿 俺是农安县的"),
            ("caller", "家里四口人 一个月也就一千六 电话13912345678"),
        )
    )["summary"]
    assert "低保" in summary and "低包" not in summary and "您好" not in summary
    assert "家庭4口人" in summary and "每月收入约1600元" in summary and "农安县" in summary
    assert "13912345678" not in summary


def test_the_operator_hears_which_standard_the_verdict_rests_on_and_how_it_depends_on_it():
    state = assist.new_call()
    for text in ("我在长春南关区 城里", "家里两口人 一个月一千八"):
        state, assistance = assist.hear(state, "caller", text)
    screening = assistance.screening  # before the assets are known: the ranges hold if they are in limits
    assert "在财产符合规定的前提下" in screening["standard_ranges"]
    assert "长春市" in screening["standard_used"] and "不低于" in screening["standard_used"]
    assert "若高于900元则可能符合低保" in screening["standard_ranges"]
