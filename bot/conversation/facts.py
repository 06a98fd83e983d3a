"""Facts a resident states in plain Chinese, and their answers to one pre-screen question."""

from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache
from typing import Any, Dict, List, Optional, Tuple

from bot.conversation.numbers import AMOUNT, CN_NUMERAL, find_income, monthly, parse_amount, parse_count
from bot.eligibility.engine import default_book
from bot.eligibility.parameters import ROOT_REGION
from bot.privacy import find_phone

UNKNOWN = object()  # the resident does not know: never read as zero or no

_DONT_KNOW = re.compile(r"不知道|不清楚|不确定|说不好|说不准|不记得|记不清|没数|不太懂|不晓得|不懂")
_STOP = re.compile(
    r"不测了|不想测|不算了|算了吧?$|^算了|退出|停止|结束|不问了|不用了|取消|不想回答|先不弄了|不弄了|别问了"
)
_CORRECTION = re.compile(r"^(?:不对|错了|说错了|不是|刚才说错)")


def is_stop(text: str) -> bool:
    return bool(_STOP.search(text.strip()))


def is_dont_know(text: str) -> bool:
    return bool(_DONT_KNOW.search(text))


def is_bare_correction(text: str) -> bool:
    return bool(_CORRECTION.match(text.strip())) and len(re.sub(r"[，,。！!\s]", "", text)) <= 4


# --- regions ---------------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def region_aliases() -> List[Tuple[str, str]]:
    """(alias, code), longest alias first: 吉林省长春市 → 长春市, 长春; 吉林省 → 吉林."""
    aliases = []
    for region in default_book().regions():
        if region.code == ROOT_REGION:
            continue
        parts = re.findall(r".+?(?:省|自治区|市|州|县|区)", region.name) or [region.name]
        last = parts[-1]
        for alias in {region.name, last, re.sub(r"(省|市|自治区)$", "", last)}:
            if len(alias) >= 2:
                aliases.append((alias, region.code))
    return sorted(aliases, key=lambda a: -len(a[0]))


def find_region(text: str) -> Optional[str]:
    found = [(text.find(alias), -len(alias), code) for alias, code in region_aliases() if alias in text]
    if not found:
        return None
    # The most specific region named: a city code beats its province (长春 in 吉林省长春市).
    codes = {code for _, _, code in found}
    specific = [c for c in codes if not any(o != c and o.startswith(c.rstrip("0")) for o in codes)]
    return max(specific, key=len) if specific else found[0][2]


# --- facts in any message ----------------------------------------------------------------------------
_SIZE = re.compile(rf"(?:一家|家里|全家|家有|我家|我们家)?\s*(?P<n>[\d{CN_NUMERAL}]+)\s*(?:口人|口之家|口)")
_ALONE = re.compile(r"就我一个人?|我一个人(?:过|住|生活)|独自(?:一人|生活)|一个人过|一个人住|孤身一人|单身一人|独居")
_URBAN = re.compile(r"城市|城里|城镇|市区|县城|小区|城区|镇上")
_RURAL = re.compile(r"农村|村里|乡下|村子|老家种地|农民|村上")
_NO_INCOME = re.compile(r"没有(?:任何)?收入|没收入|一分收入都没有|没有生活来源")
_AGE = re.compile(rf"(?P<n>[\d{CN_NUMERAL}]+)\s*(?:岁|周岁)")


def facts_in(text: str) -> Dict[str, Any]:
    """Household facts stated anywhere in a message (a field → value map; members as members[0].age)."""
    facts: Dict[str, Any] = {}
    match = _SIZE.search(text)
    if match and (size := parse_count(match.group("n"))) and 1 <= size <= 30:
        facts["size"] = size
    elif _ALONE.search(text):
        facts["size"] = 1
    income = find_income(text)
    if income:
        facts["monthly_income"] = monthly(*income)
    elif _NO_INCOME.search(text):
        facts["monthly_income"] = Decimal(0)
    if _RURAL.search(text):
        facts["area"] = "rural"
    elif _URBAN.search(text):
        facts["area"] = "urban"
    region = find_region(text)
    if region:
        facts["region"] = region
    return facts


# --- the answer to one question --------------------------------------------------------------------
_NO = re.compile(r"^(?:没有|没|无|不是|不能|不行|否|不会|不|没得|木有|不在)|没有|不能|不是|干不了|没法")
_YES = re.compile(r"^(?:有|是|对|能|可以|在|会|嗯|行|好的?|有的|是的|对的)|有|是的|可以|能")
_WITHIN = re.compile(
    r"没超|不超|没有超|以内|范围内|符合|够格|没什么(?:存款|财产|钱)|没(?:有)?存款|没房|没车|啥也没有|什么都没有"
)
_OVER = re.compile(r"超过|超了|超出|有好几套|有车有房|不符合")

