"""The 12345 work order a call becomes: its category, and the caller's words condensed for the summary.

Categories are the ones a 12345 centre files under (the operator can change them): 急难求助 (something
urgent was heard), 投诉建议 (the caller complains about how a case or a worker was handled), 转办 (a
matter another department handles, named in the summary), 政策咨询 (a social-assistance question,
with its topic: 政策咨询-低保的申请条件) and 其他 (nothing of social assistance).
"""

from __future__ import annotations

import re
from typing import List, Optional, Tuple

from bot.policies.search import _SPELLINGS  # the programme names' homophones: one list, the search's
from bot.privacy import mask_pii

EMERGENCY = "急难求助"
COMPLAINT = "投诉建议"
REFERRAL = "转办"
POLICY = "政策咨询"
OTHER = "其他"

# How a complaint is said on the phone: about the handling (slow, rude, passed around), not the policy.
_COMPLAINT = re.compile(
    r"投诉|举报|反映个?(?:事|问题|情况)|态度(?:老|很|太|特别|非常|贼)?(?:差|不好|恶劣|横)|爱答不理|不搭理|"
    r"踢皮球|推来推去|推三阻四|不作为|不给办|拖着不办|一点信儿?(?:都)?没有|没人通知|说停就停"
)
# Matters another department handles, with the department the summary names.
_REFERRALS: Tuple[Tuple[re.Pattern, str], ...] = (
    (re.compile(r"危房|房屋改造|危改"), "住建部门（农村危房改造）"),
    (re.compile(r"养老保险|社保卡?|医保报销|失业保险"), "人社或医保部门（社会保险）"),
    (re.compile(r"公积金"), "住房公积金管理中心"),
    (re.compile(r"欠薪|拖欠工资|不给工资|讨薪"), "人社部门（劳动保障监察）"),
)
# Words that put a call in social assistance even when no article matched it closely.
ASSISTANCE_WORDS = re.compile(r"低保|特困|五保|救助|补助|补贴|困难|边缘户?|敬老院|养老院|供养|残疾证|帮扶")

_FOLDS = tuple((re.compile(pattern), to) for pattern, to in _SPELLINGS[:1])  # 低包/地保/底保 → 低保
_FILLER = re.compile(r"^(?:喂|嗯|哦|啊|呃|哎|唉|那个|这个|就是|你好|您好|请问|同志|闺女|小伙子|对)+")
MAX_SAID = 300  # characters of the caller's words kept in the summary


def programme_names(text: str) -> str:
    """低包 / 地保 / 底保 → 低保: the words a ticket should carry, whatever the speech recogniser heard."""
    for pattern, to in _FOLDS:
        text = pattern.sub(to, text)
    return text


def condensed(text: str) -> str:
    """One caller line for the summary: fillers and repeated clauses dropped, names fixed, PII masked."""
    clauses: List[str] = []
    for clause in re.split(r"[，,。；;！!？?\s]+", programme_names(text)):
        clause = _FILLER.sub("", clause)
        if clause and clause not in clauses:
            clauses.append(clause)
    return mask_pii("，".join(clauses))


def complaint(text: str) -> bool:
    return bool(_COMPLAINT.search(text))


def referral(text: str) -> Optional[str]:
    """The department a matter belongs to, when it is not social assistance's."""
    return next((department for pattern, department in _REFERRALS if pattern.search(text)), None)
