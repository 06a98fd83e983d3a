"""Residents' own wording finds the article: held-out questions, typos and dialect, and follow-ups."""

from pathlib import Path

import pytest
import yaml

from bot.policies import default_desk
from bot.policies.search import normalise

HELDOUT = yaml.safe_load((Path(__file__).parent / "heldout.yaml").read_text(encoding="utf-8"))
QUESTIONS = [(q, article) for article, questions in HELDOUT["questions"].items() for q in questions]


def test_the_held_out_questions_are_many_labelled_and_not_the_articles_own():
    desk = default_desk()
    own = {q for a in desk.articles.values() for q in a.questions}
    assert len(QUESTIONS) >= 60
    assert {article for _, article in QUESTIONS} <= set(desk.articles)
    assert not {q for q, _ in QUESTIONS} & own


def test_at_least_nine_in_ten_held_out_questions_find_their_article():
    desk = default_desk()
    misses = [
        (q, want, desk.search(q, 1)[0].article.id) for q, want in QUESTIONS if desk.search(q, 1)[0].article.id != want
    ]
    accuracy = 1 - len(misses) / len(QUESTIONS)
    print(f"held-out accuracy {accuracy:.1%} ({len(QUESTIONS) - len(misses)}/{len(QUESTIONS)})")
    assert accuracy >= 0.9, misses


def test_a_follow_up_finds_its_article_with_the_previous_topic():
    desk = default_desk()
    follow_ups = HELDOUT["followups"]
    misses = [f for f in follow_ups if desk.search(f["ask"], 1, context=f["context"])[0].article.id != f["article"]]
    assert 1 - len(misses) / len(follow_ups) >= 0.9, misses


def test_the_context_is_what_finds_a_topicless_follow_up():
    desk = default_desk()
    assert desk.search("那农村的呢", 1)[0].article.id != "dibao_amount"
    assert desk.search("那农村的呢", 1, context="dibao_amount")[0].article.id == "dibao_amount"
    # A follow-up that asks something new moves on from the previous article.
    assert desk.search("那要带啥材料", 1, context="dibao_apply")[0].article.id == "dibao_materials"
    # Topic words work as well as an article id, and an unknown id is read as words, not an error.
    assert desk.search("多久能批下来", 1, context="低保")[0].article.id == "approval_process"
    assert desk.search("那要带啥材料", 1, context="no_such_article")


def test_answer_passes_the_context_on():
    desk = default_desk()
    answer = desk.answer("那农村的呢", context="dibao_amount")
    assert answer is not None and answer.article.id == "dibao_amount"


@pytest.mark.parametrize(
    "typed, meant",
    [
        ("低包怎么申请", "低保怎么申请"),
        ("地保", "低保"),
        ("底保标准", "低保标准"),
        ("特因人员", "特困人员"),
        ("边沿户", "边缘户"),
        ("俺家咋整", "我怎么办"),
        ("啥条件", "什么条件"),
        ("闺女给的钱算收入不", "女儿给的钱算收入"),
    ],
)
def test_typos_and_dialect_are_folded_to_the_articles_words(typed, meant):
    assert normalise(typed) == normalise(meant)


def test_a_typo_finds_the_same_article_as_the_right_spelling():
    desk = default_desk()
    for typed, right in [("地保去哪里申请", "低保去哪里申请"), ("特因人员要什么条件", "特困人员要什么条件")]:
        assert desk.search(typed, 1)[0].article.id == desk.search(right, 1)[0].article.id


def test_the_programme_named_decides_between_otherwise_alike_questions():
    desk = default_desk()
    assert desk.search("特困一个月能给多少钱", 1)[0].article.id == "tekun_standard"
    assert desk.search("低保一个月能给多少钱", 1)[0].article.id == "dibao_amount"