_KINDS = [
    ("multiple", r"多重"),
    ("intellectual", r"智力|智障"),
    ("mental", r"精神"),
    ("visual", r"视力|眼睛|失明|盲"),
    ("hearing", r"听力|耳朵|聋"),
    ("speech", r"言语|说话|哑"),
    ("physical", r"肢体|腿|胳膊|手|脚|瘫|截肢"),
]
_GRADE = re.compile(r"([一二三四1-4])\s*级")
_EMPLOYMENT = [
    ("unable", r"干不了|不能干|没法干|干不动|不能工作|丧失劳动|没有劳动能力|做不了"),
    ("unemployed", r"没(?:有)?工作|失业|下岗|没活|找不到|待业|没班上|能干活"),
    ("employed", r"有工作|上班|打工|在干|有活|工作着|在职"),
]
_SELF_CARE = [
    ("none", r"完全不能|不能自理|瘫痪|卧床|全靠人"),
    ("partial", r"部分|有时|一部分|半|需要人帮"),
    ("full", r"能自理|完全自理|能照顾自己|生活自理|可以自理|能"),
]

MONTHLY_FIELDS = {"monthly_income"}
TOTAL_12M_FIELDS = {"rigid_expense_12m", "income_12m"}
YES_NO_FIELDS = {"has_disability", "serious_illness", "has_supporter", "supporter_able"}


def _yes_no(text: str) -> Optional[bool]:
    if _NO.search(text):
        return False
    if _YES.search(text):
        return True
    return None


def _money(text: str, per_month: bool) -> Optional[Decimal]:
    if _NO_INCOME.search(text) or re.search(r"^(?:没有|没|无|零|0)(?:收入|钱)?$|一分(?:钱)?(?:都)?没有", text.strip()):
        return Decimal(0)
    income = find_income(text)
    if income:
        amount, period = income
        if per_month:
            return monthly(amount, period)
        return amount * 12 if period == "month" else amount
    match = re.search(AMOUNT, text)
    return parse_amount(match.group(0)) if match else None


def parse_answer(field: str, text: str) -> Any:
    """The value of `field` in `text`, UNKNOWN for 不知道, or None when the answer was not understood."""
    if is_dont_know(text):
        return UNKNOWN
    name = field.rsplit(".", 1)[-1]
    if field == "region":
        return find_region(text)
    if name == "size":
        facts = facts_in(text)
        if "size" in facts:
            return facts["size"]
        match = re.search(rf"[\d{CN_NUMERAL}]+", text)
        count = parse_count(match.group(0)) if match else None
        return count if count and 1 <= count <= 30 else None
    if name in MONTHLY_FIELDS:
        return _money(text, per_month=True)
    if name in TOTAL_12M_FIELDS:
        return _money(text, per_month=False)
    if name == "area":
        return facts_in(text).get("area")
    if name == "assets_within_limit":
        if _WITHIN.search(text):
            return True
        if _OVER.search(text):
            return False
        return _yes_no(text)
    if name == "age":
        match = _AGE.search(text) or re.search(rf"[\d{CN_NUMERAL}]+", text)
        age = parse_count(match.group("n") if match.re is _AGE else match.group(0)) if match else None
        return age if age is not None and 0 <= age <= 130 else None
    if name in YES_NO_FIELDS:
        return _yes_no(text)
    if name == "disability_kind":
        return next((kind for kind, pattern in _KINDS if re.search(pattern, text)), None)
    if name == "disability_grade":
        match = _GRADE.search(text) or re.fullmatch(r"\s*([一二三四1-4])\s*", text)
        return parse_count(match.group(1)) if match else None
    if name == "employment":
        return next((value for value, pattern in _EMPLOYMENT if re.search(pattern, text)), None)
    if name == "self_care":
        return next((value for value, pattern in _SELF_CARE if re.search(pattern, text)), None)
    return None


# --- consent and a phone number (emergency leads) ---------------------------------------------------
_CONSENT_NO = re.compile(r"不用|不要|不需要|不同意|不想|不愿意|不留|算了|别|拒绝|没必要|^不$|^否|^no\b", re.I)
_CONSENT_YES = re.compile(r"同意|可以|好的?|行|愿意|需要|要的?|麻烦|留|是的?|嗯|对|^ok\b|^yes\b", re.I)


def parse_consent(text: str) -> Tuple[Optional[bool], Optional[str]]:
    """(agreed?, phone): a phone number given is consent; None when the answer is unclear."""
    phone = find_phone(text)
    if phone:
        return True, phone
    if _CONSENT_NO.search(text):
        return False, None
    if _CONSENT_YES.search(text):
        return True, None
    return None, None
