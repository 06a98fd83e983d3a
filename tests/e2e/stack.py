"""The product as `make run` starts it, in a subprocess with its own database and ports."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
import requests

from bot.db import create_db_engine, session_factory
from bot.handoff import HandoffService
from bot.local_secrets import kept_secret
from bot.rasa_client import TOKEN_FILE
from bot.settings import PROJECT_ROOT
from tests.helpers import free_port

MODEL = PROJECT_ROOT / "models" / "jiuzhu.tar.gz"


def port_open(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


class Stack:
    """`python -m bot run` in a subprocess, with its own database and ports."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.env = dict(os.environ)
        self.env.update(
            JIUZHU_DATABASE_URL=f"sqlite:///{workdir / 'e2e.db'}",
            JIUZHU_RASA_PORT=str(free_port()),
            JIUZHU_ACTION_PORT=str(free_port()),
            JIUZHU_API_PORT=str(free_port()),
            JIUZHU_LOG_LEVEL="WARNING",
            RASA_TELEMETRY_ENABLED="false",
        )
        self.rasa_url = f"http://127.0.0.1:{self.env['JIUZHU_RASA_PORT']}"
        self.api_url = f"http://127.0.0.1:{self.env['JIUZHU_API_PORT']}"
        self.proc = None
        self.log = workdir / "stack.log"

    @property
    def ports(self):
        return tuple(int(self.env[k]) for k in ("JIUZHU_RASA_PORT", "JIUZHU_ACTION_PORT", "JIUZHU_API_PORT"))

    def start(self, timeout: float = 300) -> None:
        out = open(self.log, "a")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=PROJECT_ROOT,
            env=self.env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"stack exited with {self.proc.returncode}:\n{self.log.read_text()[-3000:]}")
            if self.log.read_text(errors="replace").count("jiuzhu is up") > getattr(self, "_starts", 0):
                self._starts = getattr(self, "_starts", 0) + 1
                return
            time.sleep(0.5)
        self.stop()
        pytest.fail(f"stack not up after {timeout}s:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> int:
        """Ctrl-C, as a person would; returns the supervisor's exit code."""
        self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(timeout=90)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            pytest.fail("supervisor did not stop within 90 s of Ctrl-C")

    def say(self, sender: str, text: str) -> list:
        return [m.get("text", "") for m in self.send(sender, text)]

    def send(self, sender: str, text: str) -> list:
        """The bot's messages as the REST channel returns them (text, and `custom` data)."""
        resp = requests.post(
            f"{self.rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=30
        )
        resp.raise_for_status()
        return resp.json()

    @property
    def token(self) -> str:
        """The Rasa API token the stack runs with: the environment's, else the one it generated."""
        return self.env.get("JIUZHU_RASA_AUTH_TOKEN") or kept_secret(TOKEN_FILE)

    def tracker(self, conversation_id: str) -> dict:
        resp = requests.get(
            f"{self.rasa_url}/conversations/{quote(conversation_id, safe=':')}/tracker",
            params={"token": self.token},
            timeout=30,
        )
        resp.raise_for_status()
        return resp.json()

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "bot", *args],
            cwd=PROJECT_ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    def open_handoff(self, conversation_id: str):
        engine = create_db_engine(self.env["JIUZHU_DATABASE_URL"])
        try:
            return HandoffService(session_factory(engine)).get_open(conversation_id)
        finally:
            engine.dispose()
