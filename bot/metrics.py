"""Prometheus metrics and readiness of the project's API (`GET /metrics`, `GET /api/v1/ready`).

The API runs several worker processes on one port, and a scrape reaches any one of them, so counters
live in prometheus_client's multiprocess mode: each worker writes its own files under
PROMETHEUS_MULTIPROC_DIR (`python -m bot api` sets it, empty, before anything imports this module, since
prometheus_client picks its storage at import) and a scrape
adds them up. Figures that live in the database (leads by kind, notifications pending) are read at
scrape time: they are the same whichever worker, instance or machine filed them.

The Rasa servers' metrics (turns, latency per channel, fallbacks, handoffs, lock waits) are in
bot/channels/rasa_metrics.py; the core never imports Rasa.
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Callable, Dict, Optional

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


REQUESTS = Counter("jiuzhu_api_requests_total", "API requests", ["method", "route", "status"])
LATENCY = Histogram("jiuzhu_api_request_seconds", "API request latency", ["route"], buckets=LATENCY_BUCKETS)
SCREENINGS = Counter("jiuzhu_screenings_total", "Pre-screenings through the API (POST /api/v1/screenings)")


class DatabaseFigures:
    """Leads filed by kind and notifications pending, counted in the database at scrape time."""

    def __init__(self, sessions_factory: Callable[[], object]):
        self.sessions_factory = sessions_factory

    def collect(self):
        from sqlalchemy import func, select

        from bot.leads.tables import leads
        from bot.notify.tables import PENDING, notification_outbox

        filed = CounterMetricFamily("jiuzhu_leads_filed", "Leads filed, by emergency kind", labels=["kind"])
        pending = GaugeMetricFamily("jiuzhu_notifications_pending", "Notifications not yet delivered")
        try:
            with self.sessions_factory()() as session:
                for kind, count in session.execute(select(leads.c.kind, func.count()).group_by(leads.c.kind)):
                    filed.add_metric([kind or "none"], count)
                waiting = session.scalar(
                    select(func.count()).select_from(notification_outbox).where(notification_outbox.c.state == PENDING)
                )
                pending.add_metric([], waiting or 0)
        except Exception:  # noqa: BLE001 - a scrape while the database is down still shows the rest
            return
        yield filed
        yield pending


def registry(sessions_factory: Optional[Callable[[], object]] = None) -> CollectorRegistry:
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        reg = CollectorRegistry()
        multiprocess.MultiProcessCollector(reg)
    else:
        reg = CollectorRegistry()
        for collector in (REQUESTS, LATENCY, SCREENINGS):
            reg.register(collector)
    if sessions_factory is not None:
        reg.register(DatabaseFigures(sessions_factory))
    return reg


@web.middleware
async def measure(request: web.Request, handler):
    resource = request.match_info.route.resource
    route = resource.canonical if resource is not None else "unmatched"
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as error:
        status = error.status
        raise
    finally:
        LATENCY.labels(route).observe(time.perf_counter() - started)
        REQUESTS.labels(request.method, route, str(status)).inc()
        if route == "/api/v1/screenings" and request.method == "POST" and status == 200:
            SCREENINGS.inc()


def readiness_checks(sessions_factory: Callable[[], object], lock_store_url: Optional[str]) -> Dict[str, str]:
    """What this process needs to answer: the database, and Redis when instances share it. Blocking."""
    from sqlalchemy import text

    checks: Dict[str, str] = {}
    try:
        with sessions_factory()() as session:
            session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as error:  # noqa: BLE001 - reported, not raised
        checks["database"] = f"unreachable: {type(error).__name__}"
    if lock_store_url:
        import redis

        try:
            redis.Redis.from_url(lock_store_url, socket_timeout=2).ping()
            checks["redis"] = "ok"
        except redis.RedisError as error:
            checks["redis"] = f"unreachable: {type(error).__name__}"
    return checks


def setup(app: web.Application, sessions_factory: Callable[[], object]) -> None:
    """GET /metrics and GET /api/v1/ready on the API; requests measured by a middleware."""
    reg = registry(sessions_factory)

    async def metrics(_request: web.Request) -> web.Response:
        body = await asyncio.to_thread(generate_latest, reg)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})

    async def ready(_request: web.Request) -> web.Response:
        from bot.settings import get_settings

        settings = get_settings()
        checks = await asyncio.to_thread(readiness_checks, sessions_factory, settings.lock_store_url)
        ok = all(value == "ok" for value in checks.values())
        body = {"status": "ready" if ok else "not ready", "checks": checks}
        if not ok:
            body["message_zh"] = "服务暂不可用：数据库或 Redis 无法连接，请稍后再试。"
        return web.json_response(body, status=200 if ok else 503)

    app.middlewares.insert(0, measure)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/api/v1/ready", ready)
