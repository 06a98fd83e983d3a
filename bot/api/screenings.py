"""Screening and region routes: pre-screen a household, list the regions, a region's parameters on a date."""

from __future__ import annotations

import datetime as dt

from aiohttp import web
from pydantic import ValidationError

from bot.api.errors import bad_request, dumps, error_body, json_object
from bot.eligibility import Household, RegionBook, ScreeningError, screen
from bot.input_errors import describe

BOOK_KEY = web.AppKey("book", object)  # a RegionBook, or a function giving the one in force now


def book_of(request: web.Request) -> RegionBook:
    book = request.app[BOOK_KEY]
    return book() if callable(book) else book


def date_param(request: web.Request) -> dt.date:
    raw = request.query.get("date")
    if raw is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise bad_request("invalid_date", f"date must be YYYY-MM-DD, got {raw!r}", "日期格式应为 YYYY-MM-DD")


async def create_screening(request: web.Request) -> web.Response:
    on = date_param(request)
    raw = await json_object(request)
    try:
        household = Household(**raw)
    except ValidationError as error:
        raise bad_request("invalid_household", "household is invalid", "家庭信息填写有误", describe(error))
    except TypeError as error:  # e.g. a non-string key
        raise bad_request("invalid_household", str(error), "家庭信息填写有误")
    try:
        result = screen(household, on, book_of(request))
    except ScreeningError as error:
        raise bad_request("cannot_screen", str(error), "所选地区或日期没有可用的政策参数")
    return web.json_response(result.to_dict(), dumps=dumps)


async def list_regions(request: web.Request) -> web.Response:
    book = book_of(request)
    return web.json_response(
        [{"code": r.code, "name": r.name, "parent": r.parent} for r in book.regions()], dumps=dumps
    )


def region_code(request: web.Request, book: RegionBook) -> str:
    """The path's region code, or a 404 that says there is no such region."""
    code = request.match_info["code"]
    if code not in book:
        raise web.HTTPNotFound(
            text=dumps(error_body("unknown_region", f"unknown region {code!r}", "没有这个地区")),
            content_type="application/json",
        )
    return code


async def region_parameters(request: web.Request) -> web.Response:
    book = book_of(request)
    code = region_code(request, book)
    on = date_param(request)
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


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/v1/screenings", create_screening)
    app.router.add_get("/api/v1/regions", list_regions)
    app.router.add_get("/api/v1/regions/{code}/parameters", region_parameters)
