"""Policy articles from knowledge/policies/: loading, search, and cited answers (no Rasa here)."""

from bot.policies.answers import Answer, PolicyDesk, default_desk
from bot.policies.library import Article, PolicyError, load_articles

__all__ = ["Answer", "Article", "PolicyDesk", "PolicyError", "default_desk", "load_articles"]
