"""Emergencies in any message: what kind, how severe, and what the person should do right now.

The patterns and the advice live in knowledge/rules/emergency.yaml (read and validated by
bot.knowledge.rules); this module only applies them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import List, Optional, Tuple

from bot.knowledge.rules import emergency_rules
from bot.leads.model import Cause, Severity


@dataclass(frozen=True)
class EmergencyKind:
    name: str
    severity: Severity
    cause: Cause
    always: bool
    pattern: re.Pattern
    first: str


@dataclass(frozen=True)
class Emergency:
    kind: str
    severity: Severity
    cause: Cause
    advice: str  # what to do now, then 临时救助, then the source line
    matched: str

    @property
    def self_harm(self) -> bool:
        return self.kind == "self_harm"


@lru_cache(maxsize=1)
def _rules() -> Tuple[List[EmergencyKind], re.Pattern, str, List[str], str]:
    raw = emergency_rules()
    kinds = [
        EmergencyKind(
            name,
            Severity(k.severity),
            Cause(k.cause),
            k.always,
            re.compile("|".join(f"(?:{p})" for p in k.patterns)),
            " ".join(k.first.split()),
        )
        for name, k in raw.kinds.items()
    ]
    return (
        kinds,
        re.compile(raw.situation),
        " ".join(raw.relief.split()),
        list(raw.relief_citations),
        " ".join(raw.generic_first.split()),
    )


def _advice(first: str) -> str:
    _, _, relief, citations, _ = _rules()
    return f"{first}\n{relief}\n依据：{'；'.join(citations)}"


def generic_advice() -> str:
    """For a message the classifier called an emergency though no rule names its kind."""
    return _advice(_rules()[4])


def detect(text: str) -> Optional[Emergency]:
    """The most urgent emergency the message describes, or None."""
    kinds, situation, _, _, _ = _rules()
    for kind in kinds:
        match = kind.pattern.search(text)
        if match and (kind.always or situation.search(text)):
            return Emergency(kind.name, kind.severity, kind.cause, _advice(kind.first), match.group(0))
    return None
