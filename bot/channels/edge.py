"""bot/edge.py's gate on the Rasa server's Sanic app: installed first, so it judges every request
before a channel, the HTTP API, the tracker store or the NLU sees it.

- The body limit is set once the route is known and before Sanic reads the body (signal
  `http.routing.after`), so an over-long body is refused without being read whole.
- A request middleware checks the token for non-public routes, then the path and the JSON body.
- Sanic's own refusals (too large, bad request) and any exception a handler lets out answer in the same
  JSON shape, so nothing reaches a client as a bare 500 page.
"""

from __future__ import annotations

import json
import logging
from typing import Optional

from sanic import response
from sanic.exceptions import PayloadTooLarge, SanicException

from bot import edge
from bot.privacy import mask_pii

logger = logging.getLogger("jiuzhu.edge")

INTERNAL = edge.Refusal(500, "internal_error", "the request failed", "服务出现问题，请稍后再试")


def _answer(refusal: edge.Refusal, status: Optional[int] = None):
    return response.json(refusal.body(), status=status or refusal.status, ensure_ascii=True)


def _events_refusal(body: bytes) -> Optional[edge.Refusal]:
    """Events Rasa can build. Rasa answers a body without one with a 400 that its own handler turns
    into a 500 (RasaHQ/rasa server.py: append_events catches every exception)."""
    from rasa.shared.core.events import Event

    value = json.loads(body)  # the gate parsed it already: strict, bounded
    items = value if isinstance(value, list) else [value]
    try:
        built = [Event.from_parameters(item) if isinstance(item, dict) else None for item in items]
    except Exception as error:  # noqa: BLE001 - any event Rasa cannot build is the caller's mistake
        return edge.Refusal(400, "invalid_events", f"events: {type(error).__name__}", "事件格式无效")
    if not items or any(event is None for event in built):
        return edge.Refusal(400, "invalid_events", "events: each must be a Rasa event object", "事件格式无效")
    return None


def install(app, token: Optional[str]) -> None:
    @app.signal("http.routing.after")
    async def limit_body(request, route, kwargs, handler) -> None:
        limit = edge.body_limit(edge.route_path(request.path))
        if limit is None or request.stream is None:
            return
        request.ctx.jiuzhu_limit = limit
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            request.ctx.jiuzhu_too_large = True  # Sanic runs the request middleware on the error too
            raise PayloadTooLarge("request body too large")  # refused before a byte of it is read
        request.stream.request_max_size = limit  # a chunked body: Sanic stops reading at the limit

    async def gate(request):
        limit = getattr(request.ctx, "jiuzhu_limit", None)
        read = getattr(request.stream, "request_bytes", 0) or 0
        if getattr(request.ctx, "jiuzhu_too_large", False) or (limit is not None and read > limit):
            return _answer(edge.TOO_LARGE)  # also a chunked body Sanic stopped reading at the limit
        path = request.path
        if not path.startswith("/"):
            return None  # Sanic's stand-in for a request it could not read (headers over its limit): its error stands
        has_jwt = bool(request.headers.get("authorization")) and app.config.get("USE_JWT") is not None
        refusal = (
            edge.check_url(request.raw_url)
            or edge.check_token(path, request.args.get("token"), token, has_jwt)
            or edge.check_path(request.raw_url.split(b"?", 1)[0].decode("latin-1"))
        )
        if refusal is None:
            refusal = edge.check_body(
                request.method, path, request.headers.get("content-type", ""), request.body or b""
            )
        if refusal is None and request.method in ("POST", "PUT") and edge.route_path(path).endswith("/tracker/events"):
            refusal = _events_refusal(request.body or b"")
        if refusal is not None:
            logger.info("refused %s %s: %s", request.method, mask_pii(path), refusal.code)
            return _answer(refusal)
        return None

    # First of the request middleware: the metrics' and Rasa's run after it.
    app.request_middleware.appendleft(gate)

    async def too_large(request, exception):
        return _answer(edge.TOO_LARGE)

    async def refused(request, exception):
        status = getattr(exception, "status_code", 500) or 500
        if status >= 500:
            logger.error(
                "Rasa answered %s to %s %s", status, request.method, mask_pii(request.path), exc_info=exception
            )
            return _answer(INTERNAL)
        return _answer(edge.Refusal(status, "bad_request", str(exception)[:200], "请求无效"))

    async def failed(request, exception):
        logger.error("Rasa failed on %s %s", request.method, mask_pii(request.path), exc_info=exception)
        return _answer(INTERNAL)

    app.error_handler.add(PayloadTooLarge, too_large)
    app.error_handler.add(SanicException, refused)
    app.error_handler.add(Exception, failed)
