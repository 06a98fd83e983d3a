"""The base of the errors a caller can act on, whatever the service (the queue's, the calls'):
`code` for programs, `message_zh` for people, `status` for the API's answer."""

from __future__ import annotations

from typing import Optional


class ServiceError(Exception):
    code = "service_error"
    message_zh = "操作失败"
    status = 400

    def __init__(self, message: str, message_zh: Optional[str] = None) -> None:
        super().__init__(message)
        if message_zh:
            self.message_zh = message_zh
