"""Regional, dated policy parameters: which value is in force where and when (read from
knowledge/regions/*.yaml by bot.knowledge.regions; units and labels from knowledge/parameters.yaml).

A region inherits its parent's parameters (national → province → city) and overrides what differs.
A value applies from its `since` date; on a date before a region's first value the parent's applies.
Any other division of China (by its administrative code) takes its nearest ancestor's parameters.
Every value carries its source; values with no traceable published source are flagged `example`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Tuple

from bot.knowledge.parameters import CATALOGUE, ParameterSpec
from bot.knowledge.regions import REGIONS_DIR, ROOT_REGION, DatedValue, ParameterError, Region, read_regions


@dataclass(frozen=True)
class ParameterValue:
    """The value of one parameter in force in one region on one date, with where it came from."""

    name: str
    value: Decimal
    since: dt.date
    source: str
    example: bool
    region: str  # the region whose file set it
    region_name: str = ""
    basis: str = "standard"  # standard | floor (the local value is at least this) | average
    grade: Optional[str] = None  # A official · B news or reprint · C aggregator or mirror
    url: Optional[str] = None
    quote: Optional[str] = None
    note: Optional[str] = None
    origin: str = "seed"  # seed (the reviewed files), staff (entered in the console) or stated (by the resident)

    @property
    def label(self) -> str:
        return CATALOGUE[self.name].label

    def stale(self, on: dt.date) -> bool:
        """In force for longer than its parameter is usually left unchanged (knowledge/parameters.yaml)."""
        months = CATALOGUE[self.name].stale_after_months
        if months is None:
            return False
        return (on.year - self.since.year) * 12 + (on.month - self.since.month) - (on.day < self.since.day) >= months

    def exact(self, on: dt.date) -> bool:
        """The value itself, published for this place and current: a verdict on it needs no ranges."""
        return self.basis == "standard" and not self.example and not self.stale(on)

    def in_words(self, on: dt.date) -> str:
        """Which value a verdict used, in a resident's words ("按吉林省长春市2024年1月起的城市低保最低
        指导标准770元（当地标准不低于此）")."""
        amount = f"{self.value.normalize():f}元"
        label = self.label
        if self.origin == "stated":
            return f"按您说的当地{label}{amount}"
        if self.basis == "floor":
            text = f"{label.replace('标准', '最低指导标准')}{amount}（当地标准不低于此）"
        elif self.basis == "average":
            text = f"{label.replace('标准', '平均标准')}{amount}（各地标准不同）"
        else:
            text = f"{label}{amount}"
        text = f"按{self.region_name}{self.since.year}年{self.since.month}月起的{text}"
        if self.stale(on):
            text += f"，这是{self.since.year}年的数值，现行标准可能已经调整"
        if self.grade == "C":
            text += "，来源为转载或汇总网站，以官方公布为准"
        return text

    def describe(self) -> str:
        spec = CATALOGUE[self.name]
        shown = f"{self.value.normalize():f}{spec.unit}" if spec.kind != "ratio" else f"{self.value * 100:.0f}%"
        flag = "（示例值，以当地公布标准为准）" if self.example else ""
        kind = {"floor": "（最低指导标准，当地不低于此）", "average": "（平均标准）"}.get(self.basis, "")
        grade = f"（来源等级{self.grade}）" if self.grade else ""
        return f"{spec.label} {shown}{kind}，{self.since:%Y-%m-%d}起，依据：{self.source}{grade}{flag}"

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "label": self.label,
            "value": float(self.value),
            "unit": CATALOGUE[self.name].unit,
            "since": self.since.isoformat(),
            "source": self.source,
            "example": self.example,
            "region": self.region,
            "region_name": self.region_name,
            "basis": self.basis,
            "grade": self.grade,
            "url": self.url,
            "quote": self.quote,
            "note": self.note,
            "origin": self.origin,
        }


