"""Regional, dated policy parameters: which value is in force where and when (read from
knowledge/regions/*.yaml by bot.knowledge.regions; units and labels from knowledge/parameters.yaml).

A region inherits its parent's parameters (national → province → city) and overrides what differs.
A value applies from its `since` date; on a date before a region's first value the parent's applies.
Every value carries its source; values with no traceable published source are flagged `example`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Dict, List, Mapping, Optional

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

    @property
    def label(self) -> str:
        return CATALOGUE[self.name].label

    def describe(self) -> str:
        spec = CATALOGUE[self.name]
        shown = f"{self.value.normalize():f}{spec.unit}" if spec.kind != "ratio" else f"{self.value * 100:.0f}%"
        flag = "（示例值，以当地公布标准为准）" if self.example else ""
        return f"{spec.label} {shown}，{self.since:%Y-%m-%d}起，依据：{self.source}{flag}"

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
        }


class RegionBook:
    """All regions, validated; answers 'what is X in region R on date D'."""

    def __init__(self, regions: Mapping[str, Region]) -> None:
        self._regions = dict(regions)
        self._chains: Dict[str, List[Region]] = {}

    def __contains__(self, code: str) -> bool:
        return code in self._regions

    def region(self, code: str) -> Region:
        try:
            return self._regions[code]
        except KeyError:
            raise KeyError(f"unknown region {code!r}") from None

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
                return ParameterValue(name, v.value, v.since, v.source, v.example, region.code)
        return None

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
