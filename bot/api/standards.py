"""Standards routes: a region's 低保标准 with their history and origin (public), and a new one entered by
a county supervisor or admin of that region (bot.standards)."""

from __future__ import annotations

import asyncio

from aiohttp import web

from bot.api.auth import current_staff
from bot.api.errors import dumps, json_object
from bot.api.screenings import BOOK_KEY, book_of, date_param, region_code
from bot.eligibility.parameters import CATALOGUE
from bot.standards import LiveBook, StandardsService

STANDARDS_KEY = web.AppKey("standards", StandardsService)
SOURCED = tuple(name for name, spec in CATALOGUE.items() if spec.sourced)


def _history(book, code: str) -> dict:
    """Per standard: the region's own values, oldest first, each with its origin, and the one in force."""
    region = book.region(code)
    return {
        name: [
            v.__dict__ | {"value": float(v.value), "since": v.since.isoformat()}
            for v in region.parameters.get(name, ())
        ]
        for name in SOURCED
    }


async def region_standards(request: web.Request) -> web.Response:
    book = book_of(request)
    code = region_code(request, book)
    on = date_param(request)
    entries = await asyncio.to_thread(request.app[STANDARDS_KEY].entries, code)
    in_force = {}
    for name in SOURCED:
        value = book.value(code, name, on)
        in_force[name] = None if value is None else value.to_dict() | {"text": value.in_words(on)}
    return web.json_response(
        {
            "region": code,
            "name": book.region(code).name,
            "date": on.isoformat(),
            "in_force": in_force,
            "history": _history(book, code),
            "entered": [e.to_dict() for e in entries],
        },
        dumps=dumps,
    )


async def enter_standard(request: web.Request) -> web.Response:
    member = await current_staff(request)
    raw = await json_object(request)
    code = request.match_info["code"]
    entry = await asyncio.to_thread(request.app[STANDARDS_KEY].enter, member, book_of(request), code, raw)
    book = request.app[BOOK_KEY]
    if isinstance(book, LiveBook):
        book.invalidate()  # this process's next screening uses it; other processes within seconds
    return web.json_response(entry.to_dict(), status=201, dumps=dumps)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/v1/regions/{code}/standards", region_standards)
    app.router.add_post("/api/v1/regions/{code}/standards", enter_standard)
