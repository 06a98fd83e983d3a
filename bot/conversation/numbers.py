"""Numbers as residents say them: 三口人, 两千五, 一千二, 2.5k, 1.2万, 一年五万 (→ per month)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Optional, Tuple

_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "幺": 1,
    "二": 2,
    "两": 2,
    "俩": 2,
    "三": 3,
    "仨": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_UNITS = {
    "十": 10,
    "拾": 10,
    "百": 100,
    "佰": 100,
    "千": 1000,
    "仟": 1000,
    "k": 1000,
    "K": 1000,
    "万": 10000,
    "w": 10000,
    "W": 10000,
}
CN_NUMERAL = "零〇一幺二两俩三仨四五六七八九十拾百佰千仟万"
# An amount: Arabic (1200, 1,200, 2.5) or Chinese numerals, with an optional 千/万/k unit and 元/块.
AMOUNT = rf"(?:\d[\d,]*(?:\.\d+)?\s*[千万kKwW]?|[{CN_NUMERAL}]+(?:点[{CN_NUMERAL}]+)?[万千]?)"


def _chinese_integer(text: str) -> Optional[int]:
    """一千二 → 1200, 两千五 → 2500, 一万二 → 12000, 十五 → 15, 一千零五十 → 1050, 三 → 3."""
    if not text or any(ch not in _DIGITS and ch not in _UNITS for ch in text):
        return None
    if all(ch in _DIGITS for ch in text) and len(text) > 1:  # 一二零零: read digit by digit
        return int("".join(str(_DIGITS[ch]) for ch in text))
    total, section, number, last_unit = 0, 0, None, None
    for ch in text:
        if ch in _DIGITS:
            number = _DIGITS[ch]
        else:
            unit = _UNITS[ch]
            if unit == 10000:
                section = (section + (number or 0)) * unit
                total += section
                section, number = 0, None
            else:
                section += (1 if number is None else number) * unit
                number = None
            last_unit = unit
    if number is not None:
        # 一千二 = 1200, 两千五 = 2500, 一万二 = 12000: a trailing digit is one unit below the last.
        if last_unit and last_unit >= 100 and text[-2:-1] != "零":
            section += number * (last_unit // 10 if last_unit < 10000 else 1000)
        else:
            section += number
    return total + section


def parse_amount(text: str) -> Optional[Decimal]:
    """One amount in yuan: '1200', '1,200元', '2.5k', '1.2万', '一千二', '两千五百块', '五万'."""
    text = text.strip().rstrip("元块钱 ")
    match = re.fullmatch(r"(\d[\d,]*(?:\.\d+)?)\s*([千万kKwW]?)", text)
    if match:
        value = Decimal(match.group(1).replace(",", ""))
        return value * _UNITS[match.group(2)] if match.group(2) else value
    match = re.fullmatch(rf"([{CN_NUMERAL}]+)点([{CN_NUMERAL}]+)([万千])", text)
    if match:  # 一点五万
        whole, frac = _chinese_integer(match.group(1)), "".join(str(_DIGITS.get(c, "")) for c in match.group(2))
        if whole is None or not frac:
            return None
        return Decimal(f"{whole}.{frac}") * _UNITS[match.group(3)]
    value = _chinese_integer(text)
    return Decimal(value) if value is not None else None


def parse_count(text: str) -> Optional[int]:
    value = parse_amount(text)
    if value is None or value != value.to_integral_value():
        return None
    return int(value)


_YEAR = r"(?:一年|每年|年收入|年入|全年|一年下来|年)"
_MONTH = r"(?:一个月|每个月|每月|月收入|月入|一月|月)"
_EARN = r"(?:收入|挣|赚|能挣|能赚|有|能有|拿|能拿|工资|才|就|大概|大约|差不多|总共|一共|加起来|是)*"
_PERIOD_FIRST = re.compile(rf"(?P<period>{_YEAR}|{_MONTH}){_EARN}(?P<amount>{AMOUNT})\s*(?:元|块钱|块)?")
_AMOUNT_FIRST = re.compile(rf"(?P<amount>{AMOUNT})\s*(?:元|块钱|块)?\s*(?:一|每)?(?P<period>年|个?月)")


def find_income(text: str) -> Optional[Tuple[Decimal, str]]:
    """An income said with its period: (amount, 'month' | 'year'). 一个月一千二 → (1200, month)."""
    for pattern in (_PERIOD_FIRST, _AMOUNT_FIRST):
        for match in pattern.finditer(text):
            amount = parse_amount(match.group("amount"))
            if amount is None:
                continue
            period = "year" if "年" in match.group("period") else "month"
            return amount, period
    return None


def monthly(amount: Decimal, period: str) -> Decimal:
    return (amount / 12).quantize(Decimal("0.01")) if period == "year" else amount
