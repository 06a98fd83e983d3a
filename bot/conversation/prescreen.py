"""The pre-screen as a conversation: one question at a time, driven by the engine's next question.

The state is a plain JSON-able dict, so any channel can keep it (a Rasa slot, a hotline call record).
Each resident message goes through `step`; facts stated anywhere (三口人, 一个月一千二, 在长春) are taken
even when another question was asked, and a later statement corrects an earlier one.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Dict, List, Optional

from pydantic import ValidationError

from bot.conversation.facts import UNKNOWN, facts_in, is_bare_correction, is_dont_know, is_stop, parse_answer
from bot.eligibility import Household, screen
from bot.eligibility.engine import HOUSEHOLD_LAYERS, default_book
from bot.eligibility.parameters import ROOT_REGION
from bot.eligibility.questions import MEMBER_PATH, label_for, question_for
from bot.eligibility.result import ScreeningResult, Verdict

REGION_QUESTION = "您家在哪个省、哪个市（县）？各地低保标准不同，我按当地的标准帮您算。"
NOT_UNDERSTOOD = "抱歉，这个回答我没看明白。"
UNKNOWN_REGION_NOTE = "不知道您在哪个地区，先按全国平均的低保标准估算，结果以当地公布的标准为准。"
ASK_LOCAL_STANDARD = "您知道当地的低保标准吗？告诉我（比如“我们这低保标准是每月800元”），我按它再算一遍。"
WHERE_TO_APPLY = (
    "去哪里申请：向户籍所在地或经常居住地的乡镇人民政府（街道办事处）提出申请，"
    "也可以请村（居）委会协助、在当地“一网通办”平台网上申请，或拨打12345政务服务便民热线。"
)
SUM_FIELDS = {"monthly_income", "rigid_expense_12m", "income_12m"}
MAX_RETRIES = 1  # after this many answers it did not understand, a question counts as unknown


@dataclass
class Turn:
    state: Dict[str, Any]
    reply: str
    done: bool = False
    stopped: bool = False
    result: Optional[ScreeningResult] = None


def new_state(region: Optional[str] = None) -> Dict[str, Any]:
    return {"household": {"region": region} if region else {}, "pending": None, "unknown": [], "retries": 0}


def _set(household: Dict[str, Any], field: str, value: Any) -> None:
    match = MEMBER_PATH.match(field)
    if not match:
        household[field] = str(value) if isinstance(value, Decimal) else value
        return
    index, name = int(match.group(1)), match.group(2)
    members = household.setdefault("members", [])
    while len(members) <= index:
        members.append({})
    members[index][name] = str(value) if isinstance(value, Decimal) else value


def merge_facts(state: Dict[str, Any], facts: Dict[str, Any]) -> None:
    """Facts into the state's household; a later statement replaces an earlier one."""
    household = state["household"]
    for field, value in facts.items():
        _set(household, field, value)
        if field in state["unknown"]:
            state["unknown"].remove(field)
    if household.get("size") == 1 and "monthly_income" in facts:
        _set(
            household, "members[0].monthly_income", facts["monthly_income"]
        )  # a person alone: own income = household's
    size = household.get("size")
    if size is not None and len(household.get("members", [])) > size:
        household["members"] = household["members"][:size]


# “收入俺真不知道”: a fact the resident says they do not know, before it was asked, is not asked.
_UNKNOWN_TOPICS = {
    "monthly_income": re.compile(r"收入|挣多少|工资|赚多少"),
    "assets_within_limit": re.compile(r"存款|财产|家底"),
}


def _said_unknown(text: str, facts: Dict[str, Any]) -> List[str]:
    if not is_dont_know(text):
        return []
    return [f for f, topic in _UNKNOWN_TOPICS.items() if f not in facts and topic.search(text)]


def start(
    text: str,
    region: Optional[str] = None,
    on: Optional[dt.date] = None,
    household: Optional[Dict[str, Any]] = None,
) -> Turn:
    """Begin with the resident's message, taking every fact it states (and, from `household`, what the
    conversation already knew: it is not asked again)."""
    state = new_state(region)
    if household:
        state["household"].update({k: ([dict(m) for m in v] if k == "members" else v) for k, v in household.items()})
    facts = facts_in(text)
    merge_facts(state, facts)
    state["unknown"] += _said_unknown(text, facts)
    return next_turn(state, on, prefix="好的，我来帮您初步算一算，一次问一个问题，随时可以说“不测了”停止。")


