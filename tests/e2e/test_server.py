"""End to end: the product as `make run` starts it, spoken to through the REST channel.

Needs a trained model (models/jiuzhu.tar.gz); `make test` trains before it runs these.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from bot.db import create_db_engine, session_factory
from bot.handoff import HandoffService
from bot.settings import PROJECT_ROOT
from tests.helpers import free_port

pytestmark = pytest.mark.e2e
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
            [sys.executable, "-m", "bot", "run"], cwd=PROJECT_ROOT, env=self.env,
            stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
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
        resp = requests.post(f"{self.rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=30)
        resp.raise_for_status()
        return [m.get("text", "") for m in resp.json()]

    def tracker(self, sender: str) -> dict:
        resp = requests.get(f"{self.rasa_url}/conversations/{sender}/tracker", timeout=30)
        resp.raise_for_status()
        return resp.json()

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "bot", *args], cwd=PROJECT_ROOT, env=self.env,
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip

    def open_handoff(self, conversation_id: str):
        engine = create_db_engine(self.env["JIUZHU_DATABASE_URL"])
        try:
            return HandoffService(session_factory(engine)).get_open(conversation_id)
        finally:
            engine.dispose()


@pytest.fixture
def stack(tmp_path):
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make train` (make test does) before the e2e tests")
    stack = Stack(tmp_path)
    yield stack
    if stack.proc is not None and stack.proc.poll() is None:
        stack.stop()


def test_hello_handoff_and_restart(stack):
    stack.start()
    assert any("救助政策小助手" in text for text in stack.say("e2e-hello", "你好"))

    # The project's API runs beside Rasa: worked example 1 of ELIGIBILITY.md §7.
    household = {"region": "220000", "area": "urban", "size": 3, "monthly_income": 1200, "assets_within_limit": True}
    screening = requests.post(f"{stack.api_url}/api/v1/screenings", json=household, timeout=30).json()
    assert screening["primary"] == "dibao"

    # Mixed Chinese/English (rasa#7910) reaches the handoff, which pauses and is recorded.
    replies = stack.say("e2e-1", "我要转人工 please")
    assert any("已为您登记转人工" in text for text in replies)
    handoff = stack.open_handoff("e2e-1")
    assert handoff is not None and handoff.channel == "rest"
    assert handoff.transcript[-1] == {"speaker": "user", "text": "我要转人工 please"}
    assert stack.say("e2e-1", "有人吗") == []  # paused: the bot stays quiet

    # Ctrl-C stops every child.
    assert stack.stop() == 0
    assert not any(port_open(p) for p in stack.ports)

    # After a restart the request and the pause are both still there.
    stack.start()
    assert stack.open_handoff("e2e-1") is not None
    assert stack.tracker("e2e-1")["paused"] is True
    assert stack.say("e2e-1", "你好") == []

    listed = stack.cli("handoffs", "list")
    assert listed.returncode == 0 and "e2e-1" in listed.stdout

    # Staff hand the conversation back; the bot answers again.
    resumed = stack.cli("handoffs", "resume", "e2e-1", "--by", "测试员")
    assert resumed.returncode == 0, resumed.stderr
    assert stack.open_handoff("e2e-1") is None
    assert any("救助政策小助手" in text for text in stack.say("e2e-1", "你好"))
    assert stack.stop() == 0


def test_a_child_that_dies_takes_the_supervisor_down(stack):
    stack.start()
    # Kill the action server behind the supervisor's back.
    action_port = stack.ports[1]
    pids = subprocess.run(["pgrep", "-f", f"rasa_sdk --actions actions --port {action_port}"], capture_output=True, text=True).stdout.split()
    assert pids, "action server process not found"
    os.kill(int(pids[0]), signal.SIGKILL)
    assert stack.proc.wait(timeout=60) == 1
    assert not any(port_open(p) for p in stack.ports)
