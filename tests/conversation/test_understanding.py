"""One reply understood as residents and 12345 callers say it: money with its period, household facts,
yes/no in the sense of its question, and corrections. Tables of (message, expected)."""

from decimal import Decimal

import pytest

from bot.conversation.facts import UNKNOWN, correction, facts_in, find_region, household_size, parse_answer
from bot.conversation.numbers import find_money, income_in
from bot.eligibility.questions import HOUSEHOLD_QUESTIONS

D = Decimal

# --- 1. money in sentences, with period (→ per month), unit and approximation -----------------------
MONTHLY_INCOME = [
    ("一个月到手三千八", D(3800)),
    ("一年到头能挣六万", D(5000)),  # per year → per month
    ("一年两万四", D(2000)),
    ("一年也就六千来块", D(500)),  # 来 → the stated base
    ("月入3k", D(3000)),
    ("每个月就一千二三", D(1250)),  # a range → its midpoint
    ("俺们两口子每月挣个两千来块", D(2000)),
    ("儿子打工一个月能拿一千出头", D(1000)),  # 出头 → the stated base
    ("每月退休金五百来块", D(500)),
    ("一年下来纯收入也就两万来块", D("1666.67")),
    ("他一个月工资2.8k", D(2800)),
    ("年收入1.2w", D(1000)),  # w = 万
    ("一个月三千多", D(3000)),  # 多 → the stated base
    ("月收入两千七百块钱左右", D(2700)),
    ("一个月就几百块", D(500)),  # vague: 5 × the unit, flagged approximate
    ("1200一个月", D(1200)),
    ("三千块一个月", D(3000)),
    ("每个月有养老金一百多", D(100)),
    ("种地一年能收个七八千", D(625)),  # 七八千 → 7500 a year
    ("工资三千", D(3000)),  # wages said without a period are per month
    ("我一个月挣3千8", D(3800)),
    ("俺家三口人 一年到手四万二", D(3500)),
    ("家里一年收入一点五万", D(1250)),
    ("一个月就一千二 三口人", D(1200)),
]


@pytest.mark.parametrize("text,monthly", MONTHLY_INCOME)
def test_income_in_a_sentence_per_month(text, monthly):
    assert facts_in(text)["monthly_income"] == monthly


@pytest.mark.parametrize(
    "text,monthly",
    [
        ("2.8k", D(2800)),
        ("两千来块", D(2000)),
        ("几百块", D(500)),
        ("一千出头", D(1000)),
        ("五百来块", D(500)),
        ("三四百", D(350)),
        ("两三千", D(2500)),
        ("一年两万四", D(2000)),
        ("没有", D(0)),
        ("一分钱收入都没有", D(0)),
    ],
)
def test_the_answer_to_the_income_question(text, monthly):
    assert parse_answer("monthly_income", text) == monthly


@pytest.mark.parametrize(
    "field,text,value",
    [
        ("income_12m", "一个月两千", D(24000)),
        ("income_12m", "一年三万来块", D(30000)),
        ("rigid_expense_12m", "看病住院花了五万多", D(50000)),  # for this question an expense is the answer
        ("rigid_expense_12m", "三万", D(30000)),
    ],
)
def test_twelve_month_totals(field, text, value):
    assert parse_answer(field, text) == value


@pytest.mark.parametrize(
    "text,low,high,approximate",
    [
        ("每个月就一千二三", D(1200), D(1300), True),
        ("三四百块", D(300), D(400), True),
        ("一个月就几百块", D(100), D(900), True),
        ("一个月三千八", D(3800), D(3800), False),
    ],
)
def test_ranges_keep_their_bounds(text, low, high, approximate):
    money = income_in(text, assume_income=True)
    assert (money.low, money.high, money.approximate) == (low, high, approximate)


# A number that is not money, or money that is not the household's income, is never income.
@pytest.mark.parametrize(
    "text",
    [
        "俺四十三",
        "孩子念初二",
        "去年脑梗过",
        "俺家三口人",
        "我电话13912345678",
        "护理补贴一个月多少钱",
        "低保一个月能给多少",
        "住院花了三万",
        "欠了五万",
        "为了看病借了两万块钱",
        "买药一个月三四百",
        "2023年生的病",
        "俺俩都六十多了 没儿没女",
        "尿毒症好几年了",
        "病了三年了",
        "房租一个月八百",
        "3月5号出的院",
        "两个孩子上学",
    ],
)
def test_no_income_in_numbers_that_are_not_income(text):
    assert "monthly_income" not in facts_in(text)


@pytest.mark.parametrize(
    "text,kind",
    [
        ("住院花了三万", "expense"),
        ("欠了五万", "debt"),
        ("低保一个月三百", "benefit"),
        ("一个月挣两千", "income"),
        ("2.8k", "unknown"),
    ],
)
def test_what_a_sum_is(text, kind):
    assert [m.kind for m in find_money(text)] == [kind]


# --- 2. places: find_region gives the precise code of any division -------------------------------------
@pytest.mark.parametrize(
    "text,code",
    [
        ("我在太原", "140100"),
        ("周口的", "411600"),
        ("延吉市", "222401"),
        ("天门", "429006"),
        ("长春朝阳区", "220104"),
        ("吉林舒兰", "220283"),
        ("我老家河南周口的 现在在长春打工", "220100"),  # where the person is now
        ("东方红", None),
    ],
)
def test_find_region(text, code):
    assert find_region(text) == code


def test_a_prescreen_takes_the_home_place():
    assert facts_in("我老家河南周口的 现在在长春打工")["region"] == "411600"
    assert parse_answer("region", "咱是吉林舒兰的") == "220283"


