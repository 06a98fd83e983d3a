"""Regional, dated parameter values: knowledge/regions/*.yaml, validated against the catalogue.

A file sets some parameters for one region (its parent's apply otherwise); each value has the date it
applies from and its source. Any mistake raises `ParameterError` with the file, the key and the reason.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Tuple

from bot.knowledge.files import KNOWLEDGE_DIR, KnowledgeFileError, read_yaml
from bot.knowledge.parameters import CATALOGUE, ParameterSpec

REGIONS_DIR = KNOWLEDGE_DIR / "regions"
ROOT_REGION = "CN"


class ParameterError(KnowledgeFileError):
    """A region file is wrong."""


BASES = ("standard", "floor", "average")  # the local value itself; a minimum it is at least; an average over places
GRADES = ("A", "B", "C")  # official page or document; news or reprint; aggregator or mirror


@dataclass(frozen=True)
class DatedValue:
    since: dt.date
    value: Decimal
    source: str
    example: bool
    basis: str = "standard"
    grade: Optional[str] = None
    url: Optional[str] = None
    quote: Optional[str] = None
    note: Optional[str] = None
    origin: str = "seed"  # seed: knowledge/regions/; staff: entered in the console (bot.standards)


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    parent: Optional[str]
    parameters: Mapping[str, Tuple[DatedValue, ...]]  # each sorted by `since`
    file: str


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
    data = read_yaml(path, ParameterError)
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
            extra = set(entry) - {"since", "value", "source", "example", "basis", "grade", "url", "quote", "note"}
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
            texts = {}
            for optional in ("url", "quote", "note"):
                text = entry.get(optional)
                if text is not None and (not isinstance(text, str) or not text.strip()):
                    raise ParameterError(file, f"{key}.{optional}", "must be a non-empty string")
                texts[optional] = text.strip() if text else None
            if texts["url"] and (not texts["url"].startswith(("http://", "https://")) or " " in texts["url"]):
                raise ParameterError(
                    file, f"{key}.url", f"must be a web address (http:// or https://), got {texts['url']!r}"
                )
            basis = entry.get("basis", "standard")
            if basis not in BASES:
                raise ParameterError(file, f"{key}.basis", f"must be one of {', '.join(BASES)}, got {basis!r}")
            grade = entry.get("grade")
            if grade is not None and grade not in GRADES:
                raise ParameterError(file, f"{key}.grade", f"must be one of {', '.join(GRADES)}, got {grade!r}")
            if spec.sourced and not example and (grade is None or not texts["quote"]):
                raise ParameterError(
                    file, key, "a published standard needs its grade (A/B/C) and the quoted sentence it rests on"
                )
            if spec.sourced and example:
                raise ParameterError(file, key, "a standard is published or absent: example values are not kept")
            dated.append(DatedValue(since, value, source.strip(), example, basis, grade, **texts))
        dated.sort(key=lambda v: v.since)
        for earlier, later in zip(dated, dated[1:], strict=False):
            if earlier.since == later.since:
                raise ParameterError(file, name, f"two values start on {later.since}")
        parameters[name] = tuple(dated)
    return Region(code, data["name"].strip(), parent, parameters, file)


def read_regions(directory: Path = REGIONS_DIR) -> Dict[str, Region]:
    """Every region file, validated one by one and then together (parents exist, no cycles)."""
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
    return regions
