"""The parameter catalogue, knowledge/parameters.yaml: the names a region file may set, each with its
kind, unit, Chinese label and description (the metadata; the values live in knowledge/regions/)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Dict, Literal, Optional, Tuple

from pydantic import BaseModel, condecimal, conint, constr

from bot.knowledge.files import KNOWLEDGE_DIR, validated

CATALOGUE_FILE = KNOWLEDGE_DIR / "parameters.yaml"
Kind = Literal["amount", "ratio", "multiplier", "age", "count", "day", "flag"]


@dataclass(frozen=True)
class ParameterSpec:
    kind: str  # amount | ratio | multiplier | age | count | day | flag
    unit: str
    label: str  # Chinese, as shown to people
    description: str = ""
    sourced: bool = False  # values are published figures: each needs its grade and quote, never an example
    stale_after_months: Optional[int] = None  # a value older than this is likely superseded
    plausible: Optional[Tuple[Decimal, Decimal]] = None  # what staff may enter (catches typing slips)


class _Entry(BaseModel):
    kind: Kind
    unit: constr(strip_whitespace=True)
    label: constr(strip_whitespace=True, min_length=1)
    description: constr(strip_whitespace=True, min_length=1)
    sourced: bool = False
    stale_after_months: Optional[conint(gt=0)] = None
    plausible: Optional[Tuple[condecimal(gt=0), condecimal(gt=0)]] = None

    class Config:
        extra = "forbid"


def load_catalogue() -> Dict[str, ParameterSpec]:
    entries = validated(CATALOGUE_FILE, Dict[constr(regex=r"^[a-z][a-z0-9_]*\Z"), _Entry])
    return {
        name: ParameterSpec(e.kind, e.unit, e.label, e.description, e.sourced, e.stale_after_months, e.plausible)
        for name, e in entries.items()
    }


# Read once at import, as the Python table it replaces was: every region file and article is checked
# against it.
CATALOGUE: Dict[str, ParameterSpec] = load_catalogue()
