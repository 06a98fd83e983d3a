"""Small helpers shared by the tests."""

from __future__ import annotations

import os
import socket

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require_or_skip(message: str) -> None:
    """A missing service or tool: fail in CI (never skip silently there), skip elsewhere."""
    if in_ci():
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


RASA_TEST_TOKEN = "edge-test-token-0123456789"  # the `rasa` fixture's API token (tests/conftest.py)
