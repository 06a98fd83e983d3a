"""Hotline operator assist: what the assistant suggests while a 12345 operator talks to a caller.

Channel-free and storage-free: a call's state is a JSON-able dict; `hear` takes one utterance and
returns the state and the assistance for it. The same policy search, fact extraction, pre-screen
questions and emergency rules as the resident's chat — no second copy of any of them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from pydantic import ValidationError

from bot.conversation import prescreen
from bot.conversation.emergency import detect
from bot.conversation.facts import facts_in
from bot.eligibility import Household, screen
from bot.eligibility.questions import label_for
from bot.leads import intake
from bot.leads.model import Cause, Severity, more_severe
from bot.policies import default_desk
from bot.privacy import mask_pii

MAX_SUGGESTIONS = 3
# A caller's line counts as a topic of the call (for the summary) only on a clear match.
TOPIC_MIN_CONFIDENCE = 0.3
# Ticket categories of the 12345 work order the summary suggests (the operator can change it).
CATEGORY_EMERGENCY = "社会救助-急难求助"
CATEGORY_SCREENING = "社会救助-低保等救助申请咨询"
CATEGORY_POLICY = "社会救助-政策咨询"


def new_call() -> Dict[str, Any]:
    return {"household": prescreen.new_state()["household"], "urgency": None, "topics": [], "caller_lines": 0}


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
    if result.decided:
        return None, {"primary": result.primary, "summary": result.summary}
    question = result.next_question
    return ({"field": question.field, "text": question.text} if question else None), {
        "primary": None,
        "summary": result.summary,
    }


def hear(state: Dict[str, Any], speaker: str, text: str, on: Optional[dt.date] = None) -> tuple:
    """One utterance of the call → (new state, Assistance). Only the caller's words change the facts."""
    state = {**state, "household": dict(state["household"]), "topics": list(state["topics"])}
    if speaker == "caller":
        state["caller_lines"] += 1
        merged = {"household": state["household"], "unknown": []}
        prescreen.merge_facts(merged, facts_in(text))
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


def summarise(state: Dict[str, Any]) -> Dict[str, str]:
    """The end of the call: a summary and a ticket category, both for the operator to edit."""
    desk = default_desk()
    lines = []
    if state["urgency"]:
        lines.append(f"紧急情况：{state['urgency']['reason']}（{state['urgency']['severity']}）。")
    if state["topics"]:
        lines.append("咨询内容：" + "、".join(desk.articles[t].title for t in state["topics"]) + "。")
    facts = _facts_for_people(state["household"])
    if facts:
        lines.append("来电人提供的情况：" + "；".join(f"{k}：{v}" for k, v in facts.items()) + "。")
    if not lines:
        lines.append("来电咨询社会救助相关问题。")
    category = CATEGORY_EMERGENCY if state["urgency"] else CATEGORY_SCREENING if facts else CATEGORY_POLICY
    return {"summary": "".join(lines), "category": category}
