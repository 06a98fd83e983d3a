"""The articles of knowledge/policies/*.yaml, validated on load (a bad file names itself and the key)."""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from pathlib import Path
from typing import List, Tuple

from bot.knowledge.files import KNOWLEDGE_DIR, WHOLE_FILE, KnowledgeFileError, read_yaml
from bot.knowledge.parameters import CATALOGUE

POLICIES_DIR = KNOWLEDGE_DIR / "policies"
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


class PolicyError(KnowledgeFileError):
    """A policy article file is wrong."""


@dataclass(frozen=True)
class Article:
    id: str
    title: str
    questions: Tuple[str, ...]
    answer: str  # may hold {parameter} placeholders
    citations: Tuple[str, ...]
    file: str

    @property
    def parameters(self) -> List[str]:
        return [name for _, name, _, _ in string.Formatter().parse(self.answer) if name]


def _article(file: str, index: int, raw) -> Article:
    where = f"[{index}]"
    if not isinstance(raw, dict):
        raise PolicyError(file, where, "an article must be a mapping")
    unknown = set(raw) - {"id", "title", "questions", "answer", "citations"}
    if unknown:
        raise PolicyError(file, where, f"unknown keys {sorted(unknown)}")
    article_id = raw.get("id")
    if not isinstance(article_id, str) or not _ID.match(article_id):
        raise PolicyError(file, f"{where}.id", "must be snake_case")
    where = article_id
    for key in ("title", "answer"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise PolicyError(file, f"{where}.{key}", "must be non-empty text")
    for key, least in (("questions", 3), ("citations", 1)):
        values = raw.get(key)
        if (
            not isinstance(values, list)
            or len(values) < least
            or not all(isinstance(v, str) and v.strip() for v in values)
        ):
            raise PolicyError(file, f"{where}.{key}", f"must list at least {least} non-empty texts")
    article = Article(
        article_id,
        raw["title"].strip(),
        tuple(q.strip() for q in raw["questions"]),
        " ".join(raw["answer"].split()),
        tuple(c.strip() for c in raw["citations"]),
        file,
    )
    try:
        names = article.parameters
    except ValueError as error:
        raise PolicyError(file, f"{where}.answer", f"bad placeholder: {error}") from None
    for name in names:
        if name not in CATALOGUE:
            raise PolicyError(file, f"{where}.answer", f"unknown parameter {{{name}}}")
    return article


def load_articles(directory: Path = POLICIES_DIR) -> List[Article]:
    articles: List[Article] = []
    for path in sorted(directory.glob("*.yaml")):
        raw = read_yaml(path, PolicyError)
        if not isinstance(raw, list):
            raise PolicyError(path.name, WHOLE_FILE, "the file must be a list of articles")
        articles.extend(_article(path.name, i, item) for i, item in enumerate(raw))
    seen = set()
    for article in articles:
        if article.id in seen:
            raise PolicyError(article.file, article.id, "duplicate id")
        seen.add(article.id)
    if not articles:
        raise PolicyError(str(directory), WHOLE_FILE, "no articles")
    return articles
