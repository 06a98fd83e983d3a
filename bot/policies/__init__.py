"""Policy articles from knowledge/policies/: loading, search, and cited answers (no Rasa here)."""

from bot.knowledge.policies import Article, PolicyError, load_articles
from bot.policies.answers import Answer, PolicyDesk, default_desk

__all__ = ["Answer", "Article", "PolicyDesk", "PolicyError", "default_desk", "load_articles"]
