"""Numbers as residents say them, and money with its period: 一个月到手三千八, 一年两万四, 2.8k, 两千来块.

Chinese numerals are read by cn2an's "smart" mode (三千八 → 3800, 一万二 → 12000, 3千8 → 3800); this
module finds the spans, their period (per month / per year) and whether a sum is income at all.

Approximations (来/多/余/出头/左右/上下/把) give the stated base: 两千来块 → 2000, 一千出头 → 1000.
Ranges (一千二三, 三四百, 两三千) give their midpoint: 一千二三 → 1250. The midpoint is what the resident
means; the lower bound would count every range low and make households near the standard look
eligible, a promise the bureau's check would then break. 几百 / 几千 are vague: 5 × the unit (几百 → 500),
flagged approximate, between 1 and 9 × the unit.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from decimal import Decimal
from typing import List, Optional, Tuple

import cn2an

CN_NUMERAL = "零〇一幺二两俩三仨四五六七八九十拾百佰千仟万"
_DIGIT_VALUE = {"一": 1, "幺": 1, "二": 2, "两": 2, "俩": 2, "三": 3, "仨": 3, "四": 4, "五": 5, "六": 6, "七": 7}
_DIGIT_VALUE.update({"八": 8, "九": 9, "零": 0, "〇": 0})
_UNIT_VALUE = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000, "万": 10000}
# An amount as a pattern, for callers that look for one: Arabic (1200, 1,200, 2.5k) or Chinese numerals.
AMOUNT = rf"(?:\d[\d,]*(?:\.\d+)?\s*[千万kKwW]?|[{CN_NUMERAL}]+(?:点[{CN_NUMERAL}]+)?[万千]?)"

# A run of numeral characters; its value is checked after (a run without any numeral is dropped).
_RUN = re.compile(
    rf"\d+(?:[.,]\d+)*(?:[十百千万kKwW]+\d*)?(?![\d.])|[{CN_NUMERAL}几](?:[{CN_NUMERAL}几]|点(?=[{CN_NUMERAL}]))*"
)
_APPROX = r"(?:来|多|余|出头|左右|上下|把)"
_MONEY_UNIT = r"(?:块钱|块|元钱|元|圆|钱)"
_SPAN_TAIL = re.compile(rf"^(?P<approx>{_APPROX})?(?P<unit>{_MONEY_UNIT})?(?P<approx2>左右|上下|出头|多)?")
_PAIR = "(?:一两|两三|二三|三四|四五|五六|六七|七八|八九)"

# 今年 / 去年 are dates and 年级 / 年纪 not periods: only 年 meaning "a year" counts.
_PERIOD_YEAR = re.compile(r"一年|每年|年收入|年入|全年|年薪|一年到头|(?<![今去明前后当那这])年(?![级纪龄])")
_PERIOD_MONTH = re.compile(r"一个月|每个月|每月|月收入|月入|月薪|一月|月工资|工资|个月|月")
_PERIOD_DAY = re.compile(r"一天|每天|日薪|天")
# Right after the sum, with nothing between (两千一个月, 2000/月); across a pause it belongs to the next sum.
_TOGETHER = re.compile(r"(?:加|合|在|放|凑)(?:到)?(?:一块儿?|一起)|一块儿")
_PERIOD_AFTER = re.compile(r"^(?:/|每|一)?(?P<period>个?月|年|天)")
# What a number that is not money is followed by: people, ages, grades, durations, dates, things.
_NOT_MONEY_AFTER = re.compile(
    r"^(?:多|来|几)?(?:口|个|人|位|岁|周岁|级|年级|年|个月|月|天|号|日|次|套|辆|间|亩|斤|平|楼|层|栋|点|分|小时|倍|成|%|号楼)"
)
_NOT_MONEY_BEFORE = re.compile(r"(?:初|高|第|大|星期|礼拜|周)$")

# Cues of what a sum is, nearest before it in the same clause wins.
_CUES = [
    ("income", r"收入|挣|赚|工资|到手|拿|月入|年入|进账|养老金|退休金|收|卖|打工|上班|干活|种地|纯收入"),
    ("expense", r"花|开销|开支|支出|医药费|药费|住院|看病|治病|手术|学费|房租|租金|交|付|买|费|治疗|透析|自费|掏|垫"),
    ("debt", r"欠|借|贷|债|窟窿|还钱|还贷"),
    ("benefit", r"低保|补贴|补助|救助|能领|能给|给多少|发多少"),
]
_CLAUSE = re.compile(r"[，,。；;！!？?\s]")
_PHONE_OR_ID = re.compile(r"(?<!\d)(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8}|\d{17}[\dXx]|\d{15})(?!\d)")
_DATE = re.compile(r"(?:19|20)\d{2}\s*年|\d{1,2}\s*月\s*\d{1,2}\s*[日号]")


@dataclass(frozen=True)
class Money:
    """An amount of money said in a message."""

    amount: Decimal  # the figure used: the stated base, or a range's midpoint
    low: Decimal
    high: Decimal
    approximate: bool
    period: Optional[str]  # month | year | day, or None when not said
    kind: str  # income | expense | debt | benefit | unknown (no cue either way)
    start: int
    end: int

    def monthly(self) -> Optional[Decimal]:
        """Per month: a year's figure ÷ 12; None for a daily wage (days worked are not said)."""
        if self.period == "day":
            return None
        return monthly(self.amount, self.period or "month")


