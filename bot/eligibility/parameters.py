"""Regional, dated policy parameters read from knowledge/regions/*.yaml.

A region inherits its parent's parameters (national → province → city) and overrides what differs.
A value applies from its `since` date; on a date before a region's first value the parent's applies.
Any other division of China (by its administrative code) takes its nearest ancestor's parameters.
Every value carries its source; values with no traceable published source are flagged `example`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Tuple

import yaml

from bot.knowledge_files import KnowledgeFileError
from bot.settings import PROJECT_ROOT

REGIONS_DIR = PROJECT_ROOT / "knowledge" / "regions"
ROOT_REGION = "CN"


@dataclass(frozen=True)
class ParameterSpec:
    kind: str  # amount | ratio | multiplier | age | count | day
    unit: str
    label: str  # Chinese, as shown to people


# The catalogue of parameters a region file may set. Names only: the values live in knowledge/.
CATALOGUE: Dict[str, ParameterSpec] = {
    "dibao_standard_urban": ParameterSpec("amount", "元/人·月", "城市低保标准"),
    "dibao_standard_rural": ParameterSpec("amount", "元/人·月", "农村低保标准"),
    "near_dibao_multiplier": ParameterSpec("multiplier", "倍", "低保边缘家庭收入上限（低保标准的倍数）"),
    "rigid_expense_ratio": ParameterSpec("ratio", "", "刚性支出占家庭收入的比例"),
    "disposable_income_per_capita_urban": ParameterSpec("amount", "元/人·年", "上年度城镇居民人均可支配收入"),
    "disposable_income_per_capita_rural": ParameterSpec("amount", "元/人·年", "上年度农村居民人均可支配收入"),
    "minimum_wage": ParameterSpec("amount", "元/月", "上年度最低工资标准"),
    "tekun_standard_multiplier": ParameterSpec("multiplier", "倍", "特困人员基本生活标准（不低于低保标准的倍数）"),
    "tekun_care_ratio_none": ParameterSpec("ratio", "", "全护理照料标准占最低工资的比例"),
    "tekun_care_ratio_partial": ParameterSpec("ratio", "", "半护理照料标准占最低工资的比例"),
    "tekun_care_ratio_full": ParameterSpec("ratio", "", "全自理照料标准占最低工资的比例"),
    "tekun_elderly_age": ParameterSpec("age", "周岁", "特困：老年人年龄下限"),
    "tekun_minor_age": ParameterSpec("age", "周岁", "特困：未成年人年龄上限（不含）"),
    "priority_elderly_age": ParameterSpec("age", "周岁", "重点保障：老年人年龄下限"),
    "priority_allowance": ParameterSpec("amount", "元/人·月", "重点保障增发补助"),
    "employment_cost_deduction": ParameterSpec("amount", "元/人·月", "就业成本扣减"),
    "uninsured_unemployed_months_without_income": ParameterSpec("count", "个月", "未参保失业人员连续无收入月数"),
    "dibao_payment_day": ParameterSpec("day", "日", "低保金每月发放截止日"),
    "individual_dibao_upper_band": ParameterSpec(
        "flag", "", "人均收入在边缘上限至人均可支配收入之间的重残重病成年无业人员可按单人户申请"
    ),
}


class ParameterError(KnowledgeFileError):
    """A region file is wrong."""


@dataclass(frozen=True)
class DatedValue:
    since: dt.date
    value: Decimal
    source: str
    example: bool


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


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    parent: Optional[str]
    parameters: Mapping[str, Tuple[DatedValue, ...]]  # each sorted by `since`
    file: str


class RegionBook:
    """All regions, validated; answers 'what is X in region R on date D'."""

    def __init__(self, regions: Mapping[str, Region]) -> None:
        self._regions = dict(regions)
        self._chains: Dict[str, List[Region]] = {}

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
                return ParameterValue(name, v.value, v.since, v.source, v.example, region.code)
        return None

    def values(self, code: str, on: dt.date) -> Dict[str, ParameterValue]:
        found = {name: self.value(code, name, on) for name in CATALOGUE}
        return {name: value for name, value in found.items() if value is not None}


def _check_value(file: str, key: str, spec: ParameterSpec, raw) -> Decimal:
    if isinstance(raw, bool) and spec.kind != "flag":
        raise ParameterError(file, key, "value must be a number, not true/false")
    if spec.kind == "flag":
        if not isinstance(raw, bool):
            raise ParameterError(file, key, "value must be true or false")
        return Decimal(int(raw))
    if not isinstance(raw, (int, float)):
        raise ParameterError(file, key, f"value must be a number, got {raw!r}")
    value = Decimal(str(raw))
    if value < 0:
        raise ParameterError(file, key, f"value {raw} is negative")
    if spec.kind == "ratio" and value > 1:
        raise ParameterError(file, key, f"a ratio must be between 0 and 1, got {raw}")
    if spec.kind == "multiplier" and value < 1:
        raise ParameterError(file, key, f"a multiplier must be at least 1, got {raw}")
    if spec.kind in ("age", "count", "day") and value != value.to_integral_value():
        raise ParameterError(file, key, f"must be a whole number, got {raw}")
    if spec.kind == "day" and not 1 <= value <= 31:
        raise ParameterError(file, key, f"a day of the month must be 1–31, got {raw}")
    return value


def _parse_region(path: Path) -> Region:
    file = path.name
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ParameterError(file, "(file)", f"not valid YAML: {error}") from None
    if not isinstance(data, dict):
        raise ParameterError(file, "(file)", "must be a mapping with code, name and parameters")
    for required in ("code", "name"):
        if not isinstance(data.get(required), str) or not data[required].strip():
            raise ParameterError(file, required, "missing or not a string (quote numeric codes)")
    code = data["code"]
    if path.stem != code:
        raise ParameterError(file, "code", f"{code!r} does not match the file name {path.stem!r}")
    parent = data.get("parent")
    if code == ROOT_REGION and parent is not None:
        raise ParameterError(file, "parent", f"the national file {ROOT_REGION} has no parent")
    if code != ROOT_REGION and not isinstance(parent, str):
        raise ParameterError(file, "parent", "missing or not a string (quote numeric codes)")
    raw_parameters = data.get("parameters") or {}
    if not isinstance(raw_parameters, dict):
        raise ParameterError(file, "parameters", "must be a mapping of parameter name to dated values")
    unknown_keys = set(data) - {"code", "name", "parent", "parameters"}
    if unknown_keys:
        raise ParameterError(file, sorted(unknown_keys)[0], "unknown key")

    parameters: Dict[str, Tuple[DatedValue, ...]] = {}
    for name, entries in raw_parameters.items():
        spec = CATALOGUE.get(name)
        if spec is None:
            raise ParameterError(file, name, f"unknown parameter (known: {', '.join(sorted(CATALOGUE))})")
        if not isinstance(entries, list) or not entries:
            raise ParameterError(file, name, "must be a non-empty list of {since, value, source}")
        dated: List[DatedValue] = []
        for i, entry in enumerate(entries):
            key = f"{name}[{i}]"
            if not isinstance(entry, dict):
                raise ParameterError(file, key, "must be a mapping with since, value and source")
            extra = set(entry) - {"since", "value", "source", "example"}
            if extra:
                raise ParameterError(file, f"{key}.{sorted(extra)[0]}", "unknown key")
            since = entry.get("since")
            if not isinstance(since, dt.date) or isinstance(since, dt.datetime):
                raise ParameterError(file, f"{key}.since", f"must be a date YYYY-MM-DD, got {since!r}")
            if "value" not in entry or entry["value"] is None:
                raise ParameterError(file, f"{key}.value", f"a date ({since}) with no value")
            value = _check_value(file, f"{key}.value", spec, entry["value"])
            source = entry.get("source")
            if not isinstance(source, str) or not source.strip():
                raise ParameterError(
                    file, f"{key}.source", "every value needs its source (file and clause, or document number)"
                )
            example = entry.get("example", False)
            if not isinstance(example, bool):
                raise ParameterError(file, f"{key}.example", "must be true or false")
            dated.append(DatedValue(since, value, source.strip(), example))
        dated.sort(key=lambda v: v.since)
        for earlier, later in zip(dated, dated[1:], strict=False):
            if earlier.since == later.since:
                raise ParameterError(file, name, f"two values start on {later.since}")
        parameters[name] = tuple(dated)
    return Region(code, data["name"].strip(), parent, parameters, file)


def load_regions(directory: Path = REGIONS_DIR) -> RegionBook:
    regions: Dict[str, Region] = {}
    for path in sorted(directory.glob("*.yaml")):
        region = _parse_region(path)
        if region.code in regions:
            raise ParameterError(path.name, "code", f"{region.code} is also defined in {regions[region.code].file}")
        regions[region.code] = region
    if ROOT_REGION not in regions:
        raise ParameterError(f"{ROOT_REGION}.yaml", "(file)", "the national baseline is missing")
    for region in regions.values():
        if region.parent is not None and region.parent not in regions:
            raise ParameterError(region.file, "parent", f"parent region {region.parent!r} does not exist")
    for region in regions.values():
        seen = [region.code]
        current = region.parent
        while current is not None:
            if current in seen:
                raise ParameterError(region.file, "parent", f"cycle: {' → '.join(seen + [current])}")
            seen.append(current)
            current = regions[current].parent
    return RegionBook(regions)
