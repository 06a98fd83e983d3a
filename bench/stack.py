"""What the benchmarks share: free ports, percentiles, and the product started as `make run` starts it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, Optional

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values, p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] if ordered else float("nan")


def start_stack(workdir: Path, extra_env: Optional[Dict[str, str]] = None):
    """`python -m bot run` on a scratch SQLite file and free ports → (process, Rasa server URL)."""
    env = dict(os.environ)
    env.update(
        JIUZHU_DATABASE_URL=f"sqlite:///{workdir / 'bench.db'}",
        JIUZHU_RASA_PORT=str(free_port()),
        JIUZHU_ACTION_PORT=str(free_port()),
        JIUZHU_API_PORT=str(free_port()),
        JIUZHU_LOG_LEVEL="WARNING",
        RASA_TELEMETRY_ENABLED="false",
        **(extra_env or {}),
    )
    log = open(workdir / "stack.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{env['JIUZHU_RASA_PORT']}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"stack exited with {proc.returncode}; see {workdir / 'stack.log'}")
        if "jiuzhu is up" in (workdir / "stack.log").read_text(errors="replace"):
            return proc, url
        time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    raise SystemExit("stack did not come up within 300 s")


def stop_stack(proc) -> None:
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=60)


def rasa_token() -> str:
    """The token the stack's Rasa HTTP API demands (/model/parse): the one `python -m bot run` uses."""
    from bot.rasa_client import api_token
    from bot.settings import Settings

    return api_token(Settings())
