"""Error responses: `code` and `message` for programs, `message_zh` for people, `fields` for bad input."""

from __future__ import annotations

import json
import logging
import math

from aiohttp import web
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from bot.leads import LeadError

logger = logging.getLogger(__name__)

LEAD_ERROR_STATUS = {
    "lead_not_found": 404,
    "forbidden": 403,
    "transition_refused": 409,
    "claim_conflict": 409,
    "idempotency_conflict": 409,
    "invalid_lead": 400,
    "call_not_found": 404,
    "invalid_call_request": 400,
    "call_ended": 409,
}


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
    except LeadError as error:
        return error_response(LEAD_ERROR_STATUS.get(error.code, 400), error.code, str(error), error.message_zh)
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
