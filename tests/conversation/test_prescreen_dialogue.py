"""The pre-screen as a dialogue: each worked example of ELIGIBILITY.md §7 reaches its verdict from
what a resident would type, one question at a time."""

import datetime as dt

import pytest

from bot.conversation import prescreen

ON = dt.date(2026, 11, 23)

# An answer for each question the resident may be asked, in their words.
EXAMPLES = {
    "dibao": ("三口人一个月一千二能吃低保吗", {"region": "吉林长春", "area": "城里", "assets_within_limit": "没超"}),
    "near_dibao": (
        "帮我算算能不能吃低保",
        {
            "region": "吉林",
            "size": "三口人",
            "monthly_income": "两千四",
            "area": "城市",
            "assets_within_limit": "在限额以内",
        },
    ),
    "rigid_expense": (
        "帮我测一下",
        {
            # 1500 per person: above 吉林's 2× of its lowest floor 560 (长春's own floor, 770, would make it 边缘)
            "region": "吉林省",
            "size": "4口人",
            "monthly_income": "每月六千",
            "area": "城镇",
            "assets_within_limit": "符合",
            "rigid_expense_12m": "五万零四百",
            "income_12m": "一年七万二",
        },
    ),
    "tekun": (
        "我一个人过，没收入，能申请什么",
        {
            "region": "吉林",
            "area": "城里",
            "members[0].age": "82岁",
            "assets_within_limit": "没超",
            "members[0].has_supporter": "没有",
        },
    ),
}


def converse(first, answers, max_turns=12):
    turn = prescreen.start(first, on=ON)
    asked = []
    for _ in range(max_turns):
        if turn.done or turn.stopped:
            return turn, asked
        field = turn.state["pending"]
        asked.append(field)
        assert field in answers, f"asked {field} ({turn.reply})"
        turn = prescreen.step(turn.state, answers[field], on=ON)
    pytest.fail(f"no verdict after {asked}")


@pytest.mark.parametrize("expected", EXAMPLES)
def test_worked_examples_in_dialogue(expected):
    first, answers = EXAMPLES[expected]
    turn, asked = converse(first, answers)
    assert turn.done and turn.result.primary == expected
    assert len(asked) == len(set(asked)), f"a question was asked twice: {asked}"
    assert "民政部门" in turn.reply and "依据：" in turn.reply
    assert "去哪里申请" in turn.reply


def test_income_in_the_first_message_is_not_asked_again():
    _, asked = converse(*EXAMPLES["dibao"])
    assert "monthly_income" not in asked and "size" not in asked
    turn, _ = converse(*EXAMPLES["dibao"])
    assert "1110" in turn.reply  # (770 − 400) × 3: §7's arithmetic on 长春's tier-1 floor


def test_dont_know_is_unknown_and_not_asked_again():
    turn = prescreen.start("吉林三口人月收入两千四", on=ON)
    turn = prescreen.step(turn.state, "城里", on=ON)
    assert turn.state["pending"] == "assets_within_limit"
    turn = prescreen.step(turn.state, "不知道", on=ON)
    assert turn.done and not turn.result.decided
    assert "家庭财产是否在限额内" in turn.reply  # what is missing, in words


def test_a_correction_replaces_the_earlier_answer():
    turn = prescreen.start("帮我算算", on=ON)
    turn = prescreen.step(turn.state, "吉林", on=ON)
    turn = prescreen.step(turn.state, "三口人", on=ON)
    turn = prescreen.step(turn.state, "不对，是四口人", on=ON)
    assert turn.state["household"]["size"] == 4


def test_an_answer_not_understood_is_asked_again_then_skipped():
    turn = prescreen.start("吉林三口人", on=ON)
    assert turn.state["pending"] == "monthly_income"
    again = prescreen.step(turn.state, "这个嘛", on=ON)
    assert again.state["pending"] == "monthly_income" and "没看明白" in again.reply
    skipped = prescreen.step(again.state, "嗯嗯", on=ON)
    assert skipped.state["pending"] != "monthly_income"


def test_stopping_at_any_time():
    turn = prescreen.start("帮我算算", on=ON)
    turn = prescreen.step(turn.state, "不测了", on=ON)
    assert turn.stopped and "停止" in turn.reply


def test_an_unknown_region_uses_the_national_baseline_and_says_so():
    turn = prescreen.start("三口人一个月一千二", on=ON)
    turn = prescreen.step(turn.state, "不知道", on=ON)
    assert turn.state["household"]["region"] == "CN"
    turn = prescreen.step(turn.state, "城里", on=ON)
    turn = prescreen.step(turn.state, "没超", on=ON)
    assert turn.done and "全国平均" in turn.reply and "752元" in turn.reply
