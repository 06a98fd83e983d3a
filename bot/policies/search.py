"""Which article a question is about: character n-gram TF-IDF over the ways residents ask it.

Characters, not words: residents write 低包, 边沿户, 五保户 and half-sentences; n-grams of 1–3
characters survive that where a word tokenizer does not. An article scores the best cosine
similarity of any of its questions (plus its title).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List, Sequence

from sklearn.feature_extraction.text import TfidfVectorizer

from bot.policies.library import Article

# Words that say "I am asking" rather than what about; they would make every question look alike.
_FILLER = re.compile(r"请问|你好|您好|我想问一下|我想问|想咨询|咨询一下|问一下|一下|那个|就是|呢|吗|啊|呀|吧|？|\?|。|，|,|！|!")


def normalise(text: str) -> str:
    return _FILLER.sub(" ", text.lower()).strip()


@dataclass(frozen=True)
class Match:
    article: Article
    score: float  # cosine similarity, 0–1


class ArticleIndex:
    def __init__(self, articles: Sequence[Article]) -> None:
        self._articles = list(articles)
        self._owner: List[int] = []
        docs: List[str] = []
        for i, article in enumerate(self._articles):
            for text in (article.title, *article.questions):
                docs.append(normalise(text))
                self._owner.append(i)
        self._vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)
        self._matrix = self._vectorizer.fit_transform(docs)

    def search(self, text: str, limit: int = 3) -> List[Match]:
        query = self._vectorizer.transform([normalise(text)])
        if query.nnz == 0:
            return []
        scores = (self._matrix @ query.T).toarray().ravel()
        best = {}
        for doc, score in enumerate(scores):
            owner = self._owner[doc]
            if score > best.get(owner, 0.0):
                best[owner] = float(score)
        ranked = sorted(best.items(), key=lambda item: -item[1])[:limit]
        return [Match(self._articles[i], score) for i, score in ranked]
