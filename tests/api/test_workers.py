"""`python -m bot api` with several worker processes sharing the port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import requests

from bot.settings import PROJECT_ROOT
from tests.helpers import free_port


def start(tmp_path, workers: int):
    port = free_port()
    env = dict(
        os.environ,
        JIUZHU_DATABASE_URL=f"sqlite:///{tmp_path / 'w.db'}",
        JIUZHU_API_PORT=str(port),
        JIUZHU_API_WORKERS=str(workers),
        JIUZHU_HOUSEHOLD_KEY_SECRET="w",
        JIUZHU_LOG_LEVEL="WARNING",
    )
    proc = subprocess.Popen([sys.executable, "-m", "bot", "api"], cwd=PROJECT_ROOT, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).ok:
                return proc, port
        except requests.ConnectionError:
            time.sleep(0.2)
    proc.kill()
    raise AssertionError("API did not come up")


def workers_of(parent: int):
    out = subprocess.run(["pgrep", "-P", str(parent)], capture_output=True, text=True).stdout.split()
    return [int(pid) for pid in out]


def test_two_workers_serve_and_stop_on_ctrl_c(tmp_path):
    proc, port = start(tmp_path, 2)
    assert len(workers_of(proc.pid)) == 2
    for _ in range(20):
        assert requests.get(f"http://127.0.0.1:{port}/api/v1/regions", timeout=5).status_code == 200
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=30) == 0
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = open(f"/proc/{pid}/stat").read().split()[2]
    return state != "Z"


def test_a_dead_worker_ends_the_service(tmp_path):
    proc, _port = start(tmp_path, 2)
    first, second = workers_of(proc.pid)
    os.kill(first, signal.SIGKILL)
    assert proc.wait(timeout=30) == 1
    time.sleep(0.5)
    assert not alive(second)  # the surviving worker was stopped too
