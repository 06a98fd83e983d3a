"""The one gate every stored value passes: text without poison, codes of ASCII digits, finite JSON.

An attacker's lone surrogate, NUL or NaN once stored broke every later read of the queue (500 for the
whole county, a CSV export that would not write). Refusing them here, with a clear 400, keeps them out of
the database; the API answers `InputRefused` like a pydantic error (`code` for programs, Chinese for people).
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from typing import Any, Optional

from pydantic.errors import PydanticValueError

MAX_JSON_DEPTH = 20  # screening answers are a flat form with a list of members: 20 is generous
MAX_JSON_CHARS = 20_000
MAX_TEXT = 2000  # free text (descriptions, notes, outcomes) that has no narrower column
INT4_MAX = 2**31 - 1  # ids are INTEGER on PostgreSQL; a larger one is no id of ours

# C0 controls except tab and newline, DEL and the C1 controls; lone surrogates (not encodable as UTF-8).
_FORBIDDEN = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_CODE_DIGITS = re.compile(r"[0-9]+")
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_BRACKETS = re.compile(r"[\[\]{}]")


class InputRefused(PydanticValueError):
    """A value that must not be stored. `code` becomes pydantic's `value_error.input.<reason>`."""

    code = "input"
    msg_template = "{reason}"

    def __init__(self, reason: str, message_zh: str, **ctx: Any) -> None:
        super().__init__(reason=reason, message_zh=message_zh, **ctx)
        self.reason = reason
        self.message_zh = message_zh


def clean_text(value: Any, *, max_length: int = MAX_TEXT, strip: bool = True) -> str:
    """A string fit to store: line ends made \\n, no control character or lone surrogate, not too long."""
    if not isinstance(value, str):
        raise InputRefused("must be a string", "应为文字")
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    bad = _FORBIDDEN.search(value)
    if bad:
        raise InputRefused(
            f"contains the forbidden character U+{ord(bad.group()):04X}", "含有不允许的控制字符或无效字符"
        )
    if strip:
        value = value.strip()
    if len(value) > max_length:
        raise InputRefused(f"longer than {max_length} characters", f"太长（最多 {max_length} 个字）")
    return value


def clean_code(value: Any, *, min_digits: int, max_digits: int, last_may_be_x: bool = False) -> str:
    """An administrative code, ID or phone written with any width of digits, as ASCII digits only.

    NFKC turns full-width ０-９ into 0-9; anything else that Python's `\\d` would accept (Arabic-Indic,
    Devanagari …) and a trailing newline are refused.
    """
    text = clean_text(value, max_length=64, strip=False)  # "220104\n" is refused, not repaired
    text = unicodedata.normalize("NFKC", text)
    body, last = (text[:-1], text[-1:].upper()) if last_may_be_x and text[-1:] in ("X", "x") else (text, "")
    if not _CODE_DIGITS.fullmatch(body or "x") or not min_digits <= len(body + last) <= max_digits:
        raise InputRefused(f"must be {min_digits}-{max_digits} digits 0-9", f"应为 {min_digits}–{max_digits} 位数字")
    return body + last


def clean_json(value: Any, *, max_depth: int = MAX_JSON_DEPTH, max_chars: int = MAX_JSON_CHARS) -> Any:
    """A JSON value fit to store: finite numbers, clean strings and keys, bounded depth and size."""

    def walk(node: Any, depth: int) -> Any:
        if depth > max_depth:
            raise InputRefused(f"nested deeper than {max_depth} levels", f"嵌套层数过多（最多 {max_depth} 层）")
        if isinstance(node, dict):
            return {clean_text(k, max_length=200, strip=False): walk(v, depth + 1) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v, depth + 1) for v in node]
        if isinstance(node, str):
            return clean_text(node, strip=False)
        if isinstance(node, float) and not math.isfinite(node):
            raise InputRefused("numbers must be finite (no NaN or Infinity)", "数字应为有限值（不能是 NaN 或无穷大）")
        if isinstance(node, int) and not isinstance(node, bool) and abs(node) > 2**53:
            raise InputRefused("integer out of range", "数字超出范围")
        if node is None or isinstance(node, (bool, int, float)):
            return node
        raise InputRefused(f"{type(node).__name__} is not JSON", "应为 JSON 数据")

    cleaned = walk(value, 1)
    if len(json.dumps(cleaned, ensure_ascii=False)) > max_chars:
        raise InputRefused(f"longer than {max_chars} characters as JSON", "内容太长")
    return cleaned


def _refuse_constant(name: str):
    raise InputRefused(f"{name} is not a number JSON allows", "数字应为有限值（不能是 NaN 或无穷大）")


def parse_json(text: str) -> Any:
    """Strict JSON for request bodies: no NaN/Infinity, bounded nesting (a deep body must not recurse us
    into a 500). Raises InputRefused or ValueError."""
    depth = 0
    for bracket in _BRACKETS.finditer(_JSON_STRING.sub('""', text)):  # counted before the parser recurses
        depth += 1 if bracket.group() in "[{" else -1
        if depth > MAX_JSON_DEPTH + 1:
            raise InputRefused(
                f"nested deeper than {MAX_JSON_DEPTH} levels", f"嵌套层数过多（最多 {MAX_JSON_DEPTH} 层）"
            )
    return json.loads(text, parse_constant=_refuse_constant)


def parse_id(value: Any) -> Optional[int]:
    """A row id from a path or a body: a positive integer that fits the column, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        if not _CODE_DIGITS.fullmatch(value) or len(value) > 10:
            return None
        value = int(value)
    if not isinstance(value, int) or not 1 <= value <= INT4_MAX:
        return None
    return value
