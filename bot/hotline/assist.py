"""Hotline operator assist: what the assistant suggests while a 12345 operator talks to a caller.

Channel-free and storage-free: a call's state is a JSON-able dict; `hear` takes one utterance and
returns the state and the assistance for it. The same policy search, fact extraction, pre-screen
questions and emergency rules as the resident's chat — no second copy of any of them.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Dict, List, Optional

from pydantic import ValidationError

from bot.conversation import prescreen
from bot.conversation.emergency import detect
from bot.conversation.facts import correction, facts_in, parse_answer
from bot.eligibility import Household, screen
from bot.eligibility.questions import label_for
from bot.hotline import tickets
from bot.leads import intake
from bot.leads.model import SEVERITY_NAMES, Cause, Severity, more_severe
from bot.places import LEVELS, place, places_named
from bot.policies import default_desk
from bot.privacy import mask_pii

MAX_SUGGESTIONS = 3
# A caller's line counts as a topic of the call (for the summary) only on a clear match.
TOPIC_MIN_CONFIDENCE = 0.3
# What the operator just asked, so that the caller's bare answer (三千块钱, 两个人) is read in its sense.
_ASKED = (
    ("size", re.compile(r"几口人|几个人|多少人|家里都有谁|几口")),
    ("monthly_income", re.compile(r"收入|挣多少|赚多少|多少钱|工资")),
)
_CLAUSES = re.compile(r"[，,。；;！!？?\s]+")


def new_call() -> Dict[str, Any]:
    return {
        "household": prescreen.new_state()["household"],
        "urgency": None,
        "topics": [],
        "caller_lines": 0,
        "asked": [],
        "said": [],
    }


@dataclass
class Assistance:
    suggestions: List[dict]
    next_question: Optional[dict]
    facts: Dict[str, Any]
    urgency: Optional[dict]
    lead_draft: Optional[dict]
    screening: Optional[dict] = field(default=None)

    def to_dict(self) -> dict:
        return {
            "suggestions": self.suggestions,
            "next_question": self.next_question,
            "facts": self.facts,
            "urgency": self.urgency,
            "lead_draft": self.lead_draft,
            "screening": self.screening,
        }


def _facts_for_people(household: Dict[str, Any]) -> Dict[str, Any]:
    size = household.get("size")
    return {label_for(name, size): value for name, value in household.items() if name != "members"}


def _next_question(household: Dict[str, Any], on: Optional[dt.date]) -> tuple:
    if "region" not in household:
        return {"field": "region", "text": prescreen.REGION_QUESTION}, None
    try:
        result = screen(Household(**household), on)
    except ValidationError:
        return None, None
    # The operator hears which standard the verdict rests on and, where it is inexact, how it depends on it.
    standard = {
        "standard_used": result.standard.in_words(result.date) if result.standard else None,
        "standard_ranges": result.standard_ranges.text if result.standard_ranges else None,
    }
    if result.decided:
        return None, {"primary": result.primary, "summary": result.summary, **standard}
    question = result.next_question
    return ({"field": question.field, "text": question.text} if question else None), {
        "primary": None,
        "summary": result.summary,
        **standard,
    }


def _depth(code: str) -> int:
    return LEVELS.index(place(code).level)


def _region(text: str, known: Optional[str], corrects: bool) -> Optional[str]:
    """The most specific place the caller names (广州越秀区的火车站 … 我是甘肃的 → 越秀区: the ticket goes
    where the matter is most precisely placed); a later place replaces it when as precise, or corrected."""
    named = [p.place.code for p in places_named(text)]
    if not named:
        return None
    best = max(named, key=_depth)  # the first of the deepest
    if known is None or corrects or _depth(best) >= _depth(known):
        return best
    return None


def caller_facts(state: Dict[str, Any], text: str) -> Dict[str, Any]:
    """Household facts in one caller line: what it states, a bare answer to what the operator just asked
    (三千块钱 after 您一个月挣多少钱), and a correction's value replacing the earlier one."""
    facts = facts_in(text)
    corrected = correction(text)
    if corrected:
        facts.update(corrected)
    for asked in state.get("asked", []):
        if asked in facts:
            continue
        answer = next((v for c in _CLAUSES.split(text) if c and (v := parse_answer(asked, c)) is not None), None)
        if isinstance(answer, (int, Decimal)) and not isinstance(answer, bool):  # not UNKNOWN (不知道)
            facts[asked] = answer
    facts.pop("region", None)
    region = _region(text, state["household"].get("region"), corrected is not None)
    if region:
        facts["region"] = region
    return facts


