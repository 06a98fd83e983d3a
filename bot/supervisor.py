"""`python -m bot run`: migrate, then start every server of the product under one parent.

Children: the action server (rasa_sdk), the Rasa server, the project's API (aiohttp) and the
notification sender (bot/notify: outbox delivery and escalation). A child that dies is restarted, with
its exit code logged, after a delay that doubles with each of its deaths in the last five minutes
(1, 2, 4, 8 s); its fifth death within five minutes stops everything, so a product that cannot run does
not look healthy. Ctrl-C (SIGINT) or SIGTERM stops all.

Rasa's HTTP API always needs a token (`secured`): JIUZHU_RASA_AUTH_TOKEN, or on a loopback host one
generated into var/rasa_api.token; every child gets it in its environment, never on a command line.

`--instances N` (N > 1): N Rasa servers, each with its own action server, on instance ports, behind
haproxy on the usual Rasa port (deploy/haproxy.cfg.template). They share the tracker store (PostgreSQL)
and the lock store (Redis), so both are required. An instance that dies is restarted while the others
serve; haproxy stops sending it messages within two failed checks.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
import string
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

import aiohttp

from bot import migrate
from bot.settings import PROJECT_ROOT, Settings

logger = logging.getLogger("jiuzhu.supervisor")

STOP_GRACE_SECONDS = 15
READY_TIMEOUT_SECONDS = 300
RESTART_DELAY_SECONDS = 1
RESTART_MAX_DELAY_SECONDS = 30
RESTART_LIMIT = 5  # deaths of one child within the window before the product gives up
RESTART_WINDOW_SECONDS = 300
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
MAX_CONTAINER_INSTANCES = 16  # compose: haproxy keeps this many slots for the `rasa` replicas
HAPROXY_TEMPLATE = PROJECT_ROOT / "deploy" / "haproxy.cfg.template"
HAPROXY_503 = PROJECT_ROOT / "deploy" / "haproxy-503.http"
CONTAINER_HAPROXY_DIR = "/usr/local/etc/haproxy"  # the haproxy image's; compose.yaml mounts deploy/ files there
RASA_CHECK_PATH = "/ready"  # bot/channels/rasa_metrics.py: model loaded, database and Redis reachable


@dataclass
class Child:
    name: str
    argv: List[str]
    ready_url: Optional[str]  # None: ready once started (the sender serves no HTTP)
    process: Optional[asyncio.subprocess.Process] = None
    env: Optional[Dict[str, str]] = None  # None: the supervisor's common environment
    deaths: List[float] = field(default_factory=list)  # when it died (monotonic), within the window
    after_first: bool = False  # started once the first instance is ready (see supervise)


class NotScalable(ValueError):
    """Several instances asked for without the shared stores they need."""


class NotSecure(NotScalable):
    """A Rasa HTTP API that others could reach without a token."""


def is_loopback(host: str) -> bool:
    import ipaddress

    if host in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def secured(settings: Settings) -> Settings:
    """The settings with the token Rasa's HTTP API demands: the configured one, or on a loopback host one
    generated once under var/. A host others can reach must be given one (a generated token would be
    known to no client of another machine, and an open API leaks every conversation)."""
    from pydantic import SecretStr

    from bot.rasa_client import api_token

    if settings.rasa_auth_token is not None and settings.rasa_auth_token.get_secret_value():
        return settings
    if not is_loopback(settings.host):
        raise NotSecure(
            f"JIUZHU_HOST={settings.host} 可被其他机器访问，必须设置 JIUZHU_RASA_AUTH_TOKEN（Rasa 接口的访问令牌）"
            f" / JIUZHU_HOST={settings.host} is reachable by others: set JIUZHU_RASA_AUTH_TOKEN"
        )
    return settings.copy(update={"rasa_auth_token": SecretStr(api_token(settings))})


def rasa_process_env(settings: Settings) -> Dict[str, str]:
    env = dict(os.environ)
    env.update(settings.rasa_environment())
    env.setdefault("RASA_TELEMETRY_ENABLED", "false")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env["SANIC_HOST"] = settings.host  # rasa_sdk binds here instead of 0.0.0.0
    if settings.rasa_auth_token is not None:
        env["JIUZHU_RASA_AUTH_TOKEN"] = settings.rasa_auth_token.get_secret_value()  # bot/channels/rasa_metrics.py
    return env


def instance_settings(settings: Settings, index: int) -> Settings:
    """Instance `index` (0-based) of several: its own Rasa and action ports, everything else shared."""
    base = settings.instance_port_base + 2 * index
    return settings.copy(update={"rasa_port": base, "action_port": base + 1})


def check_scalable(settings: Settings, instances: int) -> None:
    if instances == 1:
        return
    from sqlalchemy.engine import make_url

    if make_url(settings.database_url).get_backend_name() != "postgresql":
        raise NotScalable(
            "多实例运行需要 PostgreSQL（各实例共用会话记录）：请设置 JIUZHU_DATABASE_URL=postgresql://… "
            "/ several instances share the tracker store: JIUZHU_DATABASE_URL must be PostgreSQL"
        )
    if not settings.lock_store_url:
        raise NotScalable(
            "多实例运行需要 Redis（同一会话的消息逐条处理）：请设置 JIUZHU_LOCK_STORE_URL=redis://… "
            "/ several instances share the lock store: JIUZHU_LOCK_STORE_URL must be set"
        )


def haproxy_config(
    settings: Settings,
    instances: int,
    servers: Optional[str] = None,
    resolvers: str = "",
    errorfile: Path = HAPROXY_503,
) -> str:
    """deploy/haproxy.cfg.template for these settings: the usual Rasa port in front of the instances.

    `servers`/`resolvers` replace the local instance list, for containers found by DNS (deploy/)."""
    if servers is None:
        servers = "\n".join(
            f"    server rasa{i + 1} {settings.host}:{instance_settings(settings, i).rasa_port} check"
            for i in range(instances)
        )
    return string.Template(HAPROXY_TEMPLATE.read_text(encoding="utf-8")).substitute(
        listen_host=settings.host,
        listen_port=settings.rasa_port,
        check_path=RASA_CHECK_PATH,
        servers=servers,
        resolvers=resolvers,
        errorfile_503=str(errorfile),
    )


def container_haproxy_config(settings: Settings) -> str:
    """deploy/haproxy.compose.cfg: the same balancer in compose.yaml, finding the `rasa` service's
    replicas through Docker's DNS (a test keeps the committed file equal to this)."""
    return haproxy_config(
        settings.copy(update={"host": "0.0.0.0"}),
        0,
        servers=f"    server-template rasa {MAX_CONTAINER_INSTANCES} rasa:{settings.rasa_port} check "
        "resolvers docker init-addr last,libc,none",
        resolvers="resolvers docker\n    nameserver dns 127.0.0.11:53\n    hold valid 5s\n",
        errorfile=Path(CONTAINER_HAPROXY_DIR) / HAPROXY_503.name,
    )


