"""What a screening returns (ELIGIBILITY.md §8)."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Dict, List, Optional, Tuple

from bot.eligibility.parameters import CATALOGUE, ParameterValue

DISCLAIMER = (
    "以上是初步判断，不是审批结果：是否符合条件、救助金额多少，由民政部门经家庭经济状况核对和入户调查后认定，"
    "金额以当地公布的标准为准。"
)
EXAMPLE_NOTICE = "其中{labels}是示例值（未找到当地公布的数值），涉及它的判断仅供参考，以当地公布的标准为准。"


class Verdict(str, enum.Enum):
    eligible = "eligible"
    not_eligible = "not_eligible"
    need_info = "need_info"


CATEGORY_NAMES = {
    "tekun": "特困人员救助供养",
    "dibao": "最低生活保障（低保）",
    "near_dibao": "低保边缘家庭",
    "rigid_expense": "刚性支出困难家庭",
    "individual_dibao": "单人保（单独纳入低保）",
    "priority_allowance": "重点保障（增发补助）",
    "temporary_assistance": "临时救助",
}


@dataclass
class Finding:
    rule: str
    verdict: Verdict
    reason: str
    citations: List[str]
    missing: List[str] = field(default_factory=list)
    member: Optional[int] = None
    amounts: Dict[str, Decimal] = field(default_factory=dict)
    detail: Dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return CATEGORY_NAMES.get(self.rule, self.rule)

    def to_dict(self) -> dict:
        return {
            "rule": self.rule,
            "name": self.name,
            "verdict": self.verdict.value,
            "reason": self.reason,
            "citations": self.citations,
            "missing": self.missing,
            "member": self.member,
            "amounts": {k: float(v) for k, v in self.amounts.items()},
            "detail": self.detail,
        }


@dataclass
class Question:
    field: str
    text: str

    def to_dict(self) -> dict:
        return {"field": self.field, "text": self.text}


LOCAL_STANDARD = "金额由当地民政部门按当地标准和困难情况确定"


@dataclass(frozen=True)
class Amount:
    """What a 临时救助 type pays, where a parameter says so (ELIGIBILITY.md §5): `value` = the formula's
    result (None where the local value is not known), `at_least` when the rule sets a floor."""

    value: Optional[Decimal]
    formula: str  # in plain Chinese, with the parameters it uses
    parameters: Tuple[ParameterValue, ...] = ()
    at_least: bool = False
    per_person: bool = True
    on: Optional[dt.date] = None  # the screening's date, to tell an old standard from a current one

    @property
    def example(self) -> bool:
        return any(p.example for p in self.parameters)

    @property
    def approximate(self) -> bool:
        """Rests on an average or an old value: the place's own current standard decides."""
        return any(
            CATALOGUE[p.name].sourced and (p.basis == "average" or (self.on is not None and p.stale(self.on)))
            for p in self.parameters
        )

    def describe(self) -> str:
        """One short Chinese phrase, the same in the reply and the explanation."""
        if self.value is None:
            return self.formula
        shown = f"{self.value.normalize():f}元" + ("/人" if self.per_person else "")
        text = f"{'不低于' if self.at_least else '约'}{shown}（{self.formula}）"
        if self.example:
            text += "，示例值，以当地公布标准为准"
        elif self.approximate:
            text += "，按平均或往年标准估算，以当地现行标准为准"
        return text

    def to_dict(self) -> dict:
        return {
            "value": float(self.value) if self.value is not None else None,
            "unit": "元/人" if self.per_person else "元",
            "at_least": self.at_least,
            "formula": self.formula,
            "example": self.example,
            "approximate": self.approximate,
            "parameters": [p.to_dict() for p in self.parameters],
            "text": self.describe(),
        }


@dataclass(frozen=True)
class Assistance:
    id: str
    name: str
    department: str
    note: str
    citations: Tuple[str, ...]
    amount: Optional[Amount] = None  # 临时救助 only

    def to_dict(self) -> dict:
        data = {**self.__dict__, "citations": list(self.citations)}
        data["amount"] = self.amount.to_dict() if self.amount is not None else None
        return data


