"""The reply's 临时救助 line (bot.conversation.prescreen.render_verdict) and the CLI explanation carry
the amount of each type, or say that the local standard decides."""

from __future__ import annotations

import datetime as dt

from bot.conversation.prescreen import render_verdict
from bot.eligibility import Household, screen
from bot.eligibility.explain import explain

ON = dt.date(2026, 11, 23)


def temporary_line(text: str) -> str:
    return next(line for line in text.splitlines() if line.startswith("临时救助："))


def test_an_epidemic_shows_one_month_of_the_urban_standard_at_least_its_floor():
    result = screen(Household(region="220000", emergency={"kind": "epidemic"}), ON)
    line = temporary_line(render_verdict(result))
    # 吉林's lowest 2024 floor, 560: the amount is at least that, and the floor is old by 2026
    assert "不低于560元/人" in line and "1个月的城市低保标准" in line and "以当地现行标准为准" in line
    assert "示例值" not in line
    assert "金额：不低于560元/人" in explain(result)


def test_the_uninsured_unemployed_get_a_floor_of_the_rural_standard():
    household = Household(
        region="140000",
        emergency={"kind": "job_loss", "months_without_income": 3, "has_unemployment_insurance": False},
    )
    line = temporary_line(render_verdict(screen(household, ON)))
    assert "不低于496元/人" in line and "农村低保标准" in line  # 山西's 2022 rural average


def test_without_a_published_amount_the_reply_says_local_standards_decide():
    line = temporary_line(render_verdict(screen(Household(region="371300", emergency={"kind": "fire"}), ON)))
    assert "当地标准" in line and "元/人" not in line
