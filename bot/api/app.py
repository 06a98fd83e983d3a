"""aiohttp application: `/api/v1/...`. Bad input is a 400 naming the field, in Chinese and English;
nothing a client sends can produce a 500."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from typing import Optional

from aiohttp import web
from pydantic import ValidationError

from bot import runtime
from bot.api import console, operator
from bot.api.errors import bad_request, dumps, error_response, errors_middleware
from bot.api.hotline import CALLS_KEY
from bot.api.hotline import add_routes as add_hotline_routes
from bot.api.leads import LEADS_KEY, STAFF_KEY
from bot.api.leads import add_routes as add_lead_routes
from bot.api.openapi import openapi_document
from bot.eligibility import Household, RegionBook, ScreeningError, default_book, screen
from bot.hotline import CallService
from bot.input_errors import describe
from bot.leads import LeadService, StaffService
from bot.policies import default_desk

logger = logging.getLogger(__name__)
BOOK_KEY = web.AppKey("book", RegionBook)


def _date_param(request: web.Request) -> dt.date:
    raw = request.query.get("date")
    if raw is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise bad_request("invalid_date", f"date must be YYYY-MM-DD, got {raw!r}", "日期格式应为 YYYY-MM-DD")


async def health(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def create_screening(request: web.Request) -> web.Response:
    on = _date_param(request)
    try:
        raw = await request.json(loads=json.loads)
    except (ValueError, UnicodeDecodeError) as error:
        raise bad_request("invalid_json", f"body is not JSON: {error}", "请求内容不是有效的 JSON")
    if not isinstance(raw, dict):
        raise bad_request("invalid_body", "body must be a JSON object", "请求内容应为 JSON 对象")
    try:
        household = Household(**raw)
    except ValidationError as error:
        raise bad_request("invalid_household", "household is invalid", "家庭信息填写有误", describe(error))
    except TypeError as error:  # e.g. a non-string key
        raise bad_request("invalid_household", str(error), "家庭信息填写有误")
    try:
        result = screen(household, on, request.app[BOOK_KEY])
    except ScreeningError as error:
        raise bad_request("cannot_screen", str(error), "所选地区或日期没有可用的政策参数")
    return web.json_response(result.to_dict(), dumps=dumps)


async def list_regions(request: web.Request) -> web.Response:
    book = request.app[BOOK_KEY]
    return web.json_response(
        [{"code": r.code, "name": r.name, "parent": r.parent} for r in book.regions()], dumps=dumps
    )


async def region_parameters(request: web.Request) -> web.Response:
    book = request.app[BOOK_KEY]
    code = request.match_info["code"]
    if code not in book:
        return error_response(404, "unknown_region", f"unknown region {code!r}", "没有这个地区")
    on = _date_param(request)
    region = book.region(code)
    values = book.values(code, on)
    return web.json_response(
        {
            "region": code,
            "name": region.name,
            "chain": [r.code for r in book.chain(code)],
            "date": on.isoformat(),
            "parameters": {name: value.to_dict() for name, value in sorted(values.items())},
        },
        dumps=dumps,
    )


async def openapi(_request: web.Request) -> web.Response:
    return web.json_response(openapi_document(), dumps=dumps)


def create_app(
    book: Optional[RegionBook] = None,
    leads: Optional[LeadService] = None,
    staff: Optional[StaffService] = None,
    calls: Optional[CallService] = None,
) -> web.Application:
    """The whole API. Services default to the ones the settings describe (built here, not at import)."""
    app = web.Application(middlewares=[errors_middleware], client_max_size=256 * 1024)
    app[BOOK_KEY] = book or default_book()
    app[LEADS_KEY] = leads or runtime.lead_service()
    app[STAFF_KEY] = staff or runtime.staff_service()
    app[CALLS_KEY] = calls or runtime.call_service()
    add_lead_routes(app)
    add_hotline_routes(app)
    console.setup(app)
    operator.setup(app)
    app.router.add_get("/api/v1/health", health)
    app.router.add_post("/api/v1/screenings", create_screening)
    app.router.add_get("/api/v1/regions", list_regions)
    app.router.add_get("/api/v1/regions/{code}/parameters", region_parameters)
    app.router.add_get("/api/v1/openapi.json", openapi)
    app.on_startup.append(_load_policy_desk)
    return app


async def _load_policy_desk(_app: web.Application) -> None:
    # The policy index is built on first use (about half a second); build it before the port
    # opens, so no operator's first utterance in a new worker waits for it.
    await asyncio.to_thread(default_desk)


def run(host: str, port: int, workers: int = 1) -> None:
    """Serve on host:port; with workers > 1, that many processes share the port (SO_REUSEPORT)
    and the kernel spreads connections across them."""
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
    web.run_app(create_app(), host=host, port=port, print=None, access_log=None, reuse_port=True)
