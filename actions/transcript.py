"""Reading Rasa's tracker events: the only place that knows their dict layout."""

from __future__ import annotations

from typing import Iterable, List

from bot.handoff import TranscriptLine

FALLBACK_INTENT = "nlu_fallback"


def recent_transcript(events: Iterable[dict], limit: int) -> List[TranscriptLine]:
    """The last `limit` user and bot messages of the conversation, oldest first."""
    lines = [
        TranscriptLine(speaker=event["event"], text=event.get("text") or "")
        for event in events
        if event.get("event") in ("user", "bot") and event.get("text")
    ]
    return lines[-limit:]


def consecutive_misses(events: Iterable[dict]) -> int:
    """How many of the latest user messages in a row the NLU could not understand."""
    misses = 0
    for event in reversed(list(events)):
        kind = event.get("event")
        if kind == "session_started":
            break
        if kind != "user":
            continue
        intent = (event.get("parse_data") or {}).get("intent") or {}
        if intent.get("name") != FALLBACK_INTENT:
            break
        misses += 1
    return misses
