"""Turning pydantic validation errors into messages for people (Chinese) and programs (field path)."""

from __future__ import annotations

from typing import Dict, List

from pydantic import ValidationError

_ZH = {
    "value_error.missing": "必须填写",
    "value_error.extra": "不认识这个字段",
    "type_error.integer": "应为整数",
    "type_error.bool": "应为“是”或“否”（true/false）",
    "type_error.decimal": "应为数字",
    "type_error.none.not_allowed": "不能为空",
    "type_error.enum": "不是可选的值之一",
    "type_error.list": "应为列表",
    "type_error.dict": "应为对象",
    "type_error.str": "应为文字",
    "type_error.date": "应为日期（YYYY-MM-DD）",
    "value_error.date": "应为日期（YYYY-MM-DD）",
    "value_error.number.not_ge": "不能小于允许的最小值",
    "value_error.number.not_le": "不能大于允许的最大值",
    "value_error.decimal.not_finite": "应为有限的数字",
    "value_error.decimal.max_digits": "数字位数过多",
    "value_error.decimal.max_places": "小数位数过多（最多两位）",
    "value_error.any_str.min_length": "太短",
    "value_error.any_str.max_length": "太长",
    "value_error.list.max_items": "条目太多",
}


def field_path(loc) -> str:
    path = ""
    for part in loc:
        if part == "__root__":
            continue
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(body)"


def describe(error: ValidationError) -> List[Dict[str, str]]:
    """One entry per problem: `field` (e.g. members[0].age), `message` (English), `message_zh`."""
    return [
        {
            "field": field_path(item["loc"]),
            "message": item["msg"],
            "message_zh": (item.get("ctx", {}).get("message_zh") or _ZH.get(item["type"], "填写有误"))
            + f"（{field_path(item['loc'])}）",
        }
        for item in error.errors()
    ]
