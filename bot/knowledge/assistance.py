"""knowledge/assistance/*.yaml, validated: the 专项救助 a household may seek by layer, and the 临时救助
types by emergency kind (ELIGIBILITY.md §4–§5)."""

from __future__ import annotations

from functools import lru_cache
from typing import List, Tuple

from pydantic import BaseModel, conlist, constr

from bot.knowledge.files import KNOWLEDGE_DIR, KnowledgeFileError, validated

ASSISTANCE_DIR = KNOWLEDGE_DIR / "assistance"
Text = constr(strip_whitespace=True, min_length=1)
Id = constr(regex=r"^[a-z][a-z0-9_]*\Z")
# The layers a household may fall in (bot/eligibility/engine.py), and `none` for any household.
LAYERS = ("tekun", "dibao", "near_dibao", "rigid_expense", "none")


class _Item(BaseModel):
    id: Id
    name: Text
    note: Text
    citations: conlist(Text, min_items=1)

    class Config:
        extra = "forbid"
        allow_mutation = False


class Specialised(_Item):
    department: Text
    layers: conlist(Text, min_items=1)


class Temporary(_Item):
    kinds: conlist(Text, min_items=1)
    advance_relief: bool


def _unique(file: str, items) -> None:
    seen = set()
    for i, item in enumerate(items):
        if item.id in seen:
            raise KnowledgeFileError(file, f"{i}.id", f"duplicate id {item.id!r}")
        seen.add(item.id)


@lru_cache(maxsize=1)
def catalogues() -> Tuple[Tuple[Specialised, ...], Tuple[Temporary, ...]]:
    """(专项救助, 临时救助 types), in file order."""
    from bot.eligibility.inputs import EmergencyKind

    kinds = {k.value for k in EmergencyKind}
    specialised: List[Specialised] = validated(ASSISTANCE_DIR / "specialised.yaml", List[Specialised])
    temporary: List[Temporary] = validated(ASSISTANCE_DIR / "temporary.yaml", List[Temporary])
    _unique("specialised.yaml", specialised)
    _unique("temporary.yaml", temporary)
    for i, item in enumerate(specialised):
        for layer in item.layers:
            if layer not in LAYERS:
                raise KnowledgeFileError("specialised.yaml", f"{i}.layers", f"unknown layer {layer!r}")
    for i, item in enumerate(temporary):
        for kind in item.kinds:
            if kind not in kinds:
                raise KnowledgeFileError("temporary.yaml", f"{i}.kinds", f"unknown emergency kind {kind!r}")
    return tuple(specialised), tuple(temporary)
