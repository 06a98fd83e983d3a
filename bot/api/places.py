"""Region names beside codes, for people: 220104 → 吉林省长春市朝阳区 (bot/places holds every place)."""

from __future__ import annotations

from functools import lru_cache
from typing import Optional

from bot.leads.intake import UNKNOWN_REGION
from bot.places import place

UNKNOWN_NAME = "地区未知（待管理员分派）"


@lru_cache(maxsize=4096)
def region_name(code: Optional[str]) -> str:
    """The full name of the most precise place a code names; a township code (9 or 12 digits) names its
    county, as bot/places stops there. Empty for no code or one no place has."""
    if not code:
        return ""
    if code == UNKNOWN_REGION:
        return UNKNOWN_NAME
    if not (code.isascii() and code.isdigit()):
        return ""
    for digits in (6, 4, 2):
        found = place(code[:digits].ljust(6, "0")) if len(code) >= digits else None
        if found is not None:
            return found.name
    return ""


def region_label(code: Optional[str]) -> str:
    """Name and code together, as staff read them: 吉林省长春市朝阳区（220104）."""
    name = region_name(code)
    if not name or code == UNKNOWN_REGION:
        return name or code or ""
    return f"{name} 乡镇（街道）{code}" if len(code) > 6 else f"{name}（{code}）"
