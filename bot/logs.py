"""Logs as one JSON object a line (for a log collector), with the conversation they belong to.

`JIUZHU_LOG_FORMAT=json` switches every process `python -m bot run` starts — ours through `configure`,
Rasa's and the action server's through `deploy/logging-json.yml` (their `--logging-config-file`). The
masking filter of bot/privacy.py runs before any formatter: no ID or phone number is written in full.
"""

from __future__ import annotations

import contextvars
import json
import logging
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Iterator, Optional

from bot.privacy import mask_logs, mask_pii

CONVERSATION: contextvars.ContextVar[Optional[str]] = contextvars.ContextVar("conversation_id", default=None)
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


@contextmanager
def conversation(conversation_id: Optional[str]) -> Iterator[None]:
    """Log lines written inside carry this conversation's id (threads started inside inherit it)."""
    token = CONVERSATION.set(conversation_id)
    try:
        yield
    finally:
        CONVERSATION.reset(token)


class ConversationFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "conversation_id", None):
            record.conversation_id = CONVERSATION.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, tz=timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        conversation_id = getattr(record, "conversation_id", None) or CONVERSATION.get()
        if conversation_id:
            line["conversation_id"] = mask_pii(str(conversation_id))
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, ensure_ascii=False)


def configure(level: str, fmt: str = "text") -> None:
    """The root logger of one of our processes: text or JSON lines, masked, with the conversation id."""
    logging.basicConfig(level=level, format=TEXT_FORMAT)
    root = logging.getLogger()
    for handler in root.handlers:
        if fmt == "json":
            handler.setFormatter(JsonFormatter())
        if not any(isinstance(f, ConversationFilter) for f in handler.filters):
            handler.addFilter(ConversationFilter())
    mask_logs()  # no ID or phone number reaches a log line in full, whatever logged it
