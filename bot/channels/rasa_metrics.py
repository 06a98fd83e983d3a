"""`python -m bot.channels.rasa_metrics ARGS…`: the Rasa server of bot/channels/rasa_server.py with
`GET /metrics` (Prometheus) and `GET /ready` (readiness) added to its Sanic app, and a database or
Redis failure answered `503` (see `fail_instead_of_forgetting` and `install`).

`GET /` stays Rasa's liveness answer. `/ready` is 200 only when the model is loaded and the tracker
store's database and the lock store's Redis answer; the load balancer checks it, so an instance that
lost its database stops receiving messages instead of failing them.

Metrics: turns and their latency per channel (the `/webhooks/<channel>/…` requests), fallback and
handoff turns (the responses the turn uttered), and the time a message waited for its conversation's
lock (bot/channels/lock_store.py). One Rasa process per instance, so no multiprocess mode here.
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import sys
import time
from typing import Dict, List, Optional

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from bot.channels import edge, rasa_server
from bot.channels.lock_store import RedisTicketLockStore
from bot.metrics import CONTENT_TYPE, LATENCY_BUCKETS

TOKEN_VARIABLE = "JIUZHU_RASA_AUTH_TOKEN"  # set by the supervisor (bot/supervisor.py)
REGISTRY = CollectorRegistry()
TURNS = Counter("jiuzhu_rasa_turns_total", "Messages handled, by channel", ["channel", "status"], registry=REGISTRY)
TURN_SECONDS = Histogram(
    "jiuzhu_rasa_turn_seconds", "Turn latency, by channel", ["channel"], buckets=LATENCY_BUCKETS, registry=REGISTRY
)
FALLBACKS = Counter("jiuzhu_rasa_fallbacks_total", "Turns that asked the resident to rephrase", registry=REGISTRY)
HANDOFFS = Counter("jiuzhu_rasa_handoffs_total", "Turns that handed the conversation to staff", registry=REGISTRY)
LOCK_WAIT = Histogram(
    "jiuzhu_rasa_lock_wait_seconds",
    "Time a message waited for its conversation's lock (includes the messages queued before it)",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=REGISTRY,
)

UNAVAILABLE = Counter(
    "jiuzhu_rasa_unavailable_total", "Messages answered 503: the database or Redis failed", registry=REGISTRY
)
UNAVAILABLE_BODY = {
    "error": "unavailable",
    "message": "the database or Redis failed while handling the message; nothing was saved, retry it",
    "message_zh": "服务暂时不可用，您的消息没有被处理，请稍后重新发送。",
}
# The failures of the request being handled (the REST channel swallows exceptions and answers 200 with
# no message; the response middleware turns a failure recorded here into a clear 503).
_failures: contextvars.ContextVar[Optional[List[BaseException]]] = contextvars.ContextVar("failures", default=None)

FALLBACK_RESPONSES = {"utter_ask_rephrase"}
HANDOFF_RESPONSES = {"utter_handoff"}


def count_outcomes(events) -> None:
    """The responses uttered since the last user message (the turn just handled)."""
    uttered = set()
    for event in reversed(list(events)):
        name = type(event).__name__
        if name == "UserUttered":
            if (event.intent or {}).get("name") == "nlu_fallback":
                uttered |= FALLBACK_RESPONSES
            break
        if name == "BotUttered":
            uttered.add((event.metadata or {}).get("utter_action"))
    if uttered & FALLBACK_RESPONSES:
        FALLBACKS.inc()
    if uttered & HANDOFF_RESPONSES:
        HANDOFFS.inc()


def readiness(app) -> Dict[str, str]:
    """Blocking checks, run in a thread."""
    from sqlalchemy import text

    agent = getattr(app.ctx, "agent", None)
    checks = {"model": "ok" if agent is not None and agent.is_ready() else "not loaded"}
    if agent is None:
        return checks
    # Rasa 3.6 wraps the configured store in an AwaitableTrackerStore.
    store = getattr(agent.tracker_store, "_tracker_store", agent.tracker_store)
    engine = getattr(store, "engine", None)
    if engine is not None:
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            checks["database"] = "ok"
        except Exception as error:  # noqa: BLE001 - reported, not raised
            checks["database"] = f"unreachable: {type(error).__name__}"
    red = getattr(agent.lock_store, "red", None)
    if red is not None:
        try:
            red.ping()
            checks["redis"] = "ok"
        except Exception as error:  # noqa: BLE001
            checks["redis"] = f"unreachable: {type(error).__name__}"
    return checks


def install(app) -> None:
    from sanic import response

    async def metrics(_request):
        return response.raw(generate_latest(REGISTRY), content_type=CONTENT_TYPE)

    async def ready(request):
        checks = await asyncio.to_thread(readiness, request.app)
        ok = all(value == "ok" for value in checks.values())
        return response.json({"status": "ready" if ok else "not ready", "checks": checks}, status=200 if ok else 503)

    async def started(request):
        request.ctx.jiuzhu_started = time.perf_counter()
        _failures.set([])  # request middleware and handler run in one task: the handler sees this list

    async def finished(request, resp):
        parts = request.path.split("/")
        started_at = getattr(request.ctx, "jiuzhu_started", None)
        if len(parts) > 3 and parts[1] == "webhooks" and started_at is not None:
            channel = parts[2]
            if _failures.get():
                UNAVAILABLE.inc()
                resp = response.json(UNAVAILABLE_BODY, status=503, headers={"Retry-After": "5"})
            TURN_SECONDS.labels(channel).observe(time.perf_counter() - started_at)
            TURNS.labels(channel, "ok" if resp is not None and resp.status < 400 else "error").inc()
            return resp if _failures.get() else None

    app.add_route(metrics, "/metrics", methods=["GET"])
    app.add_route(ready, "/ready", methods=["GET"])
    app.register_middleware(started, "request")
    app.register_middleware(finished, "response")


def is_unavailable(error: BaseException) -> bool:
    """The database or Redis failed (down, restarting): the message can be retried as it is."""
    import redis
    from rasa.core.lock_store import LockError
    from sqlalchemy.exc import DBAPIError

    return isinstance(error, (DBAPIError, redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, LockError))


def fail_instead_of_forgetting() -> None:
    """Rasa's FailSafeTrackerStore answers a failed read with no tracker (the conversation starts over:
    a pre-screen forgets its answers) and a failed write into this process's memory (other instances
    never see it, a restart loses it). Here both fail the message instead: a 503, resent once the
    database is back, with the conversation whole (tests/e2e/test_instances.py)."""
    from rasa.core.tracker_store import FailSafeTrackerStore

    async def retrieve(self, sender_id):
        return await self._tracker_store.retrieve(sender_id)

    async def retrieve_full_tracker(self, sender_id):
        return await self._tracker_store.retrieve_full_tracker(sender_id)

    async def save(self, tracker) -> None:
        await self._tracker_store.save(tracker)

    FailSafeTrackerStore.retrieve = retrieve
    FailSafeTrackerStore.retrieve_full_tracker = retrieve_full_tracker
    FailSafeTrackerStore.save = save


def patch_rasa() -> None:
    import rasa.core.run
    from rasa.core.agent import Agent
    from rasa.core.processor import MessageProcessor

    fail_instead_of_forgetting()

    # No pool pre-ping, as in bot/db.py: a connection a restarted database dropped fails one message
    # (a 503, retried) and the pool then discards the connections of that age.
    handle_message = Agent.handle_message

    async def handle_message_noting_failures(self, message):
        try:
            return await handle_message(self, message)
        except Exception as error:
            failures = _failures.get()
            if failures is not None and is_unavailable(error):
                failures.append(error)
            raise

    Agent.handle_message = handle_message_noting_failures

    configure_app = rasa.core.run.configure_app

    def configure_app_with_metrics(*args, **kwargs):
        app = configure_app(*args, **kwargs)
        token = kwargs["auth_token"] if "auth_token" in kwargs else (args[2] if len(args) > 2 else None)
        edge.install(app, token)  # first: before anything reads the request
        install(app)
        return app

    rasa.core.run.configure_app = configure_app_with_metrics

    save_tracker = MessageProcessor.save_tracker

    async def save_tracker_counting(self, tracker) -> None:
        count_outcomes(tracker.events)
        await save_tracker(self, tracker)

    MessageProcessor.save_tracker = save_tracker_counting
    RedisTicketLockStore.on_wait = staticmethod(LOCK_WAIT.observe)


def main() -> None:
    patch_rasa()
    token = os.environ.get(TOKEN_VARIABLE)
    if token:
        # Given here, not on the command line, where `ps` would show it to every user of the machine.
        sys.argv += ["--auth-token", token]
    rasa_server.main()


if __name__ == "__main__":
    main()
