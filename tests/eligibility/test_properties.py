"""Properties that must hold for any household (hypothesis)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.eligibility import Household, screen

ON = dt.date(2026, 11, 23)
regions = st.sampled_from(["CN", "220000", "220100", "371300", "140000", "429006"])
money = st.integers(min_value=0, max_value=40_000)


def household(region, area, size, income, assets):
    return Household(region=region, area=area, size=size, monthly_income=income, assets_within_limit=assets)


def verdict(h, rule):
    return next(f.verdict.value for f in screen(h, ON).findings if f.rule == rule)


@settings(max_examples=300, deadline=None)
@given(regions, st.sampled_from(["urban", "rural"]), st.integers(1, 8), money, money, st.booleans())
def test_lower_income_never_loses_dibao(region, area, size, income, cut, assets):
    higher = household(region, area, size, income, assets)
    lower = household(region, area, size, max(0, income - cut), assets)
    if verdict(higher, "dibao") == "eligible":
        assert verdict(lower, "dibao") == "eligible"


@settings(max_examples=300, deadline=None)
@given(regions, st.sampled_from(["urban", "rural"]), st.integers(1, 8), money, money, st.booleans())
def test_more_income_never_makes_dibao_eligible(region, area, size, income, extra, assets):
    if verdict(household(region, area, size, income, assets), "dibao") == "not_eligible":
        assert verdict(household(region, area, size, income + extra, assets), "dibao") == "not_eligible"


@settings(max_examples=300, deadline=None)
@given(regions, st.sampled_from(["urban", "rural"]), st.integers(1, 8), money, st.booleans())
def test_at_most_one_household_layer_applies_and_the_estimate_is_positive(region, area, size, income, assets):
    result = screen(household(region, area, size, income, assets), ON)
    eligible = [
        f.rule
        for f in result.findings
        if f.rule in ("dibao", "near_dibao", "rigid_expense") and f.verdict.value == "eligible"
    ]
    assert len(eligible) <= 1
    for f in result.findings:
        if f.rule == "dibao" and f.verdict.value == "eligible":
            assert f.amounts["estimated_monthly"] > Decimal(0)


@settings(max_examples=200, deadline=None)
@given(regions, st.integers(1, 8), money)
def test_unknown_assets_never_give_a_verdict_that_needs_them(region, size, income):
    result = screen(Household(region=region, area="urban", size=size, monthly_income=income), ON)
    for f in result.findings:
        if f.rule in ("dibao", "near_dibao"):
            assert f.verdict.value != "eligible"
