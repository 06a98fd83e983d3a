"""Answering only the questions the engine asks, each worked example of ELIGIBILITY.md §7 reaches its
verdict in at most 6 questions."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from bot.eligibility import Household, screen

ON = dt.date(2026, 11, 23)
MAX_QUESTIONS = 6


def answer(household: dict, field: str, truth: dict) -> dict:
    """Put the true answer to `field` (e.g. "members[0].age") into the household."""
    updated = {**household, "members": [dict(m) for m in household.get("members", [])]}
    match = re.match(r"^members\[(\d+)\]\.(\w+)$", field)
    if match:
        index, name = int(match.group(1)), match.group(2)
        while len(updated["members"]) <= index:
            updated["members"].append({})
        updated["members"][index][name] = truth["members"][index][name]
    else:
        updated[field] = truth[field]
    return updated


def interview(truth: dict, start: dict | None = None):
    """Ask what the engine asks, answering from `truth`; `start` holds what the first message said."""
    household = {"region": truth["region"], **(start or {})}
    asked = []
    for _ in range(20):
        result = screen(Household(**household), ON)
        if result.decided:
            return result, asked
        assert result.next_question is not None, f"undecided but nothing to ask: {result.trace}"
        field = result.next_question.field
        assert field not in asked, f"asked {field} twice"
        asked.append(field)
        household = answer(household, field, truth)
    pytest.fail(f"no verdict after {asked}")


EXAMPLES = [
    ("dibao", {"region": "220000", "area": "urban", "size": 3, "monthly_income": 1200, "assets_within_limit": True}),
    (
        "near_dibao",
        {"region": "220000", "area": "urban", "size": 3, "monthly_income": 2400, "assets_within_limit": True},
    ),
    (
        "rigid_expense",
        {
            "region": "220000",
            "area": "urban",
            "size": 4,
            "monthly_income": 6000,
            "assets_within_limit": True,
            "rigid_expense_12m": 50400,
            "income_12m": 72000,
        },
    ),
    (
        "tekun",
        {
            "region": "220000",
            "area": "urban",
            "size": 1,
            "monthly_income": 0,
            "assets_within_limit": True,
            "members": [{"age": 82, "has_supporter": False}],
        },
    ),
]


@pytest.mark.parametrize("expected,truth", EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_worked_examples_reach_their_verdict_in_few_questions(expected, truth):
    result, asked = interview(truth)
    assert result.primary == expected
    assert len(asked) <= MAX_QUESTIONS, asked


def test_a_person_who_cannot_be_tekun_is_not_asked_about_supporters():
    truth = {
        "region": "220000",
        "area": "urban",
        "size": 1,
        "monthly_income": 800,
        "assets_within_limit": True,
        "members": [{"age": 35, "has_disability": False, "has_supporter": True, "supporter_able": True}],
    }
    result, asked = interview(truth)
    assert result.primary == "near_dibao"
    assert not any("supporter" in field for field in asked), asked


def test_an_elderly_couple_is_asked_about_both_and_each_may_be_tekun():
    """A resident who says they are 72 and lives with their spouse: the engine asks the spouse's age and
    the supporters elsewhere of each (民发〔2021〕43号 第八条), and finds 特困 for both."""
    truth = {
        "region": "220000",
        "area": "rural",
        "size": 2,
        "monthly_income": 0,
        "assets_within_limit": True,
        "members": [{"age": 72, "has_supporter": False}, {"age": 68, "has_supporter": False}],
    }
    result, asked = interview(truth, start={"members": [{"age": 72}]})
    assert result.primary == "tekun", result.trace
    assert [f.verdict.value for f in result.findings if f.rule == "tekun"] == ["eligible", "eligible"]
    assert {"members[1].age", "members[0].has_supporter", "members[1].has_supporter"} <= set(asked), asked
    assert len(asked) <= MAX_QUESTIONS + 1, asked


def test_a_couple_with_an_able_son_elsewhere_falls_to_dibao():
    truth = {
        "region": "220000",
        "area": "urban",
        "size": 2,
        "monthly_income": 300,
        "assets_within_limit": True,
        "members": [
            {"age": 72, "has_supporter": True, "supporter_able": True},
            {"age": 68, "has_supporter": True, "supporter_able": True},
        ],
    }
    result, asked = interview(truth, start={"members": [{"age": 72}]})
    assert result.primary == "dibao", result.trace
    assert "members[0].supporter_able" in asked, asked
    tekun = {f.member: f.verdict.value for f in result.findings if f.rule == "tekun"}
    assert tekun[0] == "not_eligible"
    # One member who cannot be 特困 settles the household's primary result: no more questions about 特困.
    assert "members[1].has_supporter" not in asked, asked
