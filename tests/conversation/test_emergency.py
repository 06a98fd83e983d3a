"""Emergency detection: kinds, severity, and what to do first."""

import pytest

from bot.conversation.emergency import detect


@pytest.mark.parametrize(
    "text,kind,severity",
    [
        ("我不想活了", "self_harm", "life_threatening"),
        ("老人晕倒了", "threat_to_life", "life_threatening"),
        ("我家着火了", "fire", "urgent"),
        ("我爸突发脑梗住院了，住院费凑不齐", "sudden_illness", "urgent"),
        ("家里房子被洪水冲了", "disaster_damage", "urgent"),
        ("台风把房顶掀了", "disaster_damage", "urgent"),
        ("我在外地钱包丢了回不了家", "no_food_or_shelter", "urgent"),
    ],
)
def test_kinds(text, kind, severity):
    found = detect(text)
    assert found is not None and (found.kind, found.severity.value) == (kind, severity)


@pytest.mark.parametrize("text", ["低保怎么申请", "受灾人员救助有哪些", "火灾后能申请什么救助", "临时救助是什么"])
def test_questions_about_a_policy_are_not_emergencies(text):
    assert detect(text) is None


def test_self_harm_gets_the_crisis_line_first():
    advice = detect("活着没意思，想死").advice
    assert advice.index("12356") < advice.index("临时救助")


def test_threat_to_life_gets_120_first_and_relief_without_hukou_limit():
    advice = detect("我妈昏迷了").advice
    assert advice.startswith("有生命危险请立即拨打120")
    assert "不受户籍" in advice and "24小时先行救助" in advice and "依据：" in advice


def test_being_hit_is_violence_but_call_me_is_not():
    assert detect("我老公喝醉了打我").kind == "violence"
    assert detect("打我电话就行") is None and detect("有事打我手机") is None


def test_an_emergency_no_rule_names_still_gets_what_to_do_and_relief():
    from bot.conversation.emergency import generic_advice

    advice = generic_advice()
    assert advice.startswith("如有生命危险") and "24小时先行救助" in advice and "依据：" in advice
