"""Error responses: `code` and `message` for programs, `message_zh` for people, `fields` for bad input."""

from __future__ import annotations

import json
import logging
import math

from aiohttp import web
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from bot.errors import ServiceError
from bot.inputs import InputRefused, parse_json

logger = logging.getLogger(__name__)


def _finite(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def dumps(value) -> str:
    """JSON as every client can parse it: never bare NaN/Infinity (null instead), and a lone surrogate
    stored before input was checked goes out escaped rather than failing the whole answer."""
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    except ValueError:
        text = json.dumps(_finite(value), ensure_ascii=False, allow_nan=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(_finite(value), ensure_ascii=True, allow_nan=False)
    return text


def error_body(code: str, message: str, message_zh: str, fields=None) -> dict:
    body = {"error": {"code": code, "message": message, "message_zh": message_zh}}
    if fields:
        body["error"]["fields"] = fields
    return body


def error_response(status: int, code: str, message: str, message_zh: str, fields=None, headers=None) -> web.Response:
    return web.json_response(error_body(code, message, message_zh, fields), status=status, dumps=dumps, headers=headers)


def bad_request(code: str, message: str, message_zh: str, fields=None) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(
        text=dumps(error_body(code, message, message_zh, fields)), content_type="application/json"
    )


async def json_object(request: web.Request) -> dict:
    """The request's body, which must be a JSON object (a 400 saying so otherwise)."""
    try:
        body = parse_json(await request.text())  # strict: no NaN/Infinity, bounded nesting
    except InputRefused as refused:
        raise bad_request("invalid_json", f"body refused: {refused}", refused.message_zh)
    except (ValueError, LookupError, RecursionError) as error:  # LookupError: an unknown charset
        raise bad_request("invalid_json", f"body is not JSON: {error}", "请求内容不是有效的 JSON")
    if not isinstance(body, dict):
        raise bad_request("invalid_body", "body must be a JSON object", "请求内容应为 JSON 对象")
    return body


@web.middleware
async def errors_middleware(request: web.Request, handler):
    try:
        return await handler(request)
    except web.HTTPException as http_error:
        if http_error.status >= 400 and http_error.content_type != "application/json":
            return error_response(http_error.status, "http_error", http_error.reason, "请求无法处理")
        raise
    except ConnectionResetError:
        raise  # the client went away mid-request: nothing to answer, nothing to log as our error
    except ServiceError as error:
        return error_response(error.status, error.code, str(error), error.message_zh)
    except OperationalError:
        # The database is unreachable: nothing was accepted; the same request (same key) can be retried.
        logger.exception("database unavailable on %s %s", request.method, request.path)
        return error_response(
            503,
            "database_unavailable",
            "database unavailable; retry with the same idempotency key",
            "系统暂时无法保存，请稍后用同一请求重试",
            headers={"Retry-After": "5"},
        )
    except SQLAlchemyError:
        logger.exception("database error on %s %s", request.method, request.path)
        return error_response(
            503, "database_error", "database error; retry", "系统暂时无法保存，请稍后重试", headers={"Retry-After": "5"}
        )
    except Exception:  # noqa: BLE001 - the last line of defence: log it, never leak a trace
        logger.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", "internal error", "服务内部错误，请稍后再试")
