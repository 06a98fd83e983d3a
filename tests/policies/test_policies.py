"""The policy articles: valid, traceable, rendered for a region, and found by their own questions."""

import datetime as dt
import re
from pathlib import Path

import pytest
import yaml

from bot.eligibility.engine import default_book
from bot.policies import PolicyError, default_desk, load_articles

# The shared folder beside the checkout (../shared from the main checkout, further up from a worktree).
SOURCES = next(
    (
        p / "shared" / "policy-sources"
        for p in Path(__file__).resolve().parents
        if (p / "shared" / "policy-sources").is_dir()
    ),
    Path(__file__).resolve().parents[3] / "shared" / "policy-sources",
)
SOURCE_INDEX = Path(__file__).resolve().parents[2] / "knowledge" / "sources.yaml"
INDEX = yaml.safe_load(SOURCE_INDEX.read_text(encoding="utf-8"))
FILES = {entry["file"] for entry in INDEX if "file" in entry}
NATIONAL = {entry["document"]: {str(n) for n in entry["figures"]} for entry in INDEX if "document" in entry}
# Public telephone numbers an answer may give; they are not policy figures.
HOTLINES = {"12345", "110", "120", "119"}
ON = dt.date(2026, 11, 23)


def test_every_citation_is_a_source_file_or_a_named_national_document():
    if SOURCES.exists():  # beside the shared folder the index must list exactly its files
        assert FILES == {p.name for p in SOURCES.glob("*.txt")}
    for article in load_articles():
        for citation in article.citations:
            named = re.match(r"^(\d{3}_[0-9a-f]{16}\.txt)", citation)
            if named:
                assert named.group(1) in FILES, (article.id, citation)
            else:
                assert any(doc in citation for doc in NATIONAL), (article.id, citation)


def test_the_issue_topics_are_covered():
    ids = {a.id for a in load_articles()}
    for topic in [
        "low_income_population",
        "dibao_conditions",
        "dibao_amount",
        "dibao_apply",
        "dibao_materials",
        "dibao_payment",
        "dibao_review_exit",
        "individual_dibao",
        "priority_allowance",
        "tekun_conditions",
        "tekun_minors",
        "tekun_standard",
        "tekun_care",
        "tekun_medical_insurance",
        "near_dibao",
        "rigid_expense",
        "one_application",
        "transfer_after_exit",
        "relapse_monitoring",
        "temporary_assistance",
        "emergency_no_hukou_limit",
        "epidemic_relief",
        "uninsured_unemployed",
        "homeless_relief",
        "medical_assistance",
        "education_assistance",
        "housing_assistance",
        "employment_assistance",
        "disaster_assistance",
        "heating_funeral",
        "disability_support",
        "care_services",
        "charity_assistance",
        "dynamic_monitoring",
        "household_income",
        "household_members",
        "legal_supporters",
        "asset_limits",
        "approval_process",
        "gradual_exit",
        "appeal",
        "residence_application",
    ]:
        assert topic in ids


def figures_stated_by(citation: str) -> set:
    """The numbers a cited source states: a policy file's whole text, or a national document's listed figures."""
    named = re.match(r"^(\d{3}_[0-9a-f]{16}\.txt)", citation)
    if named:
        return set(re.findall(r"\d+(?:\.\d+)?", (SOURCES / named.group(1)).read_text(encoding="utf-8")))
    return set().union(*(figures for doc, figures in NATIONAL.items() if doc in citation))


@pytest.mark.skipif(not SOURCES.exists(), reason="the policy source texts are not beside the checkout")
def test_no_number_is_written_into_an_answer_that_its_sources_do_not_state():
    # Regional numbers come through {placeholders}; digits left in the text must be its own sources'.
    for article in load_articles():
        stated = set(HOTLINES).union(*(figures_stated_by(c) for c in article.citations))
        text = re.sub(r"\{\w+\}", "", article.answer)
        for number in re.findall(r"\d+(?:\.\d+)?", text):
            assert number in stated, (article.id, number, article.citations)


@pytest.mark.skipif(not SOURCES.exists(), reason="the policy source texts are not beside the checkout")
def test_the_number_check_refuses_a_figure_no_cited_source_states():
    assert "30" in figures_stated_by("《最低生活保障审核确认办法》（民发〔2021〕57号）")
    assert "30" not in figures_stated_by("《社会救助暂行办法》（国务院令第649号）第十一条")
    assert "45" not in figures_stated_by("002_2a7b8b2a62470f4b.txt 4")


def test_answers_use_the_region_parameters_and_end_with_their_sources():
    desk = default_desk()
    jilin = desk.render(desk.articles["near_dibao"], "220000", ON)
    national = desk.render(desk.articles["near_dibao"], None, ON)
    assert "低保标准的2倍" in jilin.text and "低保标准的1.5倍" in national.text
    assert jilin.text.splitlines()[-1].startswith("依据：") and "001_9f98747db78547d3.txt 一" in jilin.text


def test_every_article_renders_in_every_region():
    desk = default_desk()
    for region in default_book().regions():
        for article in desk.articles.values():
            answer = desk.render(article, region.code, ON)
            assert "{" not in answer.text and "依据：" in answer.text


def test_example_values_are_marked_and_say_local_standards_decide():
    desk = default_desk()
    answer = desk.render(desk.articles["dibao_amount"], "CN", ON)
    assert answer.uses_example_values and "（示例）" in answer.text and "以当地民政部门公布的标准为准" in answer.text


def test_each_article_is_found_by_its_own_questions():
    desk = default_desk()
    misses = [(a.id, q) for a in desk.articles.values() for q in a.questions if desk.search(q, 1)[0].article.id != a.id]
    assert len(misses) <= 3, misses


def test_unrelated_text_is_not_answered():
    desk = default_desk()
    for text in ["推荐个饭店", "你是机器人吗", "讲个笑话"]:
        assert desk.answer(text) is None, text


def test_a_bad_article_file_is_refused_with_file_and_key(tmp_path):
    (tmp_path / "bad.yaml").write_text(
        yaml.safe_dump(
            [
                {
                    "id": "x",
                    "title": "t",
                    "questions": ["a", "b", "c"],
                    "answer": "{no_such_parameter}",
                    "citations": ["c"],
                }
            ]
        ),
        encoding="utf-8",
    )
    with pytest.raises(PolicyError) as error:
        load_articles(tmp_path)
    assert error.value.file == "bad.yaml" and "no_such_parameter" in error.value.reason