def _yuan(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01')).normalize():f}元"


_RANGE_VERDICTS = {"dibao": "可能符合低保", "near_dibao": "属于低保边缘家庭", None: "暂不符合低保和低保边缘"}


@dataclass(frozen=True)
class StandardRange:
    """The real 低保标准 S in (low, high] gives the verdict `primary` (None: neither 低保 nor 边缘);
    `low_included` where the low end is a floor S can equal."""

    primary: Optional[str]
    low: Optional[Decimal]
    high: Optional[Decimal]
    low_included: bool = False

    def words(self) -> str:
        if self.low is None:
            return f"不高于{_yuan(self.high)}"
        if self.high is None:
            return f"{'不低于' if self.low_included else '高于'}{_yuan(self.low)}"
        return f"在{_yuan(self.low)}到{_yuan(self.high)}之间"

    def to_dict(self) -> dict:
        return {
            "primary": self.primary,
            "low": float(self.low) if self.low is not None else None,
            "high": float(self.high) if self.high is not None else None,
            "low_included": self.low_included,
        }


@dataclass(frozen=True)
class StandardRanges:
    """How the verdict depends on a 低保标准 that is not known exactly (ELIGIBILITY.md §3.2–3.3)."""

    used: ParameterValue
    per_capita: Decimal
    multiplier: Decimal
    ranges: List[StandardRange]
    conditional_on_assets: bool  # assets not yet known: the ranges hold if they are within the limit

    @property
    def text(self) -> str:
        """Each condition and its verdict in one clause (若…则…), so no verdict reads as the result."""
        m = f"{self.multiplier.normalize():f}"
        parts = []
        for r in self.ranges:
            verdict = _RANGE_VERDICTS[r.primary]
            if r.primary == "near_dibao":
                verdict += f"（按{m}倍）"
            parts.append(f"若{r.words()}则{verdict}")
        head = "在财产符合规定的前提下，" if self.conditional_on_assets else ""
        return (
            f"当地标准不同，结果也不同：{head}您家人均每月{_yuan(self.per_capita)}，当地{self.used.label}"
            + "；".join(parts)
            + "。"
        )

    def to_dict(self) -> dict:
        return {
            "parameter": self.used.to_dict(),
            "per_capita": float(self.per_capita),
            "multiplier": float(self.multiplier),
            "ranges": [r.to_dict() for r in self.ranges],
            "conditional_on_assets": self.conditional_on_assets,
            "text": self.text,
        }


@dataclass
class ScreeningResult:
    region: str
    region_name: str
    date: dt.date
    decided: bool  # the primary category is settled (it may be "none")
    primary: Optional[str]  # first category that applies, in the order 特困 → 低保 → 边缘 → 刚性支出
    findings: List[Finding]
    missing: List[str]
    next_question: Optional[Question]
    specialised_assistance: List[Assistance]
    temporary_assistance: List[Assistance]
    parameters: List[ParameterValue]
    trace: List[str]
    standard: Optional[ParameterValue] = None  # the 低保标准 the verdict used
    standard_ranges: Optional[StandardRanges] = None  # set where that standard is not known exactly

    @property
    def uses_example_values(self) -> bool:
        return any(p.example for p in self.parameters)

    @property
    def notes(self) -> List[str]:
        notes = [DISCLAIMER]
        examples = "、".join(dict.fromkeys(p.label for p in self.parameters if p.example))
        if examples:
            notes.append(EXAMPLE_NOTICE.format(labels=examples))
        return notes

    @property
    def summary(self) -> str:
        if not self.decided:
            return "还需要几项信息才能初步判断。"
        if self.primary is None:
            return "按目前信息，暂不符合低保、特困、低保边缘或刚性支出困难家庭的条件。"
        return f"按目前信息，可能符合：{CATEGORY_NAMES[self.primary]}。"

    def to_dict(self) -> dict:
        return {
            "region": self.region,
            "region_name": self.region_name,
            "date": self.date.isoformat(),
            "decided": self.decided,
            "primary": self.primary,
            "primary_name": CATEGORY_NAMES.get(self.primary) if self.primary else None,
            "summary": self.summary,
            "findings": [f.to_dict() for f in self.findings],
            "missing": self.missing,
            "next_question": self.next_question.to_dict() if self.next_question else None,
            "specialised_assistance": [a.to_dict() for a in self.specialised_assistance],
            "temporary_assistance": [a.to_dict() for a in self.temporary_assistance],
            "parameters": [p.to_dict() for p in self.parameters],
            "standard": self.standard.to_dict() if self.standard else None,
            "standard_used": self.standard.in_words(self.date) if self.standard else None,
            "standard_ranges": self.standard_ranges.to_dict() if self.standard_ranges else None,
            "uses_example_values": self.uses_example_values,
            "notes": self.notes,
            "trace": self.trace,
        }
