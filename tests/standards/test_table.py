"""The README's region table is the seed's (issue #19: per region, the value in force and its source)."""

from __future__ import annotations

import datetime as dt
import re

from bot.eligibility.engine import seed_book
from bot.settings import PROJECT_ROOT
from bot.standards.table import region_table


def test_the_readme_shows_each_regions_standard_and_source():
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    shown = re.search(r"<!-- standards-table:start -->\n(.*?)\n<!-- standards-table:end -->", readme, re.S)
    assert shown, "README has no standards table"
    # Values only change on a `since` date; every seed value is dated before this session's day.
    assert shown.group(1) == region_table(seed_book(), dt.date.today()), "run python -m bot standards-table"
    assert "| 吉林省长春市 | 220100 | 不低于770（2024-01起，C） | 不低于500（2024-01起，C） |" in shown.group(1)
