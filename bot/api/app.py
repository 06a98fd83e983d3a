"""aiohttp application: `/api/v1/...`. Bad input is a 400 naming the field, in Chinese and English;
nothing a client sends can produce a 500."""

from __future__ import annotations

import asyncio
import logging
import secrets
from typing import Optional

from aiohttp import web

from bot import metrics, runtime
from bot.api import console, handoffs, screenings
from bot.api import dashboard as dashboard_routes
from bot.api import leads as leads_routes
from bot.api import standards as standards_routes
from bot.api.auth import GUESSES_KEY, STAFF_KEY, TokenGuesses
from bot.api.dashboard import DASHBOARD_KEY, TRACKER_KEY
from bot.api.errors import dumps, errors_middleware
from bot.api.handoffs import HANDOFFS_KEY, TAKEOVER_KEY
from bot.api.leads import LEADS_KEY
from bot.api.openapi import openapi_document
from bot.api.places import region_label
from bot.api.screenings import BOOK_KEY
from bot.api.standards import STANDARDS_KEY
from bot.dashboard import DashboardService, TrackerEvents
from bot.eligibility import RegionBook
from bot.eligibility.engine import seed_book
from bot.handoff import HandoffService, Takeover
from bot.hotline import CallService
from bot.hotline import page as hotline_page
from bot.hotline import routes as hotline_routes
from bot.hotline.routes import CALLS_KEY
from bot.leads import LeadService, StaffService
from bot.policies import default_desk
from bot.rasa_client import resume_conversation
from bot.settings import get_settings
from bot.standards import LiveBook, StandardsService

logger = logging.getLogger(__name__)


@web.middleware
async def console_headers(request: web.Request, handler):
    """The console's pages may not be framed (clickjacking a claim or a filing) and run only their own
    scripts: the one inline script carries this request's nonce (bot/api/pages.py puts it in the page)."""
    if not request.path.startswith("/console"):
        return await handler(request)
    request["csp_nonce"] = secrets.token_urlsafe(16)
    headers = {
        "Content-Security-Policy": (
            f"default-src 'self'; script-src 'self' 'nonce-{request['csp_nonce']}'; "
            "style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
            "form-action 'self'; frame-ancestors 'none'"
        ),
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
    }
    try:
        response = await handler(request)
    except web.HTTPException as answer:  # redirects and refusals carry them too
        answer.headers.update(headers)
        raise
    response.headers.update(headers)
    return response


async def health(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def openapi(_request: web.Request) -> web.Response:
    return web.json_response(openapi_document(), dumps=dumps)


def create_app(
    book: Optional[RegionBook] = None,
    leads: Optional[LeadService] = None,
    staff: Optional[StaffService] = None,
    calls: Optional[CallService] = None,
    dashboard: Optional[DashboardService] = None,
    handoff_service: Optional[HandoffService] = None,
) -> web.Application:
    """The whole API. Services default to the ones the settings describe (built here, not at import)."""
    app = web.Application(middlewares=[console_headers, errors_middleware], client_max_size=256 * 1024)
    app[LEADS_KEY] = leads or runtime.lead_service()
    app[GUESSES_KEY] = TokenGuesses()
    app[STAFF_KEY] = staff or runtime.staff_service()
    app[CALLS_KEY] = calls or runtime.call_service()
    # The dashboard and the conversations' transcripts read the queue's database (Rasa's events table too).
    queue_db = app[LEADS_KEY].sessions
    app[DASHBOARD_KEY] = dashboard or DashboardService(queue_db, clock=app[LEADS_KEY].now, region_name=region_label)
    app[TRACKER_KEY] = TrackerEvents(queue_db)
    app[HANDOFFS_KEY] = handoff_service or runtime.handoff_service()
    app[STANDARDS_KEY] = StandardsService(queue_db)
    # The seed plus what staff entered, re-read every few seconds: a new standard applies without a restart.
    app[BOOK_KEY] = book or LiveBook(seed_book(), queue_db)
    app.cleanup_ctx.append(_takeover)
    screenings.add_routes(app)
    standards_routes.add_routes(app)
    leads_routes.add_routes(app)
    hotline_routes.add_routes(app)
    handoffs.add_routes(app)
    console.setup(app)
    hotline_page.setup(app)
    dashboard_routes.setup(app)
    app.router.add_get("/api/v1/health", health)  # liveness; readiness is /api/v1/ready (bot/metrics.py)
    metrics.setup(app, lambda: app[LEADS_KEY].sessions)
    app.router.add_get("/api/v1/openapi.json", openapi)
    app.on_startup.append(_load_policy_desk)
    return app


async def _takeover(app: web.Application):
    """Staff replies go out through the resident's channel: WeChat's customer-service client lives as
    long as the app (it holds an HTTP session on this event loop)."""
    settings = get_settings()
    sender = runtime.wechat_sender()

    async def resume(conversation_id: str) -> None:
        await resume_conversation(settings, conversation_id)

    app[TAKEOVER_KEY] = Takeover(app[HANDOFFS_KEY], resume, sender.send_text if sender else None)
    yield
    if sender is not None:
        await sender.close()


async def _load_policy_desk(_app: web.Application) -> None:
    # The policy index is built on first use (about half a second); build it before the port
    # opens, so no operator's first utterance in a new worker waits for it.
    await asyncio.to_thread(default_desk)


def run(host: str, port: int, workers: int = 1) -> None:
    """Serve on host:port; with workers > 1, that many processes share the port (SO_REUSEPORT)
    and the kernel spreads connections across them."""
    runtime.use_live_standards()
    if workers <= 1:
        web.run_app(create_app(), host=host, port=port, print=None, access_log=None)
        return
    import multiprocessing
    import multiprocessing.connection
    import signal

    processes = [multiprocessing.Process(target=_serve_shared, args=(host, port), daemon=True) for _ in range(workers)]
    for process in processes:
        process.start()

    def stop(*_args) -> None:
        for process in processes:
            if process.is_alive():
                process.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    # The first worker to exit, for whatever reason, ends the service: the supervisor then sees it
    # and stops the rest, rather than a half-capacity API looking healthy.
    multiprocessing.connection.wait([p.sentinel for p in processes])
    stop()
    for process in processes:
        process.join()
    codes = [p.exitcode for p in processes]
    raise SystemExit(0 if all(code in (0, -signal.SIGTERM) for code in codes) else 1)


def _serve_shared(host: str, port: int) -> None:
    runtime.use_live_standards()
    web.run_app(create_app(), host=host, port=port, print=None, access_log=None, reuse_port=True)
