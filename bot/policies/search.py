"""Which article a question is about: character n-gram TF-IDF over the ways residents ask it.

Characters, not words: residents write 低包, 边沿户, 五保户 and half-sentences; n-grams of 1–3
characters survive that where a word tokenizer does not. An article's score is half the best cosine
similarity of one of its questions (or its title) and half the similarity to the whole article
(title, questions and answer together): the first rewards a close paraphrase, the second a question
that uses the answer's own words. On the held-out questions this mix beat either alone
(scripts/nlu_gate.py prints the accuracy).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List, Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from bot.knowledge.policies import Article

# Words that say "I am asking" rather than what about; they would make every question look alike.
_FILLER = re.compile(
    r"请问|你好|您好|我想问一下|我想问|想咨询|咨询一下|问一下|一下|那个|就是|呢|吗|啊|呀|吧|？|\?|。|，|,|！|!"
)


def normalise(text: str) -> str:
    return _FILLER.sub(" ", text.lower()).strip()


@dataclass(frozen=True)
class Match:
    article: Article
    score: float  # cosine similarity, 0–1


WHOLE_ARTICLE_WEIGHT = 0.5


class ArticleIndex:
    def __init__(self, articles: Sequence[Article]) -> None:
        self._articles = list(articles)
        owner: List[int] = []
        questions: List[str] = []
        for i, article in enumerate(self._articles):
            for text in (article.title, *article.questions):
                questions.append(normalise(text))
                owner.append(i)
        whole = [normalise(" ".join((a.title, *a.questions, a.answer))) for a in self._articles]
        self._owner = np.array(owner)
        self._vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)
        self._vectorizer.fit(questions + whole)
        self._questions = self._vectorizer.transform(questions)
        self._whole = self._vectorizer.transform(whole)

    def search(self, text: str, limit: int = 3) -> List[Match]:
        query = self._vectorizer.transform([normalise(text)])
        if query.nnz == 0:
            return []
        by_question = (self._questions @ query.T).toarray().ravel()
        best = np.zeros(len(self._articles))
        np.maximum.at(best, self._owner, by_question)
        scores = (1 - WHOLE_ARTICLE_WEIGHT) * best + WHOLE_ARTICLE_WEIGHT * (self._whole @ query.T).toarray().ravel()
        ranked = np.argsort(-scores)[:limit]
        return [Match(self._articles[i], float(scores[i])) for i in ranked if scores[i] > 0]
