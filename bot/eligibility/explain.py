"""A screening result as plain Chinese text: the reasoning step by step, then what to do."""

from __future__ import annotations

from typing import List

from bot.eligibility.result import ScreeningResult, Verdict

_WORDS = {Verdict.eligible: "可能符合", Verdict.not_eligible: "不符合", Verdict.need_info: "待补充信息"}
_AMOUNT_LABELS = {
    "estimated_monthly": "估算每月救助金",
    "basic_standard_min": "基本生活标准不低于（每月）",
    "care_standard_min": "照料护理标准不低于（每月）",
    "monthly": "每月增发",
}


def explain(result: ScreeningResult) -> str:
    lines: List[str] = ["【判断过程】"]
    lines += [f"{i}. {step}" for i, step in enumerate(result.trace, 1)]
    lines += ["", "【结果】", result.summary]
    if result.standard is not None:
        lines.append(f"{result.standard.in_words(result.date)}。")
    if result.standard_ranges is not None:
        lines.append(result.standard_ranges.text)
    for f in result.findings:
        who = f"（第{f.member + 1}位成员）" if f.member is not None else ""
        lines.append(f"- {f.name}{who}：{_WORDS[f.verdict]}。{f.reason}")
        for key, value in f.amounts.items():
            lines.append(f"    {_AMOUNT_LABELS.get(key, key)}：{value:f}元")
        for text in f.detail.values():
            lines.append(f"    {text}")
        lines.append(f"    依据：{'；'.join(f.citations)}")
    if result.next_question:
        lines += ["", "【下一个问题】", result.next_question.text]
    if result.temporary_assistance:
        lines += ["", "【临时救助】"]
        for a in result.temporary_assistance:
            lines.append(f"- {a.name}：{a.note}（依据：{'；'.join(a.citations)}）")
            if a.amount is not None:
                lines.append(f"    金额：{a.amount.describe()}")
    if result.specialised_assistance:
        lines += ["", "【还可以申请的专项救助】"]
        lines += [f"- {a.name}（{a.department}）：{a.note}" for a in result.specialised_assistance]
    if result.parameters:
        lines += ["", "【用到的参数】"]
        lines += [f"- {p.describe()}" for p in result.parameters]
    lines += ["", "【说明】"] + [f"- {note}" for note in result.notes]
    return "\n".join(lines)