def _cn2an(text: str) -> Optional[Decimal]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            value = Decimal(str(cn2an.cn2an(text, "smart")))
        except (ValueError, KeyError, IndexError):
            return None
    return value.to_integral_value() if value == value.to_integral_value() else value


def _value(run: str) -> Optional[Tuple[Decimal, Decimal, Decimal, bool]]:
    """(figure, low, high, approximate) of one numeral run, or None when it is no number."""
    run = run.replace(",", "")
    run = re.sub(r"(?<=\d)[kK]", "千", re.sub(r"(?<=\d)[wW]", "万", run))
    if re.search(r"[kKwW]", run):
        return None
    if "几" in run:  # 几百, 一千几, 三千几百
        low, high = _value(run.replace("几", "一")), _value(run.replace("几", "九"))
        middle = _value(run.replace("几", "五"))
        if not (low and high and middle):
            return None
        return middle[0], low[0], high[0], True
    pair = re.fullmatch(rf"({_PAIR})([十百千万]+)", run)  # 三四百, 两三千, 一两万
    if pair:
        unit = _UNIT_VALUE[pair.group(2)[0]] * (10000 if pair.group(2)[1:] == "万" else 1)
        low, high = (Decimal(_DIGIT_VALUE[c] * unit) for c in pair.group(1))
        return (low + high) / 2, low, high, True
    pair = re.fullmatch(rf"(.+?[十百千万])({_PAIR})([十百千])?", run)  # 一千二三, 两万三四, 一千二三百
    if pair:
        base = _cn2an(pair.group(1))
        step = _UNIT_VALUE[pair.group(1)[-1]] // 10
        if base is None or step == 0:
            return None
        low, high = (base + _DIGIT_VALUE[c] * step for c in pair.group(2))
        return (low + high) / 2, low, high, True
    decimal = re.fullmatch(rf"([{CN_NUMERAL}]+点[{CN_NUMERAL}]+)([千万])", run)  # 一点五万
    if decimal:
        fraction = _cn2an(decimal.group(1))
        value = fraction * _UNIT_VALUE[decimal.group(2)] if fraction is not None else None
    else:
        value = _cn2an(run.replace("俩", "两").replace("仨", "三"))
    return (value, value, value, False) if value is not None else None


def _period_before(before: str) -> Optional[str]:
    found = [
        (m.end(), p)
        for p, pattern in (("year", _PERIOD_YEAR), ("month", _PERIOD_MONTH), ("day", _PERIOD_DAY))
        for m in pattern.finditer(before)
    ]
    return max(found)[1] if found else None


