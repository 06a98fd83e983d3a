"""Emergencies in any message: what kind, how severe, and what the person should do right now.

The patterns and the advice live in knowledge/rules/emergency.yaml (read and validated by
bot.knowledge.rules); this module only applies them.
Right both ways: a real emergency anywhere gets what to do now first, and an everyday mention of an
illness of years, a past event, or a question about what would happen “if” is not one (a false lead
sends a township worker to a household that is fine).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import List, Optional

from bot.knowledge.rules import emergency_examples, emergency_rules
from bot.leads.model import Cause, Severity


@dataclass(frozen=True)
class EmergencyKind:
    name: str
    severity: Severity
    cause: Cause
    always: bool  # no word of a present situation needed
    timeless: bool  # a past or hypothetical marker does not cancel it (self-harm, violence)
    pattern: re.Pattern
    events: Optional[re.Pattern]  # matched without a situation word
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

    def to_dict(self) -> dict:
        return {"kind": self.kind, "severity": self.severity.value, "cause": self.cause.value, "matched": self.matched}


@dataclass(frozen=True)
class _Rules:
    kinds: List[EmergencyKind]
    situation: re.Pattern
    now: re.Pattern
    not_now: re.Pattern
    relief: str
    citations: List[str]
    generic_first: str


def _one_line(text: str) -> str:
    return " ".join(text.split())


@lru_cache(maxsize=1)
def _rules() -> _Rules:
    raw = emergency_rules()
    kinds = [
        EmergencyKind(
            name,
            Severity(k.severity),
            Cause(k.cause),
            k.always,
            k.timeless,
            re.compile("|".join(f"(?:{p})" for p in k.patterns)),
            re.compile("|".join(f"(?:{p})" for p in k.events)) if k.events else None,
            _one_line(k.first),
        )
        for name, k in raw.kinds.items()
    ]
    return _Rules(
        kinds,
        re.compile(raw.situation),
        re.compile(raw.now),
        re.compile(raw.not_now),
        _one_line(raw.relief),
        list(raw.relief_citations),
        _one_line(raw.generic_first),
    )


def _advice(first: str) -> str:
    rules = _rules()
    return f"{first}\n{rules.relief}\n依据：{'；'.join(rules.citations)}"


def relief_advice() -> str:
    """临时救助 after an emergency (“火灭了 以后找谁”): where to turn, with its sources."""
    rules = _rules()
    return f"{rules.relief}\n依据：{'；'.join(rules.citations)}"


def generic_advice() -> str:
    """For a message the classifier called an emergency though no rule names its kind."""
    return _advice(_rules().generic_first)


def _kind(name: str) -> Optional[EmergencyKind]:
    return next((k for k in _rules().kinds if k.name == name), None)


def from_dict(data: dict) -> Optional[Emergency]:
    """An emergency detected elsewhere in this turn (the NLU component), without detecting it again."""
    kind = _kind(str(data.get("kind")))
    if kind is None:
        return None
    return Emergency(kind.name, kind.severity, kind.cause, _advice(kind.first), str(data.get("matched") or ""))


@lru_cache(maxsize=1)
def _learned():
    """Trained once per process from knowledge/rules/emergency_examples.yaml (about 0.3 s)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    examples = emergency_examples()
    model = make_pipeline(
        TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True),
        LogisticRegression(C=4.0, class_weight="balanced", max_iter=2000, random_state=0),
    )
    model.fit([e.text for e in examples], [int(e.emergency) for e in examples])
    return model


def likelihood(text: str) -> float:
    """How likely the learned detector thinks `text` describes an emergency (0–1)."""
    return float(_learned().predict_proba([text])[0][1]) if text.strip() else 0.0


def likely(text: str) -> bool:
    """The learned detector finds an emergency in a message outside any prompt (see emergency.yaml)."""
    return likelihood(text) >= emergency_rules().learned["free"]


def _not_now(text: str, rules: _Rules) -> bool:
    """Told as past, chronic or hypothetical, with nothing saying it is happening now."""
    return bool(rules.not_now.search(text)) and not rules.now.search(text)


def detect(text: str) -> Optional[Emergency]:
    """The most urgent emergency the message describes, or None."""
    rules = _rules()
    for kind in rules.kinds:
        event = kind.events.search(text) if kind.events else None
        match = event or kind.pattern.search(text)
        if not match:
            continue
        if not (event or kind.always or rules.situation.search(text)):
            continue
        if not kind.timeless and _not_now(text, rules):
            continue
        return Emergency(kind.name, kind.severity, kind.cause, _advice(kind.first), match.group(0))
    return None
