"""End to end: the product as `make run` starts it, spoken to through the REST channel.

Needs a trained model (models/jiuzhu.tar.gz); `make test` trains before it runs these.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time

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


def test_a_child_that_dies_is_restarted_and_the_product_answers_again(stack):
    stack.start()
    # Kill the action server behind the supervisor's back.
    action_port = stack.ports[1]
    pids = subprocess.run(
        ["pgrep", "-f", f"rasa_sdk --actions actions --port {action_port}"], capture_output=True, text=True
    ).stdout.split()
    assert pids, "action server process not found"
    os.kill(int(pids[0]), signal.SIGKILL)
    deadline = time.monotonic() + 120
    answered = False
    while time.monotonic() < deadline and not answered:
        time.sleep(1)
        try:
            answered = any("救助政策小助手" in text for text in stack.say("e2e-after-kill", "你好"))
        except requests.RequestException:
            pass
    assert answered, "the assistant did not answer again after its action server was killed"
    assert stack.proc.poll() is None  # the supervisor and the other children went on
    assert "action-server exited with code" in stack.log.read_text(errors="replace")
    assert stack.stop() == 0


def test_the_default_product_keeps_the_tracker_api_closed_and_survives_what_stopped_it(stack):
    """`make run` as it is: no token configured. The one-line attacks of the issue fail and change nothing."""
    stack.env.pop("JIUZHU_RASA_AUTH_TOKEN", None)
    stack.start()
    assert any("救助政策小助手" in text for text in stack.say("e2e-owner", "你好"))
    stack.say("e2e-owner", "我的电话是13912345678")
    for method, path in [
        ("GET", "/conversations/e2e-owner/tracker"),
        ("GET", "/conversations/e2e-owner/story"),
        ("POST", "/conversations/e2e-owner/tracker/events"),
        ("PUT", "/conversations/e2e-owner/tracker/events"),
        ("POST", "/conversations/e2e-owner/messages"),
        ("POST", "/model/parse"),
        ("DELETE", "/model"),
        ("GET", "/domain"),
        ("GET", "/status"),
    ]:
        resp = requests.request(method, f"{stack.rasa_url}{path}", json={"text": "x"}, timeout=30)
        assert resp.status_code == 401, (method, path, resp.status_code)
        assert "13912345678" not in resp.text
    assert stack.tracker("e2e-owner")["sender_id"] == "e2e-owner"  # our own clients hold the token

    # The lone-surrogate sender that stopped every process: a 400, and everything still runs.
    resp = requests.post(
        f"{stack.rasa_url}/webhooks/rest/webhook",
        data=b'{"sender": "\\ud83d", "message": "hi"}',
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert resp.status_code == 400 and resp.json()["error"]["message_zh"]
    for body in (b"", b"null", b"[]", b'{"sender": "s"}'):
        assert requests.post(f"{stack.rasa_url}/webhooks/rest/webhook", data=body, timeout=30).status_code == 400

    # A lone surrogate in a message, then 转人工: refused at the edge; the handoff queue still reads.
    resp = requests.post(
        f"{stack.rasa_url}/webhooks/rest/webhook",
        data=b'{"sender": "e2e-poison", "message": "\\udfff"}',
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert resp.status_code == 400
    assert any("已为您登记转人工" in text for text in stack.say("e2e-poison", "转人工"))
    listed = stack.cli("handoffs", "list")
    assert listed.returncode == 0 and "e2e-poison" in listed.stdout
    # The handoff queue and the request's page, as staff open them, still answer.
    created = stack.cli("staff", "add", "管理员", "--office", "市民政局", "--region", "22", "--role", "admin")
    token = created.stdout.strip().splitlines()[-1].split("：", 1)[1].strip()
    staff = requests.Session()
    assert staff.post(f"{stack.api_url}/console/login", data={"token": token}, timeout=30).ok
    queue = staff.get(f"{stack.api_url}/console/handoffs", timeout=30)
    assert queue.status_code == 200 and "e2e-poison" in queue.text
    handoff = stack.open_handoff("e2e-poison")
    assert staff.get(f"{stack.api_url}/console/handoffs/{handoff.id}", timeout=30).status_code == 200
    assert stack.proc.poll() is None
    assert any("救助政策小助手" in text for text in stack.say("e2e-owner", "你好"))
    assert stack.stop() == 0