def haproxy_binary() -> str:
    found = shutil.which("haproxy") or next((p for p in ("/usr/sbin/haproxy",) if Path(p).exists()), None)
    if found is None:
        raise NotScalable("多实例运行需要 haproxy：sudo apt-get install haproxy（或 scripts/ensure-haproxy.sh）")
    return found


def rasa_argv(settings: Settings, model: str) -> List[str]:
    level = {"DEBUG": "-vv", "INFO": "-v", "WARNING": "--quiet"}.get(settings.log_level, "--quiet")
    argv = [
        sys.executable,
        "-m",
        "bot.channels.rasa_metrics",
        "run",  # `rasa run` with a fix (bot/channels/rasa_server.py), /metrics and /ready
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
        *_logging_config(settings),
    ]
    return argv  # the token reaches Rasa in the environment (rasa_process_env), where `ps` does not show it


def action_argv(settings: Settings) -> List[str]:
    level = {"DEBUG": "-vv", "INFO": "-v", "WARNING": "--quiet"}.get(settings.log_level, "--quiet")
    return [
        sys.executable,
        "-m",
        "rasa_sdk",
        "--actions",
        "actions",
        "--port",
        str(settings.action_port),
        level,
        *_logging_config(settings, flag="--logging-config_file"),  # rasa_sdk's spelling of Rasa's option
    ]


def _logging_config(settings: Settings, flag: str = "--logging-config-file") -> List[str]:
    """Rasa's and the action server's logs as ours, ID and phone numbers masked: JSON lines when asked
    for (deploy/logging-json.yml), else Rasa's own text format (deploy/logging-text.yml)."""
    name = "logging-json.yml" if settings.log_format == "json" else "logging-text.yml"
    return [flag, str(PROJECT_ROOT / "deploy" / name)]


def children(settings: Settings, model: str, instances: int = 1, workdir: Optional[Path] = None) -> List[Child]:
    python = sys.executable
    shared = [
        Child("api", [python, "-m", "bot", "api"], f"{settings.api_url}/api/v1/health"),
        Child("notify", [python, "-m", "bot", "notify"], None),
    ]
    if instances == 1:
        return [
            Child("action-server", action_argv(settings), f"{settings.action_url}/health"),
            Child("rasa", rasa_argv(settings, model), f"{settings.rasa_url}/"),
            *shared,
        ]
    config = (workdir or PROJECT_ROOT / "var") / f"haproxy-{settings.rasa_port}.cfg"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(haproxy_config(settings, instances), encoding="utf-8")
    procs = []
    for i in range(instances):
        own = instance_settings(settings, i)
        env = rasa_process_env(own)
        procs.append(Child(f"action-server-{i + 1}", action_argv(own), f"{own.action_url}/health", env=env))
        procs.append(
            Child(
                f"rasa-{i + 1}",
                rasa_argv(own, model),
                f"{own.rasa_url}{RASA_CHECK_PATH}",
                env=env,
                after_first=i > 0,
            )
        )
    # -db: stay in the foreground, as a supervised child; -W: master-worker, reloads without a gap.
    balancer = Child("haproxy", [haproxy_binary(), "-db", "-W", "-f", str(config)], f"{settings.rasa_url}/")
    return [*procs, balancer, *shared]


