"""The README's region table: per region with a standard of its own, the value in force and its source
(`python -m bot standards-table` prints it; tests/standards/test_table.py keeps the README equal to it)."""

from __future__ import annotations

import datetime as dt
from typing import List, Optional

from bot.eligibility.parameters import ParameterValue, RegionBook

BASIS = {"standard": "", "floor": "不低于", "average": "平均"}


def _cell(value: Optional[ParameterValue]) -> str:
    if value is None:
        return "—"
    return f"{BASIS[value.basis]}{value.value.normalize():f}（{value.since:%Y-%m}起，{value.grade}）"


def region_table(book: RegionBook, on: dt.date) -> str:
    lines: List[str] = [
        "| 地区 | 代码 | 城市低保标准 元/人·月 | 农村低保标准 元/人·月 | 来源 |",
        "|---|---|---|---|---|",
    ]
    for region in book.regions():
        names = [n for n in ("dibao_standard_urban", "dibao_standard_rural") if region.parameters.get(n)]
        if not names:
            continue
        urban, rural = (book.value(region.code, n, on) for n in ("dibao_standard_urban", "dibao_standard_rural"))
        own = [v for v in (urban, rural) if v is not None and v.region == region.code]
        sources = "；".join(
            dict.fromkeys(f"[{v.source}]({v.url})" if v.url.startswith("http") else v.source for v in own)
        )
        shown = [_cell(v) if v is not None and v.region == region.code else "（上级）" for v in (urban, rural)]
        lines.append(f"| {region.name} | {region.code} | {shown[0]} | {shown[1]} | {sources} |")
    return "\n".join(lines)
