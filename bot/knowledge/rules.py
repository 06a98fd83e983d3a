"""knowledge/rules/*.yaml, validated: the queue's due times, the emergency patterns and advice, which
disabilities count, and the clauses each pre-screen rule rests on.

Names checked against the core's enums (severity, cause, disability kind) are imported when a file is
read, not at import: the domain packages import this module, and it must not import them back first.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Dict, List, Literal, Optional, Tuple

from pydantic import BaseModel, confloat, conint, conlist, constr, validator

from bot.knowledge.files import KNOWLEDGE_DIR, KnowledgeFileError, validated

RULES_DIR = KNOWLEDGE_DIR / "rules"
Text = constr(strip_whitespace=True, min_length=1)
# The pre-screen's rules (bot/eligibility/engine.py), each of which must cite its clauses.
ELIGIBILITY_RULES = ("tekun", "dibao", "near_dibao", "rigid_expense", "individual_dibao", "priority_allowance")


class _Strict(BaseModel):
    class Config:
        extra = "forbid"


def _check_names(file: str, key: str, names, enum_cls) -> None:
    known = {member.value for member in enum_cls}
    for name in names:
        if name not in known:
            raise KnowledgeFileError(file, f"{key}.{name}", f"unknown name (known: {', '.join(sorted(known))})")


# --- queue.yaml ------------------------------------------------------------------------------------
class _DueHours(_Strict):
    value: conint(gt=0)
    source: Text
    example: bool = False


class _StepHours(_Strict):
    value: conint(gt=0)
    clock: Literal["wall", "business"]


class EscalationStep(_Strict):
    until: Literal["claimed", "visiting"]
    hours: Dict[str, _StepHours]
    source: Text
    example: bool = False


class BusinessHours(_Strict):
    timezone: Text
    weekdays: conlist(conint(ge=1, le=7), min_items=1)
    start: constr(regex=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    end: constr(regex=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    source: Text
    example: bool = False

    @validator("end")
    def _after_start(cls, value: str, values) -> str:
        if "start" in values and value <= values["start"]:
            raise ValueError("end must be after start")
        return value


class _Queue(_Strict):
    due_hours: Dict[str, _DueHours]
    escalation: Dict[str, EscalationStep] = {}
    business_hours: Optional[BusinessHours] = None


@lru_cache(maxsize=1)
def due_hours() -> Dict[str, int]:
    """Severity name → hours staff have to act on a lead; every severity has one."""
    from bot.leads.model import Severity

    path = RULES_DIR / "queue.yaml"
    rules = validated(path, _Queue).due_hours
    _check_names(path.name, "due_hours", rules, Severity)
    missing = {s.value for s in Severity} - set(rules)
    if missing:
        raise KnowledgeFileError(path.name, "due_hours", f"no due time for {sorted(missing)}")
    return {name: entry.value for name, entry in rules.items()}


@lru_cache(maxsize=1)
def escalation() -> Tuple[Dict[str, EscalationStep], Optional[BusinessHours]]:
    """Escalation steps by name (each with hours for every severity) and the business hours a
    `business` clock counts. A life-threatening lead's clock never pauses: `business` is refused for it."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from bot.leads.model import Severity

    path = RULES_DIR / "queue.yaml"
    queue = validated(path, _Queue)
    for name, step in queue.escalation.items():
        key = f"escalation.{name}.hours"
        _check_names(path.name, key, step.hours, Severity)
        missing = {s.value for s in Severity} - set(step.hours)
        if missing:
            raise KnowledgeFileError(path.name, key, f"no hours for {sorted(missing)}")
        if step.hours[Severity.life_threatening.value].clock != "wall":
            raise KnowledgeFileError(path.name, f"{key}.life_threatening", "a life-threatening lead's clock is wall")
        if queue.business_hours is None and any(h.clock == "business" for h in step.hours.values()):
            raise KnowledgeFileError(path.name, key, "a business clock needs business_hours")
    if queue.business_hours is not None:
        try:
            ZoneInfo(queue.business_hours.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise KnowledgeFileError(path.name, "business_hours.timezone", "unknown time zone") from None
    return dict(queue.escalation), queue.business_hours


# --- emergency.yaml --------------------------------------------------------------------------------
def _compiles(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as error:
        raise ValueError(f"not a valid regular expression: {error}") from None
    return pattern


class EmergencyKindRule(_Strict):
    severity: Text
    cause: Text
    always: bool = False
    timeless: bool = False  # a past or hypothetical marker does not cancel it
    patterns: conlist(Text, min_items=1)
    events: List[Text] = []  # patterns that need no situation word even when `always` is false
    first: Text

    _patterns_compile = validator("patterns", "events", each_item=True, allow_reuse=True)(_compiles)


class EmergencyRules(_Strict):
    relief: Text
    generic_first: Text
    relief_citations: conlist(Text, min_items=1)
    situation: Text
    now: Text
    not_now: Text
    # The learned detector's thresholds (probability an emergency): outside any prompt, and inside one.
    learned: Dict[Literal["free"], confloat(gt=0, lt=1)]
    kinds: Dict[str, EmergencyKindRule]

    _patterns_compile = validator("situation", "now", "not_now", allow_reuse=True)(_compiles)


@lru_cache(maxsize=1)
def emergency_rules() -> EmergencyRules:
    from bot.leads.model import Cause, Severity

    path = RULES_DIR / "emergency.yaml"
    rules = validated(path, EmergencyRules)
    if not rules.kinds:
        raise KnowledgeFileError(path.name, "kinds", "at least one kind of emergency")
    for name, kind in rules.kinds.items():
        _check_names(path.name, f"kinds.{name}.severity", [kind.severity], Severity)
        _check_names(path.name, f"kinds.{name}.cause", [kind.cause], Cause)
    return rules


# --- emergency_examples.yaml -----------------------------------------------------------------------
class EmergencyExample(_Strict):
    text: constr(strip_whitespace=True, min_length=1, max_length=500)
    emergency: bool
    kind: Optional[Text] = None
    context: Literal["free", "in_form"] = "free"


class EmergencyExamples(_Strict):
    messages: conlist(EmergencyExample, min_items=20)


@lru_cache(maxsize=1)
def emergency_examples() -> List[EmergencyExample]:
    path = RULES_DIR / "emergency_examples.yaml"
    examples = validated(path, EmergencyExamples).messages
    if len({e.emergency for e in examples}) < 2:
        raise KnowledgeFileError(path.name, "messages", "both emergencies and non-emergencies are needed")
    return examples


# --- disability.yaml -------------------------------------------------------------------------------
class _Disability(_Strict):
    source: Text
    worst_grade: Dict[str, conint(ge=1, le=4)]


@lru_cache(maxsize=1)
def disability_rules() -> Dict[str, Dict[str, int]]:
    """Rule name → disability kind → the worst (highest-numbered) grade that still counts."""
    from bot.eligibility.inputs import DisabilityKind

    path = RULES_DIR / "disability.yaml"
    rules = validated(path, Dict[str, _Disability])
    for name, rule in rules.items():
        _check_names(path.name, f"{name}.worst_grade", rule.worst_grade, DisabilityKind)
    return {name: dict(rule.worst_grade) for name, rule in rules.items()}


# --- eligibility.yaml ------------------------------------------------------------------------------
class _Citations(_Strict):
    rule: Text
    citations: conlist(Text, min_items=1)


@lru_cache(maxsize=1)
def eligibility_citations() -> Dict[str, Tuple[str, ...]]:
    """Pre-screen rule → the clauses it rests on, cited in every finding of that rule."""
    path = RULES_DIR / "eligibility.yaml"
    rules = validated(path, Dict[str, _Citations])
    for name in ELIGIBILITY_RULES:
        if name not in rules:
            raise KnowledgeFileError(path.name, name, "the rule has no citations")
    unknown: List[str] = sorted(set(rules) - set(ELIGIBILITY_RULES))
    if unknown:
        raise KnowledgeFileError(
            path.name, unknown[0], f"not a pre-screen rule (known: {', '.join(ELIGIBILITY_RULES)})"
        )
    return {name: tuple(rule.citations) for name, rule in rules.items()}
