"""The region files: every shipped file loads; a bad one is refused naming file, key and reason."""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from bot.eligibility.parameters import CATALOGUE, REGIONS_DIR, ParameterError, load_regions


def test_shipped_regions_load_with_their_chain():
    book = load_regions()
    codes = {r.code for r in book.regions()}
    assert {"CN", "220000", "220100", "371300", "140000", "429006"} <= codes
    assert [r.code for r in book.chain("220100")] == ["220100", "220000", "CN"]
    assert [r.code for r in book.chain("429006")] == ["429006", "420000", "CN"]


def test_values_in_force_follow_dates_and_inheritance():
    book = load_regions()
    k = book.value("220100", "near_dibao_multiplier", dt.date(2026, 1, 1))
    assert (k.value, k.region, k.example) == (Decimal("2"), "220000", False)
    assert "001_9f98747db78547d3.txt" in k.source
    before = book.value("220000", "near_dibao_multiplier", dt.date(2024, 4, 2))
    assert (before.value, before.region) == (Decimal("1.5"), "CN")
    assert book.value("CN", "dibao_payment_day", dt.date(2026, 1, 1)) is None


def test_every_untraced_amount_is_marked_example():
    book = load_regions()
    for region in book.regions():
        for name, values in region.parameters.items():
            for v in values:
                if not v.example and not CATALOGUE[name].sourced:
                    assert ".txt" in v.source or "〔" in v.source or "《" in v.source, (region.file, name, v.source)


def test_every_dibao_standard_is_a_graded_published_figure_with_its_quote():
    """Issue #19: a 低保标准 is a sourced value, floor or average with its grade, or absent."""
    book = load_regions()
    seen = 0
    for region in book.regions():
        for name in ("dibao_standard_urban", "dibao_standard_rural"):
            for v in region.parameters.get(name, ()):
                seen += 1
                where = (region.file, name, str(v.since))
                assert not v.example, where
                assert v.grade in ("A", "B", "C") and v.basis in ("standard", "floor", "average"), where
                assert v.source and v.quote and v.url, where
                assert 100 <= v.value <= 3000, where  # a monthly amount per person, not an annual one
    assert seen >= 40
    national = book.value("CN", "dibao_standard_urban", dt.date(2026, 12, 7))
    assert (national.value, national.basis) == (752, "average")


def test_a_standard_without_grade_or_quote_is_refused(regions):
    write(
        regions,
        "999999.yaml",
        'code: "999999"\nname: 测试\nparent: CN\nparameters:\n  dibao_standard_urban:\n'
        "    - since: 2024-01-01\n      value: 800\n      source: 某市民政局\n",
    )
    with pytest.raises(ParameterError) as error:
        load_regions(regions)
    assert (error.value.file, error.value.key) == ("999999.yaml", "dibao_standard_urban[0]")
    assert "grade" in error.value.reason


@pytest.fixture
def regions(tmp_path) -> Path:
    target = tmp_path / "regions"
    shutil.copytree(REGIONS_DIR, target, ignore=shutil.ignore_patterns("*.md"))
    return target


def write(regions: Path, name: str, text: str) -> None:
    (regions / name).write_text(text, encoding="utf-8")


