"""YAML cases: a household in, the expected result out (tests/eligibility/cases/*.yaml).

Each case: `name`, `date`, `input` (a household as the API takes it), optionally `entered` (standards a
county supervisor entered first: region, parameter, value, since, document) and `output` with any of:
`decided`, `primary`, `findings` ({rule or rule[member]: verdict}), `amounts` ({rule.key: number}),
`next_question` (a field name, or null), `missing_includes`, `temporary` (list of ids),
`specialised_includes` (list of ids), `uses_example_values`, `temporary_amounts` ({id: amount, or null
where the local standard decides}), `temporary_examples` ({id: whether the amount rests on an example}), `temporary_at_least` and
`temporary_approximate` ({id: whether the amount is a floor; rests on an average or old standard}),
`standard` ({region, basis, value}: the 低保标准 used), `ranges` (list of [primary, low, high]: how the
verdict depends on an inexact standard, or null where it does not).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from bot import migrate
from bot.db import create_db_engine, session_factory
from bot.eligibility import Household, screen
from bot.eligibility.engine import seed_book
from bot.leads import StaffRole, StaffService
from bot.standards import LiveBook, StandardsService

CASES_DIR = Path(__file__).parent / "cases"


def load_cases():
    for path in sorted(CASES_DIR.glob("*.yaml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8")):
            yield pytest.param(case, id=f"{path.stem}: {case['name']}")


def finding_key(finding) -> str:
    return finding.rule if finding.member is None else f"{finding.rule}[{finding.member}]"


def book_with_entries(entered, tmp_path):
    """The seed plus standards a county supervisor entered, through the real service and database."""
    url = f"sqlite:///{tmp_path / 'cases.db'}"
    migrate.upgrade(url)
    engine = create_db_engine(url)
    sessions = session_factory(engine)
    service = StandardsService(sessions)
    book = LiveBook(seed_book(), sessions, refresh_seconds=0)
    for entry in entered:
        region = entry.pop("region")
        member, _ = StaffService(sessions).create("主管", "县民政局", region, StaffRole.county_supervisor)
        service.enter(member, book(), region, {**entry, "since": str(entry["since"])}, today=entry["since"])
    current = book()
    engine.dispose()
    return current


@pytest.mark.parametrize("case", list(load_cases()))
def test_case(case, tmp_path):
    on = case["date"] if isinstance(case["date"], dt.date) else dt.date.fromisoformat(case["date"])
    book = book_with_entries(case["entered"], tmp_path) if "entered" in case else None
    result = screen(Household(**case["input"]), on, book)
    expected = case["output"]
    verdicts = {finding_key(f): f.verdict.value for f in result.findings}
    if "decided" in expected:
        assert result.decided is expected["decided"], result.trace
    if "primary" in expected:
        assert result.primary == expected["primary"], result.trace
    for key, verdict in expected.get("findings", {}).items():
        assert verdicts.get(key) == verdict, f"{key}: {verdicts.get(key)} != {verdict}\n" + "\n".join(result.trace)
    amounts = {f"{finding_key(f)}.{k}": v for f in result.findings for k, v in f.amounts.items()}
    for key, value in expected.get("amounts", {}).items():
        assert amounts.get(key) == Decimal(str(value)), f"{key}: {amounts.get(key)} != {value}"
    if "next_question" in expected:
        got = result.next_question.field if result.next_question else None
        assert got == expected["next_question"]
    for field in expected.get("missing_includes", []):
        assert field in result.missing
    for field in expected.get("missing_excludes", []):
        assert field not in result.missing
    if "temporary" in expected:
        assert [a.id for a in result.temporary_assistance] == expected["temporary"]
    temporary = {a.id: a.amount for a in result.temporary_assistance}
    for item, value in expected.get("temporary_amounts", {}).items():
        got = temporary[item].value
        assert got == (None if value is None else Decimal(str(value))), f"{item}: {got} != {value}"
        assert temporary[item].formula, item  # every type says how much, or who decides
    for item, example in expected.get("temporary_examples", {}).items():
        assert temporary[item].example is example, item
    for item, at_least in expected.get("temporary_at_least", {}).items():
        assert temporary[item].at_least is at_least, item
    for item, approximate in expected.get("temporary_approximate", {}).items():
        assert temporary[item].approximate is approximate, item
    for item in expected.get("specialised_includes", []):
        assert item in [a.id for a in result.specialised_assistance]
    if "uses_example_values" in expected:
        assert result.uses_example_values is expected["uses_example_values"]
    if "standard" in expected:
        used = result.standard
        got = {"region": used.region, "basis": used.basis, "value": float(used.value)}
        assert got == expected["standard"], got
    if "ranges" in expected:
        got = (
            None
            if result.standard_ranges is None
            else [
                [r.primary, None if r.low is None else float(r.low), None if r.high is None else float(r.high)]
                for r in result.standard_ranges.ranges
            ]
        )
        assert got == expected["ranges"], got
