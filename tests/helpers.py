"""Small helpers shared by the tests."""

from __future__ import annotations

import os
import socket
from contextlib import asynccontextmanager

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


@asynccontextmanager
async def serving(app):
    """A Sanic app served on a free loopback port, with an aiohttp session on it."""
    import aiohttp

    port = free_port()
    server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True)
    await server.startup()
    try:
        async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as http:
            yield http
    finally:
        server.close()
        await server.wait_closed()
