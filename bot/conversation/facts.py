"""Facts a resident states in plain Chinese, and their answers to one pre-screen question."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, Dict, Optional, Tuple

from bot.conversation.numbers import CN_NUMERAL, find_money, income_in, parse_count
from bot.places import find_place, whereabouts
from bot.privacy import find_phone

UNKNOWN = object()  # the resident does not know: never read as zero or no

_DONT_KNOW = re.compile(
    r"不知道|不好说|搞不清|闹不清|整不明白|不清楚|不确定|说不好|说不准|不记得|记不清|没数|不太懂|不晓得|不懂"
)
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
def find_region(text: str) -> Optional[str]:
    """The administrative code of the most specific place named (any division of China, not only those
    with a parameter file): where the person is now when both that and their home are said."""
    found = find_place(text)
    return found.code if found else None


def region_for_screening(text: str) -> Optional[str]:
    """The place a pre-screen follows: 户籍/老家 when stated (我老家周口的 现在在长春 → 周口), else where
    the person lives."""
    found = whereabouts(text).for_screening
    return found.code if found else None


# --- facts in any message ----------------------------------------------------------------------------
_N = rf"[\d{CN_NUMERAL}]+"
_SIZE = re.compile(rf"(?:一家|家里|全家|家有|我家|我们家|俺家|咱家)?\s*(?P<n>{_N})\s*(?:口人|口之家|口(?!子))")
_TWO = re.compile(
    r"俺俩|我们俩|我俩|咱俩|咱们俩|俺们俩|老两口|两口子|俩人|我们两个人?|俺们两个人?|就我们两个|"
    r"(?:和|跟)(?:老伴|老婆|媳妇|老公|对象|爱人|丈夫|妻子|儿子|闺女|女儿)(?:两个人?|俩)|"
    r"(?:娘|爷|父子|母子|母女|父女|娘儿|爷儿|姐妹|兄弟)俩"
)
_THREE = re.compile(r"(?:俺们|我们|咱们|俺|咱)仨|(?:俺们|我们|咱们)三个人?(?![月孩娃])")
# 屋里五个人 / 家里就两个人: a count of the people at home, not of who earns (家里两个人挣钱).
_PEOPLE_AT_HOME = re.compile(
    rf"(?:家里|家中|屋里|屋头|全家|一家|我家|俺家|咱家|我们家|俺们家)(?:就|一共|总共|有|是)*\s*(?P<n>{_N})\s*个人(?!挣|赚|上班|干活|打工|工作)"
)
# Living alone. "就我一个人挣钱/上班" says who earns, not who lives there; "在家就我一个人" says who is at
# home now (the others may be at work or school), so neither is read as a household of one.
_ALONE = re.compile(
    r"我一个人(?:过|住|生活)|一个人过|一个人住|一个人生活|独自(?:一人|生活)|孤身一人|单身一人|独居|孤寡|"
    r"孤老(?:头子?|太太|婆子?)?一个|"
    r"(?:^|家里)就(?:我|俺)一个(?:人)?(?![挣赚上干打工有])(?:[，,。\s]|$)|就(?:我|俺)自己过|"
    r"(?:^|[，,。\s])(?:我|俺)?(?:就|只有)?(?:我|俺)?一个人(?:了)?(?:[，,。\s]|$)"  # 我八十二了 一个人 儿子没了
)
_WORK_AFTER_ALONE = re.compile(r"一个人(?:挣|赚|上班|干活|打工|工作|有收入|养)")
_RELATIVE = r"老伴|老婆|媳妇|老公|丈夫|爱人|对象|儿子|闺女|女儿|孙子|孙女|外孙女?|孩子|娃|老娘|老妈|老爹|老爷子|老太太|父亲|母亲|爸|妈|婆婆|公公"
_WITH = re.compile(r"^(?:我|俺|咱)(?:和|跟|带着|同)(?P<rest>.+)")
_URBAN = re.compile(r"城市|城里|城镇|市区|县城|小区|城区|镇上")
_RURAL = re.compile(r"农村|村里|乡下|村子|老家种地|农民|村上|屯子|屯里")
_NO_INCOME = re.compile(
    r"没有(?:任何)?收入|没收入|一分钱?收入都没有|没有生活来源|没啥收入|没进项|啥收入也没有|"
    r"一分钱?(?:都|也)?没(?:挣|赚)|没(?:挣|赚)(?:到|着)?(?:一分)?钱"
)
# 一分钱都没有 is money at hand (a stolen wallet), not income; as the answer to the income question it is 0.
_NOTHING_AT_ALL = re.compile(r"一分钱?(?:都|也)?没有")
_AGE = re.compile(rf"(?P<n>{_N})\s*(?:多)?\s*(?:岁|周岁)")
_AGE_SPOKEN = re.compile(
    rf"(?:今年|都|已经|快)\s*(?P<n>{_N})(?:多|来)?(?:岁|了)?|^(?:我|俺|咱)(?P<m>{_N})(?:了|岁)?$|"
    # “七十八了” as a clause of its own: an older person's age
    r"(?:^|[\s，,。])(?P<k>[五六七八九]十[一二三四五六七八九]?|[5-9][0-9])(?:多)?了(?=[\s，,。]|$)"
)
_NO_CHILDREN = re.compile(r"没儿没女|无儿无女|没有(?:儿女|子女|孩子)|没(?:儿子|闺女|孩子)|膝下无|孤寡|五保")
_ILLNESS = re.compile(
    r"尿毒症|癌|肿瘤|白血病|脑梗|脑出血|脑溢血|中风|偏瘫|心梗|心脏病|肝硬化|透析|渐冻|重病|大病|瘫痪|精神病"
)
_OTHER_PERSON = re.compile(rf"(?:{_RELATIVE})")


def household_size(text: str) -> Optional[int]:
    """The number of people in the household when the message says it, else None."""
    match = _SIZE.search(text)
    if match and (size := parse_count(match.group("n"))) and 1 <= size <= 30:
        return size
    match = _PEOPLE_AT_HOME.search(text)
    if match and (size := parse_count(match.group("n"))) and 1 <= size <= 30:
        return size
    # 俺和俺媳妇还有俩孩子: any clause (a call opens with 喂 你好 before the household is said).
    for clause in re.split(r"[，,。；;！!？?\s]", text.strip()):
        with_whom = _WITH.match(clause)
        if not with_whom:
            continue
        people = 1
        for part in re.split(r"和|跟|还有|带着|以及|、", with_whom.group("rest")):
            relative = re.search(rf"(?P<n>{_N})?个?(?:{_RELATIVE})", part)
            if relative:
                people += (parse_count(relative.group("n")) or 1) if relative.group("n") else 1
        if people > 1:
            return people
    if _THREE.search(text):
        return 3
    if _TWO.search(text):
        return 2
    if _ALONE.search(text) and not _WORK_AFTER_ALONE.search(text):
        return 1
    return None


def _ages(text: str, size: Optional[int]) -> Dict[str, int]:
    match = _AGE.search(text) or _AGE_SPOKEN.search(text.strip())
    if not match:
        return {}
    said = next(match.group(g) for g in ("n", "m", "k") if g in match.re.groupindex and match.group(g))
    age = parse_count(said)
    if age is None or not 0 <= age <= 120:
        return {}
    both = re.search(r"(?:俺俩|我俩|咱俩|我们俩|老两口|两口子|俩人)都", text)
    if both:
        return {"members[0].age": age, "members[1].age": age}
    if _OTHER_PERSON.search(text[: match.start()]) and size != 1:
        return {}  # someone else's age: which member is not known (in a household of one, there is one)
    return {"members[0].age": age}


# “俺们这低保标准是八百”: the place's standard as the resident knows it, never their income.
_LOCAL_STANDARD = re.compile(
    r"(?:低保|保障)(?:的)?(?:标准|线)(?:是|为|有|才|就|大概|差不多|每月|一个月|每人|每个月|[:：\s])*"
)


def local_standard_in(text: str) -> Tuple[Optional[Decimal], str]:
    """The 低保标准 a message states (an amount right after 低保标准), and the text without that clause."""
    for match in _LOCAL_STANDARD.finditer(text):
        clause = re.split(r"[，,。；;！!？?\s]", text[match.end() :], maxsplit=1)[0]
        sums = find_money(clause)
        if sums and sums[0].start <= 2 and sums[0].period != "day":
            amount = sums[0].monthly() or sums[0].amount
            return amount, text[: match.start()] + text[match.end() + len(clause) :]
    return None, text


def facts_in(text: str) -> Dict[str, Any]:
    """Household facts stated anywhere in a message (a field → value map; members as members[0].age)."""
    facts: Dict[str, Any] = {}
    standard, text = local_standard_in(text)
    if standard is not None and standard > 0:
        facts["local_standard"] = standard.quantize(Decimal("0.01"))
    size = household_size(text)
    if size:
        facts["size"] = size
    money = income_in(text)
    if money is not None and money.monthly() is not None:
        facts["monthly_income"] = money.monthly()
    elif _NO_INCOME.search(text):
        facts["monthly_income"] = Decimal(0)
    if _RURAL.search(text):
        facts["area"] = "rural"
    elif _URBAN.search(text):
        facts["area"] = "urban"
    region = region_for_screening(text)
    if region:
        facts["region"] = region
    facts.update(_ages(text, size))
    if _NO_CHILDREN.search(text):
        for i in range(min(size or 1, 2)):
            facts[f"members[{i}].has_supporter"] = False
    illness = _ILLNESS.search(text)
    if illness and not _OTHER_PERSON.search(text[: illness.start()]):
        facts["members[0].serious_illness"] = True  # a fact about the speaker, never an emergency here
    return facts


# --- corrections -------------------------------------------------------------------------------------
_CORRECTS = re.compile(r"不对|说错了|错了|搞错|更正|纠正|刚才说的不对|应该是|其实是|不是.{1,8}?是|我是说")
_NEGATED = re.compile(r"不是[^，,。\s是]{1,8}")


def correction(text: str) -> Optional[Dict[str, Any]]:
    """The facts a message corrects (不对不对 说错了 是两千八 → monthly_income 2800; 不是三口 是四口 → size
    4), or None when it corrects nothing. An empty dict: a correction without the right value yet."""
    found = list(_CORRECTS.finditer(text))
    if not found:
        return None
    after = text[found[-1].end() :]  # 三口 哦不对 四口: the value after the last correction word
    if facts_in(after) or income_in(after, assume_income=True):
        text = after
    kept = _NEGATED.sub("", text)  # 不是三口 是四口: only what follows counts
    facts = facts_in(kept)
    if not facts:
        money = income_in(kept, assume_income=True)
        if money is not None and money.monthly() is not None:
            facts["monthly_income"] = money.monthly()
    return facts


# --- the answer to one question --------------------------------------------------------------------
# Read in the sense of the question: every yes/no question is asked as 有没有 / 能不能 / 是不是.
_PRONOUN = re.compile(r"^(?:俺们|我们|咱们|他们|她们|俺|我|咱|他|她|那|这|就|也)+")
_EMPHATIC_YES = re.compile(r"^(?:那可不|可不是|可不咋的|当然|必须的)")
_NO = re.compile(
    r"^(?:没有|没得|木有|没|冇|无|不是|不能|不行|不会|不|否|哪有|哪来|啥也没|什么都没|莫得)|没有|没得|木有|不能|不是"
)
_YES = re.compile(r"^(?:有|是|对|能|可以|在|会|嗯|行|中|好的?)|有啊|有的|有一?个|是的|是滴|对头|可以|能")
_UNABLE = re.compile(r"干不了|没法|没能力|管不了|顾不上|指望不上|靠不上|自身难保|也困难|也难|养不起|不管")
# Assets, asked as "有没有大额存款、第二套房或车": "no" means within the limit.
_OVER = re.compile(
    rf"超过|超了|超出|不符合|(?<![没无])有(?:辆|台|个|一辆)?(?:车|小车|轿车)|(?<![没无])有(?:两|三|好几|[\d{CN_NUMERAL}]+)套|"
    rf"存款(?:有)?[\d{CN_NUMERAL}]+万|(?<![没无])有[\d{CN_NUMERAL}]+万(?:块|元)?(?:的)?存款|第二套|两套房"
)
_WITHIN = re.compile(
    r"没超|不超|没有超|以内|范围内|符合|够格|没什么|没啥|没(?:有)?存款|没房|没车|啥也没有|什么都没有|"
    r"就(?:一|1)?(?:个|套|间|处)?(?:小)?(?:房子?|平房|破房|土房)|自家住的|自己住的|只有一套|一点点|有一点|不多|没多少|"
    r"就一套(?:自己|自家)?住的|存款(?:就|只有|才)?几(?:千|百)|没几个(?:钱)?|就几(?:千|百)块|"
    r"(?:自己|自家)(?:盖|住)的(?:房|屋)|(?:有|一|1)?套(?:楼房|房子?)(?:自己|自家)?住"
)
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
# The supporters there were are gone: 儿子没了, 老伴走了, 没别的孩子, 爹妈都不在了.
_SUPPORTER_GONE = re.compile(
    r"(?:没了|走了|去世|过世|不在了|死了)|没(?:别的|其他)?(?:孩子|儿女|子女|儿子|闺女)|没结(?:过)?婚"
)
YES_NO_FIELDS = {"has_disability", "serious_illness", "has_supporter", "supporter_able"}


def _yes_no(text: str) -> Optional[bool]:
    """有 / 对 / 嗯呐 / 是滴 → True; 没有 / 没得 / 木有 / 不是 / 哪有 → False; None when neither."""
    text = _PRONOUN.sub("", text.strip())
    if _EMPHATIC_YES.search(text):
        return True
    if _NO.search(text):
        return False
    if _YES.search(text):
        return True
    return None


def _money(text: str, name: str) -> Optional[Decimal]:
    """A sum in the sense of its question: per month for monthly fields, a 12-month total otherwise."""
    if (
        _NO_INCOME.search(text)
        or _NOTHING_AT_ALL.search(text)
        or re.search(r"^(?:没有|没|无|零|0)(?:收入|钱)?$", text.strip())
    ):
        return Decimal(0)
    # A sum said with a period and no cue reads as income (一年也就三四千); asked about spending, it is the spending.
    wanted = {"expense", "unknown", "income"} if name == "rigid_expense_12m" else {"income", "unknown"}
    money = next((m for m in find_money(text) if m.kind in wanted), None)
    if money is None or money.period == "day":
        return None
    if name in MONTHLY_FIELDS:
        return money.monthly()
    return money.amount * 12 if money.period == "month" else money.amount


def parse_answer(field: str, text: str) -> Any:
    """The value of `field` in `text`, UNKNOWN for 不知道, or None when the answer was not understood."""
    if is_dont_know(text):
        return UNKNOWN
    name = field.rsplit(".", 1)[-1]
    if field == "region":
        return find_region(text)
    if name == "size":
        size = household_size(text)
        if size:
            return size
        match = re.fullmatch(rf"\s*(?:就|一共|总共)?\s*({_N})\s*(?:个人|个|人|口)?\s*", text)
        count = parse_count(match.group(1)) if match else None
        return count if count and 1 <= count <= 30 else None
    if name in MONTHLY_FIELDS or name in TOTAL_12M_FIELDS:
        return _money(text, name)
    if name == "area":
        return facts_in(text).get("area")
    if name == "assets_within_limit":
        if _OVER.search(text):
            return False
        if _WITHIN.search(text):
            return True
        answer = _yes_no(text)
        return None if answer is None else not answer  # 没有 (no big savings, house or car) → within
    if name == "age":
        match = _AGE.search(text) or re.search(rf"[\d{CN_NUMERAL}]+", text)
        age = parse_count(match.group("n") if match.re is _AGE else match.group(0)) if match else None
        return age if age is not None and 0 <= age <= 130 else None
    if name == "supporter_able" and _UNABLE.search(text):
        return False
    if name == "has_disability" and (_GRADE.search(text) or re.search(r"残疾|残", text)) and not _NO.search(text):
        return True  # 一级肢体残疾: the kind or grade of a disability says yes
    if name == "has_supporter" and _SUPPORTER_GONE.search(text) and not re.search(r"(?<![没无])有", text):
        return False  # 儿子没了 没别的孩子
    if name in YES_NO_FIELDS:
        answer = _yes_no(text)
        if answer is None and name == "has_supporter" and _OTHER_PERSON.search(text):
            return True  # 儿子在外地打工: a supporter named is a yes
        return answer
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
