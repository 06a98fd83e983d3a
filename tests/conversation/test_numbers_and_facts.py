"""Numbers and facts as residents say them."""

from decimal import Decimal

import pytest

from bot.conversation.facts import UNKNOWN, facts_in, find_region, parse_answer, parse_consent
from bot.conversation.numbers import find_income, parse_amount
from bot.privacy import find_phone


@pytest.mark.parametrize(
    "text,value",
    [
        ("一千二", 1200),
        ("两千五", 2500),
        ("一万二", 12000),
        ("十五", 15),
        ("一千零五十", 1050),
        ("三", 3),
        ("2.5k", 2500),
        ("1.2万", 12000),
        ("1,200元", 1200),
        ("五万", 50000),
        ("八百块", 800),
        ("一点五万", 15000),
        ("五万零四百", 50400),
        ("三百二", 320),
        ("两千", 2000),
    ],
)
def test_amounts(text, value):
    assert parse_amount(text) == Decimal(value)


@pytest.mark.parametrize(
    "text,expected",
    [
        ("三口人一个月一千二能吃低保吗", (1200, "month")),
        ("一年五万", (50000, "year")),
        ("每月收入3000元", (3000, "month")),
        ("我们家月入两千五", (2500, "month")),
        ("1200一个月", (1200, "month")),
        ("年收入6万", (60000, "year")),
    ],
)
def test_income_with_its_period(text, expected):
    amount, period = find_income(text)
    assert (amount, period) == (Decimal(expected[0]), expected[1])


def test_facts_in_a_first_message():
    assert facts_in("三口人一个月一千二能吃低保吗") == {"size": 3, "monthly_income": Decimal(1200)}
    assert facts_in("我一个人住在农村，没有收入") == {"size": 1, "monthly_income": Decimal(0), "area": "rural"}
    assert facts_in("家里5口人年收入6万")["monthly_income"] == Decimal("5000.00")  # a year's income → per month


@pytest.mark.parametrize(
    "text,code",
    [
        ("我在长春", "220100"),
        ("吉林省长春市朝阳区", "220104"),  # every division now, not only those with a parameter file
        ("吉林", "220000"),
        ("山东临沂", "371300"),
        ("湖北天门", "429006"),
        ("北京", "110000"),  # was None when only regions with a file were known
        ("朝阳", None),
    ],
)
def test_region_names(text, code):
    assert find_region(text) == code


@pytest.mark.parametrize(
    "field,text,value",
    [
        ("size", "三", 3),
        ("size", "不对，是四口人", 4),
        ("monthly_income", "两千四", Decimal(2400)),
        ("monthly_income", "一年五万", Decimal("4166.67")),
        ("rigid_expense_12m", "五万零四百", Decimal(50400)),
        ("income_12m", "每月六千", Decimal(72000)),
        ("assets_within_limit", "没超", True),
        ("assets_within_limit", "超过了", False),
        ("members[0].age", "82岁", 82),
        ("members[0].has_supporter", "没有", False),
        ("members[0].has_supporter", "有个儿子", True),
        ("area", "城里", "urban"),
        ("members[0].disability_grade", "二级", 2),
        ("members[0].employment", "干不了活", "unable"),
        ("members[0].monthly_income", "没有收入", Decimal(0)),
        ("monthly_income", "不知道", UNKNOWN),
        ("size", "你说啥", None),
    ],
)
def test_answers_to_one_question(field, text, value):
    assert parse_answer(field, text) == value


@pytest.mark.parametrize(
    "text,expected",
    [
        ("13912345678", (True, "13912345678")),
        ("好的 139-1234-5678", (True, "13912345678")),
        ("同意", (True, None)),
        ("不用了", (False, None)),
        ("啥意思", (None, None)),
    ],
)
def test_consent(text, expected):
    assert parse_consent(text) == expected
    assert find_phone("打0431-88886666找我") == "043188886666"