def hear(state: Dict[str, Any], speaker: str, text: str, on: Optional[dt.date] = None) -> tuple:
    """One utterance of the call → (new state, Assistance). Only the caller's words change the facts."""
    state = {**new_call(), **state, "household": dict(state["household"]), "topics": list(state["topics"])}
    state["said"] = list(state["said"])
    if speaker == "operator":
        state["asked"] = [name for name, pattern in _ASKED if pattern.search(text)]
    if speaker == "caller":
        state["caller_lines"] += 1
        merged = {"household": state["household"], "unknown": []}
        prescreen.merge_facts(merged, caller_facts(state, text))
        state["asked"] = []
        said = tickets.condensed(text)
        if said:
            state["said"].append(said)
        found = detect(text)
        if found and (state["urgency"] is None or more_severe(found.severity, state["urgency"]["severity"])):
            state["urgency"] = {
                "kind": found.kind,
                "severity": found.severity.value,
                "cause": found.cause.value,
                "reason": f"来电人说：“{mask_pii(found.matched)}”",
                "advice": found.advice,
                "utterance": mask_pii(text)[:500],
            }
    suggestions = []
    if speaker == "caller":
        for answer in default_desk().suggest(text, state["household"].get("region"), on, MAX_SUGGESTIONS):
            suggestions.append(
                {
                    "article": answer.article.id,
                    "title": answer.article.title,
                    "text": answer.text,
                    "citations": answer.citations,
                    "confidence": round(answer.score, 3),
                }
            )
        if (
            suggestions
            and suggestions[0]["article"] not in state["topics"]
            and suggestions[0]["confidence"] >= TOPIC_MIN_CONFIDENCE
        ):
            state["topics"].append(suggestions[0]["article"])
    question, screening = _next_question(state["household"], on)
    urgency = state["urgency"]
    return state, Assistance(
        suggestions,
        question,
        _facts_for_people(state["household"]),
        {k: urgency[k] for k in ("kind", "severity", "reason", "advice")} if urgency else None,
        lead_draft(state),
        screening,
    )


def detected(state: Dict[str, Any]) -> Optional[intake.Detected]:
    """The most severe emergency heard in the call so far, for the lead intake."""
    urgency = state["urgency"]
    return intake.Detected(urgency["kind"], Cause(urgency["cause"]), Severity(urgency["severity"])) if urgency else None


def lead_draft(state: Dict[str, Any]) -> Optional[dict]:
    """What the operator would file for this call: only once something urgent was heard."""
    urgency = state["urgency"]
    if not urgency:
        return None
    region = state["household"].get("region")
    return {
        "cause": urgency["cause"],
        "severity": urgency["severity"],
        "description": urgency["utterance"],
        "region": region if region and region.isascii() and region.isdigit() else None,
        "source_channel": intake.source_channel(intake.HOTLINE).value,
    }


def _household_in_words(household: Dict[str, Any]) -> List[str]:
    words = []
    if household.get("size"):
        words.append(f"家庭{household['size']}口人")
    if household.get("monthly_income") is not None:
        income = Decimal(str(household["monthly_income"]))
        words.append("每月无收入" if income == 0 else f"每月收入约{income.normalize():f}元")
    if household.get("region"):
        words.append(f"地区：{place(household['region']).name}")
    return words


def category(state: Dict[str, Any]) -> str:
    """The ticket category: 急难求助 / 投诉建议 / 转办 / 政策咨询-<topic> / 其他 (see bot.hotline.tickets)."""
    said = "；".join(state.get("said", []))
    if state["urgency"]:
        return tickets.EMERGENCY
    if tickets.complaint(said):
        return tickets.COMPLAINT
    if tickets.referral(said):
        return tickets.REFERRAL
    household = {k: v for k, v in state["household"].items() if k not in ("region", "members") and v is not None}
    if state["topics"]:
        return f"{tickets.POLICY}-{default_desk().articles[state['topics'][0]].title}"
    if household or tickets.ASSISTANCE_WORDS.search(said):
        return tickets.POLICY
    return tickets.OTHER


def summarise(state: Dict[str, Any]) -> Dict[str, str]:
    """The end of the call: a summary (what the caller asked and said, the household in words, the
    urgency) and a ticket category, both for the operator to edit."""
    desk = default_desk()
    said = "；".join(state.get("said", []))
    lines = []
    if state["urgency"]:
        severity = SEVERITY_NAMES[Severity(state["urgency"]["severity"])]
        lines.append(f"紧急情况（{severity}）：{state['urgency']['reason']}。")
    if state["topics"]:
        lines.append("咨询：" + "、".join(desk.articles[t].title for t in state["topics"]) + "。")
    department = tickets.referral(said)
    if department and not state["urgency"]:
        lines.append(f"建议转{department}办理。")
    household = _household_in_words(state["household"])
    if household:
        lines.append("家庭情况：" + "，".join(household) + "。")
    if said:
        text = said if len(said) <= tickets.MAX_SAID else said[: tickets.MAX_SAID - 1] + "…"
        lines.append(f"来电人反映：{text}。")
    if not lines:
        lines.append("来电未说明诉求。")
    return {"summary": "".join(lines), "category": category(state)}