@pytest.mark.parametrize(
    "file,text,key,reason",
    [
        (
            "999999.yaml",
            'code: "999999"\nname: 测试\nparent: CN\nparameters:\n  near_dibao_multiplier:\n    - since: 2024-01-01\n      source: x\n',
            "near_dibao_multiplier[0].value",
            "with no value",
        ),
        (
            "999999.yaml",
            'code: "999999"\nname: 测试\nparent: CN\nparameters:\n  rigid_expense_ratio:\n    - since: 2024-01-01\n      value: 1.2\n      source: x\n',
            "rigid_expense_ratio[0].value",
            "between 0 and 1",
        ),
        ("999999.yaml", 'code: "999999"\nname: 测试\nparent: "888888"\nparameters: {}\n', "parent", "does not exist"),
        (
            "999999.yaml",
            'code: "999999"\nname: 测试\nparent: CN\nparameters:\n  dibao_standard: []\n',
            "dibao_standard",
            "unknown parameter",
        ),
        (
            "999999.yaml",
            'code: "999999"\nname: 测试\nparent: CN\nparameters:\n  minimum_wage:\n    - since: 2024-01-01\n      value: 1900\n',
            "minimum_wage[0].source",
            "needs its source",
        ),
        (
            "999999.yaml",
            'code: "999999"\nname: 测试\nparent: CN\nparameters:\n  minimum_wage:\n    - since: soon\n      value: 1900\n      source: x\n',
            "minimum_wage[0].since",
            "must be a date",
        ),
        (
            "999999.yaml",
            'code: "999999"\nname: 测试\nparent: CN\nparameters:\n  near_dibao_multiplier:\n    - since: 2024-01-01\n      value: 0.5\n      source: x\n',
            "near_dibao_multiplier[0].value",
            "at least 1",
        ),
        (
            "999999.yaml",
            'code: "999999"\nname: 测试\nparent: CN\nparameters:\n  minimum_wage:\n    - {since: 2024-01-01, value: 1, source: x}\n    - {since: 2024-01-01, value: 2, source: y}\n',
            "minimum_wage",
            "two values start",
        ),
        ("999999.yaml", 'code: "888888"\nname: 测试\nparent: CN\n', "code", "does not match the file name"),
        (
            "999999.yaml",
            'code: "999999"\nname: 测试\nparent: CN\nparameters:\n  minimum_wage:\n    - {since: 2024-01-01, value: true, source: x}\n',
            "minimum_wage[0].value",
            "not true/false",
        ),
    ],
)
def test_bad_files_are_refused_precisely(regions, file, text, key, reason):
    write(regions, file, text)
    with pytest.raises(ParameterError) as error:
        load_regions(regions)
    assert (error.value.file, error.value.key) == (file, key)
    assert reason in error.value.reason


def test_a_cycle_is_refused(regions):
    write(regions, "900001.yaml", 'code: "900001"\nname: 甲\nparent: "900002"\n')
    write(regions, "900002.yaml", 'code: "900002"\nname: 乙\nparent: "900001"\n')
    with pytest.raises(ParameterError) as error:
        load_regions(regions)
    assert error.value.key == "parent" and "cycle" in error.value.reason


def test_catalogue_names_are_the_only_keys_used():
    for region in load_regions().regions():
        assert set(region.parameters) <= set(CATALOGUE)


def test_employment_cost_is_deducted_where_a_region_publishes_it(regions):
    """003: 就业成本 of working members is not counted; the amount is a regional parameter."""
    import datetime as dt

    from bot.eligibility import Household, screen

    write(
        regions,
        "999999.yaml",
        'code: "999999"\nname: 测试\nparent: "220000"\nparameters:\n'
        "  employment_cost_deduction:\n    - {since: 2024-01-01, value: 200, source: 测试用}\n",
    )
    book = load_regions(regions)
    household = {
        "region": "999999",
        "area": "urban",
        "size": 2,
        "monthly_income": 1300,
        "assets_within_limit": True,
        "members": [{"employment": "employed"}, {"employment": "unable"}],
    }
    with_deduction = screen(Household(**household), dt.date(2026, 1, 1), book)
    assert with_deduction.primary == "dibao"  # (1300 − 200) / 2 = 550 < 560
    assert any("就业成本" in step for step in with_deduction.trace)
    without = screen(Household(**{**household, "region": "220000"}), dt.date(2026, 1, 1), book)
    assert without.primary == "near_dibao"  # 650 ≥ 560


def test_a_published_advance_relief_amount_is_carried_with_its_source(regions):
    """ELIGIBILITY.md §5: where a region publishes its 小金额先行救助 amount, the result carries it."""
    from bot.eligibility import Household, screen

    write(
        regions,
        "999999.yaml",
        'code: "999999"\nname: 测试\nparent: "371300"\nparameters:\n'
        "  advance_relief_amount:\n    - {since: 2024-01-01, value: 1000, source: 测试用文件 三}\n",
    )
    book = load_regions(regions)
    household = Household(region="999999", emergency={"kind": "fire"})
    item = screen(household, dt.date(2026, 1, 1), book).temporary_assistance[0].to_dict()
    assert item["amount"]["value"] == 1000 and item["amount"]["example"] is False
    assert item["amount"]["parameters"][0]["source"] == "测试用文件 三"
    without = screen(Household(region="371300", emergency={"kind": "fire"}), dt.date(2026, 1, 1), book)
    assert without.temporary_assistance[0].to_dict()["amount"]["value"] is None
    assert "当地" in without.temporary_assistance[0].amount.describe()