def resume(state: Dict[str, Any]) -> Turn:
    """Back to an interrupted pre-screen (e.g. after an emergency): ask the pending question again."""
    return Turn(state, join("好的，我们接着刚才的测算。", question_text(state, state["pending"])))


def step(state: Dict[str, Any], text: str, on: Optional[dt.date] = None) -> Turn:
    state = {**state, "household": dict(state["household"]), "unknown": list(state["unknown"])}
    if "members" in state["household"]:
        state["household"]["members"] = [dict(m) for m in state["household"]["members"]]
    if is_stop(text):
        return Turn(state, "好的，初步测算已停止。想继续时说“帮我算算能不能吃低保”就可以重新开始。", stopped=True)
    pending = state.get("pending")
    facts = facts_in(text)
    if pending in SUM_FIELDS - {"monthly_income"}:
        # “一年也就五千来块” answers the spending question: the sum is not also the monthly income
        # (a correction of the income says so, and is taken before this step).
        facts.pop("monthly_income", None)
    if pending and pending not in facts and pending != "region":
        value = parse_answer(pending, text)
        if value is UNKNOWN:
            state["unknown"].append(pending)
        elif value is not None:
            facts[pending] = value
    elif pending == "region" and "region" not in facts:
        value = parse_answer("region", text)
        if value is UNKNOWN or (value is None and state["retries"] >= MAX_RETRIES):
            facts["region"] = ROOT_REGION
        elif value is not None:
            facts["region"] = value
    if not facts and pending and pending not in state["unknown"]:
        if is_bare_correction(text):
            return Turn(state, "好的，请直接告诉我正确的情况，比如“四口人”或“每月两千元”。")
        state["retries"] += 1
        if state["retries"] > MAX_RETRIES:
            state["unknown"].append(pending)
        else:
            return Turn(state, f"{NOT_UNDERSTOOD}{question_text(state, pending)}")
    merge_facts(state, facts)
    return next_turn(state, on)


def question_text(state: Dict[str, Any], field: str) -> str:
    if field == "region":
        return REGION_QUESTION
    return question_for(field, state["household"].get("size")).text


def _household(state: Dict[str, Any]) -> Household:
    return Household(**state["household"])


def next_turn(state: Dict[str, Any], on: Optional[dt.date], prefix: str = "") -> Turn:
    if "region" not in state["household"]:
        state["pending"] = "region"
        return Turn(state, join(prefix, REGION_QUESTION))
    try:
        result = screen(_household(state), on)
    except ValidationError:
        # A correction made the facts inconsistent (e.g. fewer people than members described).
        state["household"].pop("members", None)
        result = screen(_household(state), on)
    if result.decided:
        state["pending"] = None
        return Turn(state, join(prefix, render_verdict(result, state)), done=True, result=result)
    asked = result.next_question.field if result.next_question else None
    if asked is None or asked in state["unknown"]:
        asked = next((m for m in result.missing if m not in state["unknown"]), None)
    if asked is None:
        state["pending"] = None
        return Turn(state, join(prefix, render_verdict(result, state)), done=True, result=result)
    if asked != state.get("pending"):
        state["retries"] = 0
    state["pending"] = asked
    return Turn(state, join(prefix, question_text(state, asked)))


def join(*parts: str) -> str:
    return "\n".join(p for p in parts if p)


def describe_fact(field: str, value: Any) -> str:
    """One understood fact in plain words (“4口人”“全家每月收入2800元”), so a misreading shows."""
    if value is None:
        return ""
    if field == "region":
        return default_book().region(value).name if value in default_book() else ""
    if field == "area":
        return {"urban": "城市", "rural": "农村"}.get(str(value), "")
    if field == "size":
        return f"{value}口人"
    if field == "monthly_income":
        return f"全家每月收入{_amount(value)}元"
    if field == "assets_within_limit":
        return "财产在限额内" if value else "财产超过限额"
    if field == "rigid_expense_12m":
        return f"过去12个月必需开支{_amount(value)}元"
    if field == "income_12m":
        return f"过去12个月总收入{_amount(value)}元"
    if field == "local_standard":
        return f"当地低保标准每月{_amount(value)}元"
    return ""