class RegionBook:
    """All regions, validated; answers 'what is X in region R on date D'."""

    def __init__(self, regions: Mapping[str, Region]) -> None:
        self._regions = dict(regions)
        self._chains: Dict[str, List[Region]] = {}
        self._spans: Dict[str, Tuple[Optional[Decimal], Optional[Decimal]]] = {}

    def __contains__(self, code: str) -> bool:
        return code in self._regions or self._division(code) is not None

    def region(self, code: str) -> Region:
        found = self._regions.get(code) or self._division(code)
        if found is None:
            raise KeyError(f"unknown region {code!r}")
        return found

    def _division(self, code: str) -> Optional[Region]:
        """A division of China with no file of its own (县 140105): it keeps its code and name, and its
        parameters are those of its nearest ancestor in the book (140100 → 140000 → CN)."""
        if not re.fullmatch(r"\d{6}", code):
            return None
        from bot.places import ancestors, place  # the whole tree loads only for a code without a file

        division = place(code)
        if division is None:
            return None
        parent = next((a for a in ancestors(code) if a in self._regions), ROOT_REGION)
        return Region(code, division.name, parent, {}, file="")

    def regions(self) -> List[Region]:
        return sorted(self._regions.values(), key=lambda r: (r.code != ROOT_REGION, r.code))

    def chain(self, code: str) -> List[Region]:
        """The region and its ancestors, nearest first."""
        if code in self._chains:
            return self._chains[code]
        chain = []
        current: Optional[str] = code
        while current is not None:
            region = self.region(current)
            chain.append(region)
            current = region.parent
        self._chains[code] = chain
        return chain

    def value(self, code: str, name: str, on: dt.date) -> Optional[ParameterValue]:
        if name not in CATALOGUE:
            raise KeyError(f"unknown parameter {name!r}")
        for region in self.chain(code):
            in_force = [v for v in region.parameters.get(name, ()) if v.since <= on]
            if in_force:
                v = in_force[-1]
                return ParameterValue(
                    name,
                    v.value,
                    v.since,
                    v.source,
                    v.example,
                    region.code,
                    region.name,
                    v.basis,
                    v.grade,
                    v.url,
                    v.quote,
                    v.note,
                    v.origin,
                )
        return None

    def with_values(self, added: Mapping[Tuple[str, str], List[DatedValue]]) -> "RegionBook":
        """This book with more dated values ({(region code, parameter): values}), e.g. those staff
        entered. A region without a file of its own gets one under its nearest ancestor, and the regions
        inside it whose file names an ancestor of it as parent now inherit from it."""
        regions = dict(self._regions)
        for code in sorted({code for code, _ in added}, key=len):
            if code in regions:
                continue
            division = self._division(code)
            if division is None:
                continue
            regions[code] = division
            from bot.places import is_within

            for other, region in list(regions.items()):
                if other != code and is_within(other, code) and region.parent in self.chain_codes(code)[1:]:
                    regions[other] = replace(region, parent=code)
        for (code, name), values in added.items():
            region = regions.get(code)
            if region is None or name not in CATALOGUE:
                continue
            merged = {v.since: v for v in region.parameters.get(name, ())}
            merged.update({v.since: v for v in values})  # an entry on a seed value's date replaces it
            parameters = dict(region.parameters)
            parameters[name] = tuple(sorted(merged.values(), key=lambda v: v.since))
            regions[code] = replace(region, parameters=parameters)
        return RegionBook(regions)

    def chain_codes(self, code: str) -> List[str]:
        return [r.code for r in self.chain(code)]

    def span(self, name: str) -> Tuple[Optional[Decimal], Optional[Decimal]]:
        """The lowest and highest value any region has published for `name`, at any date: the band a
        standard nobody told us can plausibly lie in."""
        if name not in self._spans:
            found = [v.value for r in self._regions.values() for v in r.parameters.get(name, ())]
            self._spans[name] = (min(found), max(found)) if found else (None, None)
        return self._spans[name]

    def values(self, code: str, on: dt.date) -> Dict[str, ParameterValue]:
        found = {name: self.value(code, name, on) for name in CATALOGUE}
        return {name: value for name, value in found.items() if value is not None}


def load_regions(directory: Path = REGIONS_DIR) -> RegionBook:
    """All regions of knowledge/regions/ (read and validated by bot.knowledge.regions)."""
    return RegionBook(read_regions(directory))


__all__ = [
    "CATALOGUE",
    "REGIONS_DIR",
    "ROOT_REGION",
    "DatedValue",
    "ParameterError",
    "ParameterSpec",
    "ParameterValue",
    "Region",
    "RegionBook",
    "load_regions",
]
