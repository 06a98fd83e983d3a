"""Masking of personal data (ID numbers, phone numbers) before text reaches a log or a record
that does not need it in full. `mask_pii` is the one function for both.

Numbers are found however they are written: ASCII or full-width digits, Chinese numerals read out digit
by digit (一三九一二三四五六七八, 幺 for 1), and groups split by spaces, dashes or dots (139.1234.5678,
110101 19900307 4518). Matching runs on a copy with each such character mapped one-to-one to ASCII, so
the spans found are the spans of the original text, which keeps its own characters around the mask.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
from typing import Any, Optional

_DIGIT_LIKE = str.maketrans(
    {
        **{chr(0xFF10 + n): str(n) for n in range(10)},  # full-width ０-９
        **dict(zip("〇零一二三四五六七八九", "00123456789", strict=True)),
        "幺": "1",
        "Ｘ": "X",
        "ｘ": "x",
        "＋": "+",
        "－": "-",
        "．": ".",
        "\u3000": " ",
    }
)
_SEP = r"[ \-.]?"  # at most one separator between digits

# 18-character resident ID (last may be X) and 15-digit legacy ID.
_ID_NUMBER = re.compile(rf"(?<![0-9])((?:[0-9]{_SEP}){{5}}[0-9])(?:{_SEP}[0-9]){{8,11}}{_SEP}([0-9Xx])(?![0-9])")
# Mainland mobile numbers, optionally with +86.
_MOBILE = re.compile(
    rf"(?<![0-9])((?:\+?86{_SEP})?1{_SEP}[3-9]{_SEP}[0-9]){_SEP}(?:[0-9]{_SEP}){{3}}[0-9]{_SEP}"
    rf"((?:[0-9]{_SEP}){{3}}[0-9])(?![0-9])"
)
# Landlines: area code 0xx(x) then 7–8 digits.
_LANDLINE = re.compile(rf"(?<![0-9])(0[0-9]{{2,3}}){_SEP}(?:[0-9]{_SEP}){{3,4}}((?:[0-9]{_SEP}){{3}}[0-9])(?![0-9])")


def _digits(text: str) -> str:
    return re.sub(r"[^0-9]", "", text)


def find_phone(text: str) -> Optional[str]:
    """The first phone number in the text, digits only (a mobile without its +86)."""
    seen = _mask(_ID_NUMBER, text, "********").translate(_DIGIT_LIKE)  # an ID's digits are no phone
    mobile = _MOBILE.search(seen)
    if mobile:
        return _digits(mobile.group(0))[-11:]
    landline = _LANDLINE.search(seen)
    return _digits(landline.group(0)) if landline else None


def _mask(pattern: re.Pattern, text: str, joiner: str) -> str:
    """Keep each match's first and last groups as the original wrote them, hide what lies between."""
    seen = text.translate(_DIGIT_LIKE)
    out, last = [], 0
    for match in pattern.finditer(seen):
        out.append(text[last : match.start()])
        out.append(text[match.start(1) : match.end(1)] + joiner + text[match.start(2) : match.end(2)])
        last = match.end()
    out.append(text[last:])
    return "".join(out)


def mask_pii(text: str) -> str:
    """Keep enough of each number to recognise it, hide the rest."""
    text = _mask(_ID_NUMBER, text, "********")
    text = _mask(_MOBILE, text, "****")
    return _mask(_LANDLINE, text, "-****")


SEALED = "sealed:v1:"  # a value only the product's own secret opens; masking leaves it whole


_FERNET_TOKEN = re.compile(r"gAAAAA[A-Za-z0-9_-]{80,}={0,2}\Z")  # base64 of version byte 0x80 and a timestamp


def is_sealed(value: Any) -> bool:
    """Shaped as `Sealer.seal` makes them (a resident's text that merely starts with the prefix is not)."""
    return isinstance(value, str) and value.startswith(SEALED) and bool(_FERNET_TOKEN.match(value[len(SEALED) :]))


class Sealer:
    """Seals a value the conversation must carry between turns but the tracker must not show (the
    phone given for a lead not filed yet): authenticated encryption (Fernet) under a key derived
    from the product's secret, so a stolen tracker row or a tracker API answer holds no number."""

    def __init__(self, secret: bytes) -> None:
        from cryptography.fernet import Fernet

        key = base64.urlsafe_b64encode(hashlib.sha256(b"jiuzhu conversation seal\0" + secret).digest())
        self._fernet = Fernet(key)

    def seal(self, text: str) -> str:
        return SEALED + self._fernet.encrypt(text.encode("utf-8")).decode("ascii")

    def unseal(self, value: Any) -> Any:
        """The value sealed; anything not sealed as it is; None for a seal this secret did not make
        (or any other text behind the prefix: it is never taken for the value itself)."""
        from cryptography.fernet import InvalidToken

        if not (isinstance(value, str) and value.startswith(SEALED)):
            return value
        try:
            return self._fernet.decrypt(value[len(SEALED) :].encode("ascii")).decode("utf-8")
        except (InvalidToken, ValueError):
            return None


def mask_stored(value: Any) -> Any:
    """Every string in a JSON value masked (`mask_pii`) but sealed values and ids (keys `id` and
    `…_id`: message ids are idempotency keys, and two masked alike would be one lead): what a stored
    conversation event may keep."""
    if isinstance(value, str):
        return value if is_sealed(value) else mask_pii(value)
    if isinstance(value, dict):
        return {
            key: item if key == "id" or str(key).endswith("_id") else mask_stored(item) for key, item in value.items()
        }
    if isinstance(value, list):
        return [mask_stored(item) for item in value]
    return value


class MaskingFilter(logging.Filter):
    """On a handler: every record it writes, message and traceback, passes `mask_pii` first (an
    exception's text may quote what a resident typed)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = mask_pii(record.getMessage()), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_pii(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_pii(record.stack_info)
        return True


def mask_logs(logger: Optional[logging.Logger] = None) -> None:
    """Put the masking filter on every handler of the logger (the root by default)."""
    for handler in (logger or logging.getLogger()).handlers:
        if not any(isinstance(f, MaskingFilter) for f in handler.filters):
            handler.addFilter(MaskingFilter())
