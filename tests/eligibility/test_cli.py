"""`python -m bot screen` prints the reasoning in Chinese and fails clearly on bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bot.settings import PROJECT_ROOT

EXAMPLES = [
    (
        {"area": "urban", "size": 3, "monthly_income": 1200, "assets_within_limit": True},
        "可能符合：最低生活保障（低保）",
        "估算每月救助金：480.00元",
    ),
    (
        {"area": "urban", "size": 3, "monthly_income": 2400, "assets_within_limit": True},
        "可能符合：低保边缘家庭",
        "低于低保标准的2倍",
    ),
    (
        {
            "area": "urban",
            "size": 4,
            "monthly_income": 6000,
            "assets_within_limit": True,
            "rigid_expense_12m": 50400,
            "income_12m": 72000,
        },
        "可能符合：刚性支出困难家庭",
        "刚性支出占家庭收入70%",
    ),
]


def run(*args):
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize("household,verdict,detail", EXAMPLES)
def test_worked_examples_through_the_cli(tmp_path, household, verdict, detail):
    path = tmp_path / "household.json"
    path.write_text(json.dumps(household), encoding="utf-8")
    done = run("screen", str(path), "--region", "220000", "--date", "2026-11-23")
    assert done.returncode == 0, done.stderr
    assert verdict in done.stdout and detail in done.stdout
    assert "【判断过程】" in done.stdout and "民政部门" in done.stdout


def test_bad_input_names_the_field_in_chinese(tmp_path):
    path = tmp_path / "household.json"
    path.write_text(json.dumps({"region": "220000", "members": [{"age": "老"}]}), encoding="utf-8")
    done = run("screen", str(path))
    assert done.returncode == 2
    assert "输入有误" in done.stderr and "members[0].age" in done.stderr
