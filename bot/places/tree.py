"""China's administrative divisions (province, city, county) with their codes, from jionlp's tree.

jionlp ships the whole GB/T 2260 tree with `_admin_code`s; it takes about a second to import and load,
so the tree is built once per process, on first use.
"""

from __future__ import annotations

import contextlib
import io
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Dict, List, Optional, Tuple

LEVELS = ("province", "city", "county")

# Nodes that are not places people name: groupings of a province's directly administered counties
# (省直辖行政区划), a city's (市直辖行政区划), and economic zones that carry a code but are not divisions.
_PSEUDO = re.compile(r"直辖行政区划$|直辖$")
_ZONE = re.compile(r"开发区|示范区|园区|实验区|合作区|综合区|管理委员会")
# Suffixes of full names; a name without one is a bare alias (长春, 周口) and needs more care.
_SUFFIX = re.compile(r"(?:省|市|自治区|特别行政区|自治州|地区|盟|州|自治县|县|自治旗|旗|林区|特区|区)$")


@dataclass(frozen=True)
class Place:
    code: str  # six-digit administrative code: 220104
    name: str  # full name from the province down: 吉林省长春市朝阳区
    short: str  # its own full name: 朝阳区
    level: str  # province | city | county
    parent: Optional[str]  # the code of the division above it (天门 → 湖北 420000)


@dataclass(frozen=True)
class Tree:
    places: Dict[str, Place]
    # A name as written → (code, bare): bare is True for an alias without its suffix (长春, 朝阳).
    names: Dict[str, Tuple[Tuple[str, bool], ...]]
    longest: int


def _aliases(node: dict) -> List[str]:
    alias = node.get("_alias") or []
    return [alias] if isinstance(alias, str) else list(alias)


@lru_cache(maxsize=1)
def tree() -> Tree:
    with contextlib.redirect_stdout(io.StringIO()):  # it prints a banner, which would corrupt CLI output
        import jionlp  # slow: imported once, on first use

    places: Dict[str, Place] = {}
    names: Dict[str, List[Tuple[str, bool]]] = {}

    def add(full: str, aliases: List[str], code: str, level: str, parent: Optional[str], prefix: str) -> None:
        if code in places:  # a municipality's city node repeats the province (北京市 110000)
            return
        places[code] = Place(code, prefix + full, full, level, parent)
        written = {full: False}
        for alias in aliases:
            if len(alias) >= 2 and alias != full:
                written.setdefault(alias, not _SUFFIX.search(alias))
        if full.endswith(("自治州", "自治县")):  # 延边州, 长阳县: how people shorten them
            for alias in aliases:
                if len(alias) >= 2 and not _SUFFIX.search(alias):
                    written.setdefault(alias + full[-1], False)
        for name, bare in written.items():
            names.setdefault(name, []).append((code, bare))

    for province, p_node in jionlp.china_location_loader().items():
        p_code = p_node["_admin_code"]
        add(province, _aliases(p_node), p_code, "province", None, "")
        for city, c_node in p_node.items():
            if city.startswith("_"):
                continue
            c_code = c_node["_admin_code"]
            pseudo_city = bool(_PSEUDO.search(city)) or c_code == p_code
            if not pseudo_city:
                add(city, _aliases(c_node), c_code, "city", p_code, province)
            for county, x_node in c_node.items():
                if county.startswith("_") or _PSEUDO.search(county) or _ZONE.search(county):
                    continue
                parent = p_code if pseudo_city else c_code
                prefix = province if pseudo_city else province + city
                add(county, _aliases(x_node), x_node["_admin_code"], "county", parent, prefix)
    frozen = {name: tuple(entries) for name, entries in names.items()}
    return Tree(places, frozen, max(len(name) for name in frozen))


def place(code: str) -> Optional[Place]:
    """The place with this administrative code, or None when there is none."""
    return tree().places.get(code)


def ancestors(code: str) -> List[str]:
    """The codes above a place, nearest first: 140105 → [140100, 140000]."""
    found: List[str] = []
    current = place(code)
    while current is not None and current.parent is not None:
        found.append(current.parent)
        current = place(current.parent)
    return found


def is_within(code: str, other: str) -> bool:
    """True when `code` is `other` or lies inside it."""
    return code == other or other in ancestors(code)
