"""12345 hotline operator assist: calls, their utterances, and the assistance for each (no Rasa)."""

from bot.hotline.service import CallError, CallNotFound, CallService

__all__ = ["CallError", "CallNotFound", "CallService"]