def _amount(value: Any) -> str:
    return f"{Decimal(str(value)).normalize():f}"


UNDERSTOOD_FIELDS = ("region", "area", "size", "monthly_income", "income_12m", "rigid_expense_12m", "local_standard")


def understood_line(state: Dict[str, Any]) -> str:
    household = state["household"]
    parts = [describe_fact(f, household.get(f)) for f in UNDERSTOOD_FIELDS if household.get(f) is not None]
    parts = [p for p in parts if p]
    size, income = household.get("size"), household.get("monthly_income")
    if size and income is not None:
        each = (Decimal(str(income)) / size).quantize(Decimal("0.01"))
        parts.append(f"人均每月约{_amount(each)}元")
    return f"（按{'、'.join(parts)}算；哪里说得不对，直接告诉我正确的，我重新算。）" if parts else ""


_AMOUNT_WORDS = {
    "estimated_monthly": "预计每月可领约",
    "basic_standard_min": "基本生活标准每月不低于",
    "care_standard_min": "照料护理标准每月不低于",
    "monthly": "每月增发",
}


def render_verdict(result: ScreeningResult, state: Optional[Dict[str, Any]] = None) -> str:
    """The verdict in plain Chinese: what may apply and why, amounts, other help, where to apply."""
    lines: List[str] = [f"【初步结果】{result.summary}"]
    if state is not None and (understood := understood_line(state)):
        lines.append(understood)
    if state is not None and state["household"].get("region") == ROOT_REGION:
        lines.append(UNKNOWN_REGION_NOTE)
    citations: List[str] = []
    # Each layer ruled out before the one that applies (all of them when none does) says why.
    order = ("tekun",) + HOUSEHOLD_LAYERS
    last = order.index(result.primary) if result.primary in order else len(order)
    if not result.decided:  # only those before the layer still waiting for an answer
        waiting = [f.rule for f in result.findings if f.member is None and f.verdict is Verdict.need_info]
        last = min([order.index(r) for r in waiting if r in order] + [last])
    ruled_out = [
        f for f in result.findings if f.member is None and f.rule in order[:last] and f.verdict is Verdict.not_eligible
    ]
    shown = ruled_out + [f for f in result.findings if f.verdict is Verdict.eligible]
    for finding in shown:
        who = (
            ""
            if finding.member is None or (state and state["household"].get("size") == 1)
            else f"（第{finding.member + 1}位家庭成员）"
        )
        verdict = "不符合，" if finding.verdict is Verdict.not_eligible else ""
        lines.append(f"· {finding.name}{who}：{verdict}{finding.reason}")
        for key, value in finding.amounts.items():
            lines.append(f"  {_AMOUNT_WORDS.get(key, key)}{value.normalize():f}元（估算）")
        citations += [c for c in finding.citations if c not in citations]
    if not result.decided:
        size = state["household"].get("size") if state else None
        for finding in result.findings:
            if finding.verdict is Verdict.need_info:
                lines.append(f"· {finding.name}：{finding.reason}")
                citations += [c for c in finding.citations if c not in citations]
        missing = "、".join(label_for(m, size) for m in result.missing[:3])
        lines.append(f"还缺少一些信息（{missing}），暂时没法判断。建议直接向乡镇（街道）申请，由工作人员核实。")
    if result.standard is not None and result.decided:
        lines.append(f"（{result.standard.in_words(result.date)}。）")
    if result.standard_ranges is not None and result.decided:
        lines.append(result.standard_ranges.text + ASK_LOCAL_STANDARD)
    if result.specialised_assistance:
        lines.append(
            "还可以了解的专项救助：" + "；".join(f"{a.name}（{a.department}）" for a in result.specialised_assistance)
        )
    if result.temporary_assistance:
        lines.append(
            "临时救助："
            + "；".join(
                f"{a.name}（{a.amount.describe()}）" if a.amount else a.name for a in result.temporary_assistance
            )
        )
    lines.append(WHERE_TO_APPLY)
    lines += result.notes
    if citations:
        lines.append("依据：" + "；".join(citations))
    return "\n".join(lines)
