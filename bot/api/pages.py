"""What every server-rendered console page shares: the templates (the console's and the hotline's),
rendering with the message or error a redirect carried, redirects, and times in China's time."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

import bot

CHINA = timezone(timedelta(hours=8))
TEMPLATE_DIRS = [Path(bot.__file__).parent / "api" / "templates", Path(bot.__file__).parent / "hotline" / "templates"]


def setup(app: web.Application) -> None:
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader([str(d) for d in TEMPLATE_DIRS]),
        autoescape=jinja2.select_autoescape(["html"]),
    )


def redirect(location: str) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(location)


def local_time(value: datetime) -> str:
    return value.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


def render(request: web.Request, template: str, context: dict, status: int = 200) -> web.Response:
    context.setdefault("message", request.query.get("msg"))
    context.setdefault("error", request.query.get("error"))
    context.setdefault("csp_nonce", request.get("csp_nonce", ""))
    return aiohttp_jinja2.render_template(template, request, context, status=status)
