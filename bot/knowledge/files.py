"""Reading a knowledge/ file: the one error for a file that is wrong, whatever kind of file it is,
and the two ways in — raw YAML (`read_yaml`) or YAML checked against a schema (`validated`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Type

import yaml
from pydantic import ValidationError, parse_obj_as

from bot.settings import PROJECT_ROOT

KNOWLEDGE_DIR = PROJECT_ROOT / "knowledge"
WHOLE_FILE = "(file)"  # the key named when the file as a whole is wrong


class KnowledgeFileError(ValueError):
    """`file`, `key` and `reason` say exactly where and why, so a reviewer can fix the file."""

    def __init__(self, file: str, key: str, reason: str) -> None:
        self.file, self.key, self.reason = file, key, reason
        super().__init__(f"{file}: {key}: {reason}")


def read_yaml(path: Path, error: Type[KnowledgeFileError] = KnowledgeFileError) -> Any:
    """The file's YAML; a missing or unparsable file raises `error` naming it."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as failure:
        raise error(path.name, WHOLE_FILE, f"cannot be read: {failure.strerror or failure}") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as failure:
        raise error(path.name, WHOLE_FILE, f"not valid YAML: {failure}") from None


def validated(path: Path, schema: Any, error: Type[KnowledgeFileError] = KnowledgeFileError) -> Any:
    """The file read as `schema` (a pydantic model or type); the first mismatch raises `error` with
    the key's path in the file (e.g. `kinds.fire.patterns.0`)."""
    raw = read_yaml(path, error)
    try:
        return parse_obj_as(schema, raw)
    except ValidationError as failure:
        first = failure.errors()[0]
        key = ".".join(str(part) for part in first["loc"] if part != "__root__") or WHOLE_FILE
        raise error(path.name, key, first["msg"]) from None
