"""A cited answer to a policy question, valued for the resident's region when it is known."""

from __future__ import annotations

import datetime as dt
import string
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, List, Optional, Union

from bot.eligibility.engine import default_book
from bot.eligibility.parameters import ROOT_REGION, ParameterValue, RegionBook
from bot.knowledge.parameters import CATALOGUE
from bot.knowledge.policies import Article, load_articles
from bot.policies.search import ArticleIndex, Match

# Below this similarity the best article is not trusted: the bot asks to rephrase instead of guessing.
# Chosen on tests/nlu/policy_heldout.yml: it keeps ~95% of right answers and refuses the weakest
# wrong ones (`make nlu-test` prints accuracy and refusals).
MIN_SCORE = 0.15
EXAMPLE_NOTE = "文中标注“示例”的数值不是当地公布的标准，请以当地民政部门公布的标准为准。"
MISSING = {"day": "规定日期", "amount": "当地标准", "age": "规定年龄", "count": "规定时间"}


def _shown(value: ParameterValue) -> str:
    spec = CATALOGUE[value.name]
    if spec.kind == "ratio":
        text = f"{value.value * 100:.0f}%"
    elif spec.kind == "multiplier":
        text = f"{value.value.normalize():f}"
    elif spec.kind == "day":
        text = f"{value.value.normalize():f}日"
    elif spec.kind == "age":
        text = f"{value.value.normalize():f}周岁"
    elif spec.kind == "count":
        text = f"{value.value.normalize():f}{spec.unit}"
    else:
        text = f"{value.value.normalize():f}{spec.unit.split('/')[0]}"
    if value.example:
        return f"{text}（示例）"
    if spec.sourced:  # a published standard says what kind of figure it is and when it is from
        kind = {"floor": "最低指导标准，当地不低于此，", "average": "平均标准，"}.get(value.basis, "")
        return f"{text}（{kind}{value.since.year}年{value.since.month}月起）"
    return text


@dataclass
class Answer:
    article: Article
    text: str  # the answer with its 依据 line
    citations: List[str]
    score: float
    region: str
    uses_example_values: bool

    def to_dict(self) -> dict:
        return {
            "article": self.article.id,
            "title": self.article.title,
            "text": self.text,
            "citations": self.citations,
            "score": round(self.score, 3),
            "region": self.region,
            "uses_example_values": self.uses_example_values,
        }


class PolicyDesk:
    def __init__(self, articles: List[Article], book: Union[RegionBook, Callable[[], RegionBook]]) -> None:
        """`book`: the regions, or a function giving the ones in force now (standards staff entered)."""
        self.articles = {a.id: a for a in articles}
        self._index = ArticleIndex(articles)
        self._books = book if callable(book) else (lambda: book)

    @property
    def _book(self) -> RegionBook:
        return self._books()

    def search(self, text: str, limit: int = 3, context: Optional[str] = None) -> List[Match]:
        """`context`: the previous article id or topic words, for a follow-up such as "那农村的呢"."""
        return self._index.search(text, limit, context)

    def suggest(
        self,
        text: str,
        region: Optional[str] = None,
        on: Optional[dt.date] = None,
        limit: int = 3,
        context: Optional[str] = None,
    ) -> List[Answer]:
        """The best `limit` articles for `text`, rendered, best first (however weak the match)."""
        return [self.render(m.article, region, on, m.score) for m in self.search(text, limit, context)]

    def answer(
        self, text: str, region: Optional[str] = None, on: Optional[dt.date] = None, context: Optional[str] = None
    ) -> Optional[Answer]:
        """The best article for `text`, or None when no article is close enough to answer."""
        best = self.suggest(text, region, on, 1, context)
        return best[0] if best and best[0].score >= MIN_SCORE else None

    def render(
        self, article: Article, region: Optional[str] = None, on: Optional[dt.date] = None, score: float = 1.0
    ) -> Answer:
        code = region if region and region in self._book else ROOT_REGION
        on = on or dt.date.today()
        values, used = {}, []
        for name in article.parameters:
            value = self._book.value(code, name, on)
            if value is None:
                values[name] = MISSING.get(CATALOGUE[name].kind, "当地标准")
            else:
                values[name] = _shown(value)
                used.append(value)
        body = string.Formatter().vformat(article.answer, (), values)
        citations = list(article.citations)
        for value in used:
            if not value.example and not any(value.source.startswith(c) for c in citations):
                citations.append(value.source)
        examples = any(v.example for v in used)
        place = self._book.region(code).name
        lines = [body]
        if used:
            lines.append(f"（数值按{place}的参数；{EXAMPLE_NOTE}）" if examples else f"（数值按{place}的参数。）")
        lines.append("依据：" + "；".join(citations))
        return Answer(article, "\n".join(lines), citations, score, code, examples)


@lru_cache(maxsize=1)
def default_desk() -> PolicyDesk:
    return PolicyDesk(load_articles(), default_book)