def _kind(before: str) -> Optional[str]:
    found = [(m.end(), kind) for kind, pattern in _CUES for m in re.finditer(pattern, before)]
    return max(found)[1] if found else None


# What the sum is, named right after it: 一百多块养老金, 两千块工资, 五百块低保.
_CUE_AFTER = re.compile(
    r"^的?(?P<what>养老金|退休金|工资|收入|低保金?|补贴|补助|救助金|医药费|药费|房租|学费|外债|欠款)"
)


def _kind_after(after: str) -> Optional[str]:
    match = _CUE_AFTER.match(after)
    return _kind(match.group("what")) if match else None


def find_money(text: str) -> List[Money]:
    """Every sum of money in `text`, with its period and what it is (income, expense, debt …)."""
    # 俺俩加一块 / 在一块儿: "together", not one yuan.
    text = _TOGETHER.sub(lambda m: "#" * len(m.group(0)), text)
    masked = _DATE.sub(lambda m: "#" * len(m.group(0)), _PHONE_OR_ID.sub(lambda m: "#" * len(m.group(0)), text))
    found: List[Money] = []
    for match in _RUN.finditer(masked):
        run, start, end = match.group(0), match.start(), match.end()
        if not re.search(rf"[\d{CN_NUMERAL}]", run.replace("点", "")):
            continue
        if run in ("零", "〇") and re.match(r"[工活花钱碎售食头]", masked[end : end + 1]):
            continue  # 打零工, 零花钱: not a sum
        value = _value(run)
        if value is None:
            continue
        figure, low, high, approximate = value
        tail = _SPAN_TAIL.match(masked[end:])
        after = masked[end + tail.end() :]
        has_unit = bool(tail.group("unit")) or bool(re.search(r"[kKwW]", run))
        approximate = approximate or bool(tail.group("approx") or tail.group("approx2"))
        if not has_unit and (_NOT_MONEY_AFTER.match(masked[end:]) or _NOT_MONEY_BEFORE.search(masked[:start])):
            continue
        before = _CLAUSE.split(masked[:start])[-1]
        period = _period_before(before)
        period_after = _PERIOD_AFTER.match(after)
        if period_after and period is None:
            period = {"月": "month", "个月": "month", "年": "year", "天": "day"}[period_after.group("period")]
        cue = _kind(before) or _kind_after(masked[end + tail.end() :])
        kind = cue or ("income" if period else "unknown")
        if not has_unit and figure < 100 and cue is None:
            continue  # a bare small number (俺四十三, 今年七十三) is not money
        found.append(Money(figure, low, high, approximate, period, kind, start, end + tail.end()))
    return found


def income_in(text: str, assume_income: bool = False) -> Optional[Money]:
    """The household's income stated in `text` (first one), or None. With `assume_income` (the answer to
    an income question) a sum with no cue either way (两千八, 2.8k) counts as income too."""
    for money in find_money(text):
        if money.kind == "income" or (assume_income and money.kind == "unknown"):
            return money
    return None


def find_income(text: str) -> Optional[Tuple[Decimal, str]]:
    """An income with its period: (amount, 'month' | 'year'); 一个月一千二 → (1200, month). An income said
    without a period (工资三千) is per month, as wages are said in China."""
    money = income_in(text)
    if money is None or money.period == "day":
        return None
    return money.amount, money.period or "month"


def parse_amount(text: str) -> Optional[Decimal]:
    """One amount in yuan: '1200', '1,200元', '2.5k', '1.2万', '一千二', '两千五百块', '五万'."""
    text = text.strip().rstrip("元块钱 ")
    value = _value(text) if _RUN.fullmatch(text) else None
    return value[0] if value else None


def parse_count(text: str) -> Optional[int]:
    value = parse_amount(text)
    if value is None or value != value.to_integral_value():
        return None
    return int(value)


def monthly(amount: Decimal, period: str) -> Decimal:
    return (amount / 12).quantize(Decimal("0.01")) if period == "year" else amount
