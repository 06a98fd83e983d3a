"""`python -m bot run`: migrate, then start every server of the product under one parent.

Children: the action server (rasa_sdk), the Rasa server, the project's API (aiohttp) and the
notification sender (bot/notify: outbox delivery and escalation). If one of them dies the others are
stopped too, so a half-running product never looks healthy; Ctrl-C (SIGINT) or SIGTERM stops all.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import time
from dataclasses import dataclass
from typing import Dict, List, Optional

import aiohttp

from bot import migrate
from bot.settings import PROJECT_ROOT, Settings

logger = logging.getLogger("jiuzhu.supervisor")

STOP_GRACE_SECONDS = 15
READY_TIMEOUT_SECONDS = 300


@dataclass
class Child:
    name: str
    argv: List[str]
    ready_url: Optional[str]  # None: ready once started (the sender serves no HTTP)
    process: Optional[asyncio.subprocess.Process] = None


def rasa_process_env(settings: Settings) -> Dict[str, str]:
    env = dict(os.environ)
    env.update(settings.rasa_environment())
    env.setdefault("RASA_TELEMETRY_ENABLED", "false")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env["SANIC_HOST"] = settings.host  # rasa_sdk binds here instead of 0.0.0.0
    return env


def children(settings: Settings, model: str) -> List[Child]:
    python = sys.executable
    level = {"DEBUG": "-vv", "INFO": "-v", "WARNING": "--quiet"}.get(settings.log_level, "--quiet")
    rasa_argv = [
        python,
        "-m",
        "bot.channels.rasa_server",
        "run",  # `rasa run` with a fix, see bot/channels/rasa_server.py
        "--enable-api",
        "--model",
        model,
        "--endpoints",
        str(PROJECT_ROOT / "endpoints.yml"),
        "--credentials",
        str(PROJECT_ROOT / "credentials.yml"),
        "--interface",
        settings.host,
        "--port",
        str(settings.rasa_port),
        level,
    ]
    if settings.rasa_auth_token is not None:
        rasa_argv += ["--auth-token", settings.rasa_auth_token.get_secret_value()]
    return [
        Child(
            "action-server",
            [python, "-m", "rasa_sdk", "--actions", "actions", "--port", str(settings.action_port), level],
            f"{settings.action_url}/health",
        ),
        Child("rasa", rasa_argv, f"{settings.rasa_url}/"),
        Child("api", [python, "-m", "bot", "api"], f"{settings.api_url}/api/v1/health"),
        Child("notify", [python, "-m", "bot", "notify"], None),
    ]


async def _wait_ready(session: aiohttp.ClientSession, child: Child, deadline: float) -> None:
    while time.monotonic() < deadline:
        if child.process is not None and child.process.returncode is not None:
            raise RuntimeError(f"{child.name} exited with code {child.process.returncode} while starting")
        if child.ready_url is None:
            return
        try:
            async with session.get(child.ready_url, timeout=aiohttp.ClientTimeout(total=2)) as resp:
                if resp.status == 200:
                    return
        except (aiohttp.ClientError, asyncio.TimeoutError):
            pass
        await asyncio.sleep(0.5)
    raise RuntimeError(f"{child.name} not ready at {child.ready_url} after {READY_TIMEOUT_SECONDS}s")


async def _stop(procs: List[Child]) -> None:
    running = [c for c in procs if c.process is not None and c.process.returncode is None]
    for child in running:
        child.process.terminate()
    for child in running:
        try:
            await asyncio.wait_for(child.process.wait(), STOP_GRACE_SECONDS)
        except asyncio.TimeoutError:
            logger.warning("%s did not stop in %ss; killing it", child.name, STOP_GRACE_SECONDS)
            child.process.kill()
            await child.process.wait()


async def supervise(settings: Settings, model: str) -> int:
    migrate.upgrade(settings.database_url)
    procs = children(settings, model)
    env = rasa_process_env(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    exit_code = 0
    try:
        for child in procs:
            child.process = await asyncio.create_subprocess_exec(*child.argv, env=env, cwd=PROJECT_ROOT)
            logger.info("started %s (pid %s)", child.name, child.process.pid)
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        async with aiohttp.ClientSession() as session:
            ready = asyncio.gather(*(_wait_ready(session, c, deadline) for c in procs))
            stopped = asyncio.ensure_future(stop.wait())
            done, _ = await asyncio.wait({ready, stopped}, return_when=asyncio.FIRST_COMPLETED)
            if ready in done:
                ready.result()  # raises if a child failed to start
                print(
                    "\n救助助手已启动 / jiuzhu is up:\n"
                    f"  chat (REST):     POST {settings.rasa_url}/webhooks/rest/webhook\n"
                    f"  Rasa HTTP API:   {settings.rasa_url}/ (model/parse, conversations/…)\n"
                    f"  action server:   {settings.action_url}/health\n"
                    f"  jiuzhu API:      {settings.api_url}/api/v1/ (screenings, regions; OpenAPI at /api/v1/openapi.json)\n"
                    "Ctrl-C stops everything.\n",
                    flush=True,
                )
            else:
                ready.cancel()
            stopped.cancel()
        exits = [asyncio.ensure_future(c.process.wait()) for c in procs]
        stopped = asyncio.ensure_future(stop.wait())
        done, _ = await asyncio.wait({stopped, *exits}, return_when=asyncio.FIRST_COMPLETED)
        if stopped not in done:
            dead = next(c for c in procs if c.process.returncode is not None)
            logger.error("%s exited with code %s; stopping the rest", dead.name, dead.process.returncode)
            exit_code = 1
        stopped.cancel()
        for task in exits:
            task.cancel()
    except RuntimeError as error:
        logger.error("%s", error)
        exit_code = 1
    finally:
        await _stop(procs)
    return exit_code