# --- 3. yes/no in the sense of its question -----------------------------------------------------------
ANSWERS = [
    ("assets_within_limit", "没有", True),
    ("assets_within_limit", "没啥存款 就一个小房子", True),
    ("assets_within_limit", "就自家住的房子", True),
    ("assets_within_limit", "木有", True),
    ("assets_within_limit", "哪有啊", True),
    ("assets_within_limit", "有一点 不多", True),
    ("assets_within_limit", "没车也没存款", True),
    ("assets_within_limit", "有辆车", False),
    ("assets_within_limit", "有二十万存款", False),
    ("assets_within_limit", "有两套房", False),
    ("assets_within_limit", "有", False),
    ("assets_within_limit", "说不好", UNKNOWN),
    ("members[0].has_disability", "没有", False),
    ("members[0].has_disability", "没得", False),
    ("members[0].has_disability", "有啊", True),
    ("members[0].has_disability", "嗯呐", True),
    ("members[0].has_disability", "是滴", True),
    ("members[0].has_disability", "对", True),
    ("members[0].has_disability", "俺没有", False),
    ("members[0].serious_illness", "有一个", True),
    ("members[0].serious_illness", "不是", False),
    ("members[0].serious_illness", "没啥大病", False),
    ("members[0].serious_illness", "可不是嘛", True),
    ("members[0].serious_illness", "不清楚", UNKNOWN),
    ("members[0].has_supporter", "没儿没女", False),
    ("members[0].has_supporter", "有个闺女 但是管不了", True),  # the supporter exists; ability is asked next
    ("members[0].has_supporter", "儿子在外地打工", True),
    ("members[0].has_supporter", "哪有", False),
    ("members[0].supporter_able", "他自己都顾不上", False),
    ("members[0].supporter_able", "没能力", False),
    ("members[0].supporter_able", "有能力", True),
    ("members[0].supporter_able", "不知道", UNKNOWN),
    ("size", "俺俩", 2),
    ("size", "就我一个人挣钱", None),
    ("size", "四个", 4),
    ("size", "一家四口", 4),
    ("members[0].age", "七十三了", 73),
    ("members[0].age", "俺今年六十八", 68),
]


@pytest.mark.parametrize("field,text,value", ANSWERS)
def test_answers_in_the_sense_of_their_question(field, text, value):
    assert parse_answer(field, text) == value


def test_the_assets_question_can_be_answered_plainly():
    question = HOUSEHOLD_QUESTIONS["assets_within_limit"]
    assert "有没有" in question and "当地" in question  # a yes/no question; local limits decide
    assert parse_answer("assets_within_limit", "没有") is True


# --- 4. household facts heard from a caller or resident ---------------------------------------------
@pytest.mark.parametrize(
    "text,size",
    [
        ("就我一个人挣钱", None),
        ("家里就我一个人上班", None),
        ("在家就我一个人", None),  # who is at home now, not who lives there: asked, not assumed
        ("俺俩", 2),
        ("我们俩", 2),
        ("老两口过日子", 2),
        ("就俩人", 2),
        ("一家四口", 4),
        ("我和老伴还有孙子", 3),
        ("我带着两个孩子", 3),
        ("我一个人过", 1),
        ("家里就我一个", 1),
        ("五口人", 5),
        ("俺家三口人", 3),
        ("两个孩子上学", None),
    ],
)
def test_household_size_only_from_the_household(text, size):
    assert household_size(text) == size


@pytest.mark.parametrize(
    "text,expected",
    [
        (
            "俺俩都六十多了 没儿没女",
            {
                "size": 2,
                "members[0].age": 60,
                "members[1].age": 60,
                "members[0].has_supporter": False,
                "members[1].has_supporter": False,
            },
        ),
        ("尿毒症好几年了", {"members[0].serious_illness": True}),
        ("去年脑梗过", {"members[0].serious_illness": True}),
        ("住院花了三万", {}),
        ("欠了五万", {}),
        ("我一个人住在农村，没有收入", {"size": 1, "monthly_income": D(0), "area": "rural"}),
        ("三口人一个月一千二能吃低保吗", {"size": 3, "monthly_income": D(1200)}),
        ("俺今年七十三", {"members[0].age": 73}),
        ("护理补贴一个月多少钱", {}),
    ],
)
def test_facts_in_a_message(text, expected):
    assert facts_in(text) == expected


# --- 5. corrections -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text,expected",
    [
        ("不对不对 说错了 是两千八", {"monthly_income": D(2800)}),
        ("刚才说错了 我家四口人", {"size": 4}),
        ("不是三口 是四口", {"size": 4}),
        ("说错了，一年是三万六", {"monthly_income": D(3000)}),
        ("不对，俺在吉林舒兰", {"region": "220283"}),
        ("不对", {}),  # a correction with no value yet: ask for it
        ("俺家四口人", None),  # a statement, not a correction
        ("一个月两千", None),
    ],
)
def test_corrections(text, expected):
    assert correction(text) == expected


@pytest.mark.parametrize(
    "field,text,expected",
    [
        ("size", "俺们两口子都在厂里上班 家里还有个上初中的小子 三口人", 3),  # 两口子 is not "two 口"
        ("size", "和老伴两个人", 2),
        ("size", "就我们娘俩", 2),
        ("size", "孤老头子一个", 1),
        ("members[0].has_disability", "一级肢体残疾", True),
        ("members[0].has_disability", "没有残疾", False),
        ("members[0].has_supporter", "儿子没了 没别的孩子", False),
        ("members[0].has_supporter", "有个儿子在外地", True),
        ("assets_within_limit", "存款得多少以下才行啊？俺家就几千块 住自己盖的房", True),
    ],
)
def test_answers_heard_in_dialogues(field, text, expected):
    assert parse_answer(field, text) == expected
