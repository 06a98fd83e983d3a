"""End to end: the product as `make run` starts it, spoken to through the REST channel.

Needs a trained model (models/jiuzhu.tar.gz); `make test` trains before it runs these.
"""

from __future__ import annotations

import os
import signal
import subprocess

import pytest
import requests

from tests.e2e.stack import port_open

pytestmark = pytest.mark.e2e


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
    pids = subprocess.run(
        ["pgrep", "-f", f"rasa_sdk --actions actions --port {action_port}"], capture_output=True, text=True
    ).stdout.split()
    assert pids, "action server process not found"
    os.kill(int(pids[0]), signal.SIGKILL)
    assert stack.proc.wait(timeout=60) == 1
    assert not any(port_open(p) for p in stack.ports)
