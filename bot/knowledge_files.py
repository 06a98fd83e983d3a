"""The one error for a knowledge/ file that is wrong, whatever kind of file it is."""

from __future__ import annotations


class KnowledgeFileError(ValueError):
    """`file`, `key` and `reason` say exactly where and why, so a reviewer can fix the file."""

    def __init__(self, file: str, key: str, reason: str) -> None:
        self.file, self.key, self.reason = file, key, reason
        super().__init__(f"{file}: {key}: {reason}")
