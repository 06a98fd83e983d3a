"""Masking of personal data (ID numbers, phone numbers) before text reaches a log or a record
that does not need it in full."""

from __future__ import annotations

import re
from typing import Optional

# 18-digit resident ID (last character may be X) and 15-digit legacy ID.
_ID_NUMBER = re.compile(r"(?<![0-9])(\d{6})\d{8,11}([0-9Xx])(?![0-9])")
# Mainland mobile numbers, optionally written with +86 / spaces / dashes.
_MOBILE = re.compile(r"(?<![0-9])((?:\+?86[- ]?)?1[3-9]\d)[- ]?\d{4}[- ]?(\d{4})(?![0-9])")
# Landlines: area code 0xx(x) then 7–8 digits.
_LANDLINE = re.compile(r"(?<![0-9])(0\d{2,3})[- ]?\d{3,4}(\d{4})(?![0-9])")


def find_phone(text: str) -> Optional[str]:
    """The first phone number in the text, digits only (a mobile without its +86)."""
    mobile = _MOBILE.search(text)
    if mobile:
        return re.sub(r"\D", "", mobile.group(0))[-11:]
    landline = _LANDLINE.search(text)
    return re.sub(r"\D", "", landline.group(0)) if landline else None


def mask_pii(text: str) -> str:
    """Keep enough of each number to recognise it, hide the rest."""
    text = _ID_NUMBER.sub(lambda m: f"{m.group(1)}********{m.group(2)}", text)
    text = _MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(2)}", text)
    text = _LANDLINE.sub(lambda m: f"{m.group(1)}-****{m.group(2)}", text)
    return text
