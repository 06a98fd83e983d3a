"""Three-valued conditions: True, False, or unknown with the inputs that would decide it.

Unknown is never treated as False or as zero: an `all_of` with one False is False whatever else is
unknown (so a household already over the line is never asked about its assets), and otherwise it is
unknown, remembering which inputs are missing, in the order they should be asked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Tuple


@dataclass(frozen=True)
class Cond:
    value: Optional[bool]
    missing: Tuple[str, ...] = field(default=())

    @staticmethod
    def known(value: bool) -> "Cond":
        return Cond(bool(value))

    @staticmethod
    def unknown(*missing: str) -> "Cond":
        return Cond(None, tuple(missing))


def _merge(conds) -> Tuple[str, ...]:
    seen = []
    for cond in conds:
        for name in cond.missing:
            if name not in seen:
                seen.append(name)
    return tuple(seen)


def all_of(*conds: Cond) -> Cond:
    if any(c.value is False for c in conds):
        return Cond(False)
    unknown = [c for c in conds if c.value is None]
    return Cond(True) if not unknown else Cond(None, _merge(unknown))


def any_of(*conds: Cond) -> Cond:
    if any(c.value is True for c in conds):
        return Cond(True)
    unknown = [c for c in conds if c.value is None]
    return Cond(False) if not unknown else Cond(None, _merge(unknown))


def negate(cond: Cond) -> Cond:
    return cond if cond.value is None else Cond(not cond.value)