def _restart_delay(child: Child, now: float) -> Optional[float]:
    """How long to wait before restarting a child that just died; None once it keeps dying."""
    child.deaths = [t for t in child.deaths if now - t < RESTART_WINDOW_SECONDS] + [now]
    if len(child.deaths) >= RESTART_LIMIT:
        return None
    return min(RESTART_DELAY_SECONDS * 2 ** (len(child.deaths) - 1), RESTART_MAX_DELAY_SECONDS)


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


async def _spawn(child: Child, env: Dict[str, str]) -> None:
    child.process = await asyncio.create_subprocess_exec(*child.argv, env=child.env or env, cwd=PROJECT_ROOT)
    logger.info("started %s (pid %s)", child.name, child.process.pid)


def _token_source(settings: Settings) -> str:
    from bot.local_secrets import VAR_DIR, kept_secret, shown
    from bot.rasa_client import TOKEN_FILE

    token = settings.rasa_auth_token.get_secret_value() if settings.rasa_auth_token else ""
    path = VAR_DIR / TOKEN_FILE
    if path.exists() and kept_secret(TOKEN_FILE) == token:
        return f"token {shown(token)} in {path.relative_to(PROJECT_ROOT)}"
    return f"token {shown(token)} from JIUZHU_RASA_AUTH_TOKEN"


def _banner(settings: Settings, procs: List[Child], instances: int) -> str:
    lines = [
        "\n救助助手已启动 / jiuzhu is up:",
        f"  chat (REST):     POST {settings.rasa_url}/webhooks/rest/webhook",
        f"  Rasa HTTP API:   {settings.rasa_url}/ (model/parse, conversations/…; ?token=…, {_token_source(settings)})",
    ]
    if instances == 1:
        lines.append(f"  action server:   {settings.action_url}/health")
    else:
        lines[1] += f"  (haproxy → {instances} instances)"
        by_name = {c.name: c for c in procs}
        for i in range(instances):
            own = instance_settings(settings, i)
            rasa, actions = by_name[f"rasa-{i + 1}"], by_name[f"action-server-{i + 1}"]
            lines.append(
                f"  instance {i + 1}:      Rasa {own.rasa_url} (pid {rasa.process.pid}), "
                f"actions {own.action_url} (pid {actions.process.pid})"
            )
    lines.append(
        f"  jiuzhu API:      {settings.api_url}/api/v1/ (screenings, regions; OpenAPI at /api/v1/openapi.json)"
    )
    lines.append("Ctrl-C stops everything.\n")
    return "\n".join(lines)


async def _start_all(settings: Settings, procs: List[Child], env: Dict[str, str], stop: asyncio.Event) -> bool:
    """Starts the children and waits until each is ready; False when asked to stop meanwhile.

    With several instances the first Rasa server starts alone: each creates the tracker store's table
    on start, and two creating it at once collide in PostgreSQL's catalogue."""
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    async with aiohttp.ClientSession() as session:
        for phase in ([c for c in procs if not c.after_first], [c for c in procs if c.after_first]):
            for child in phase:
                await _spawn(child, env)
            ready = asyncio.gather(*(_wait_ready(session, c, deadline) for c in phase))
            stopped = asyncio.ensure_future(stop.wait())
            done, _ = await asyncio.wait({ready, stopped}, return_when=asyncio.FIRST_COMPLETED)
            stopped.cancel()
            if ready not in done:
                ready.cancel()
                return False
            ready.result()  # raises if a child failed to start
    return True


async def supervise(settings: Settings, model: str, instances: int = 1) -> int:
    check_scalable(settings, instances)
    settings = secured(settings)
    migrate.upgrade(settings.database_url)
    procs = children(settings, model, instances)
    env = rasa_process_env(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    exit_code = 0
    try:
        if await _start_all(settings, procs, env, stop):
            print(_banner(settings, procs, instances), flush=True)
        while not stop.is_set():
            exits = {asyncio.ensure_future(c.process.wait()): c for c in procs if c.process is not None}
            stopped = asyncio.ensure_future(stop.wait())
            done, _ = await asyncio.wait({stopped, *exits}, return_when=asyncio.FIRST_COMPLETED)
            stopped.cancel()
            for task in exits:
                task.cancel()
            if stop.is_set():
                break
            dead = next(c for task, c in exits.items() if task in done)
            delay = _restart_delay(dead, time.monotonic())
            if delay is None:
                logger.error(
                    "%s exited with code %s, its %s death within %ss; stopping the rest",
                    dead.name,
                    dead.process.returncode,
                    RESTART_LIMIT,
                    RESTART_WINDOW_SECONDS,
                )
                exit_code = 1
                break
            logger.error("%s exited with code %s; restarting it in %ss", dead.name, dead.process.returncode, delay)
            try:
                await asyncio.wait_for(stop.wait(), delay)
                break  # asked to stop meanwhile
            except asyncio.TimeoutError:
                pass
            await _spawn(dead, env)
    except RuntimeError as error:
        logger.error("%s", error)
        exit_code = 1
    finally:
        await _stop(procs)
    return exit_code
