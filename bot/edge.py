"""The gate in front of every route of the Rasa server (its REST, web-chat and WeChat webhooks and its
HTTP API), channel-free: the Sanic adapter is bot/channels/edge.py.

Rasa reads a request's JSON and hands it to its tracker store and NLU as it is. A lone surrogate in a
REST `sender` made the tracker store raise and the server exit; a `null` body, a missing `text` or bad
JSON answered 500; a 1 MB message held a worker for 15 s. Here every request is judged before Rasa sees
it, with the refusals of the API (bot/inputs.py): a 400/401/413 with a `code` for programs and a
Chinese `message_zh` for people.

Conversation ids are namespaced by channel (`conversation_id`): the web chat and WeChat ids carry their
channel's prefix, a REST sender may not contain the separator, so no channel reaches another's
conversations.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from typing import Any, Dict, Optional, Tuple
from urllib.parse import unquote_to_bytes

from bot.inputs import InputRefused, clean_json, clean_text, parse_json

MAX_MESSAGE_CHARS = 2000  # a resident's message: far beyond any real one (the longest seen is ~300)
MAX_ID_CHARS = 128
MAX_BODY_BYTES = 64 * 1024  # webhooks and /model/parse: a message, its sender and metadata
MAX_CONVERSATION_BODY_BYTES = 1024 * 1024  # /conversations/…: a tracker's events, for programs with the token
MAX_CONVERSATION_JSON_CHARS = MAX_CONVERSATION_BODY_BYTES
NAMESPACE_SEPARATOR = ":"

# Routes anyone may call: liveness, version, readiness, metrics and the channels' webhooks.
PUBLIC_PATHS = frozenset({"/", "/version", "/ready", "/metrics"})
PUBLIC_PREFIX = "/webhooks/"
# Routes that take a model or training data (files, YAML): Sanic's own limit, and the token.
BULK_PATHS = frozenset({"/model", "/model/train", "/model/test/stories", "/model/test/intents"})
# Routes whose body Rasa reads as JSON.
# (The web chat's and WeChat's webhooks stream their bodies: their channels judge them with the same rules.)
JSON_PREFIXES = ("/webhooks/rest/", "/conversations/", "/model/parse", "/model/predict")
_CONVERSATION = re.compile(
    r"/conversations/(.+)/(tracker|tracker/events|story|execute|trigger_intent|predict|messages)\Z"
)
# Conversation ids travel unencoded in Rasa's paths (Sanic does not unquote route parameters), so they
# are kept to characters a URL path carries as they are.
_ID = re.compile(r"[A-Za-z0-9._~@+=:-]+\Z")


@dataclass(frozen=True)
class Refusal:
    status: int
    code: str
    message: str
    message_zh: str

    def body(self) -> Dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "message_zh": self.message_zh}}


MAX_URL_BYTES = 4096  # a conversation id and a WeChat signature fit many times over
URL_TOO_LONG = Refusal(414, "url_too_long", f"the URL is over {MAX_URL_BYTES} bytes", "请求地址太长")
UNAUTHORIZED = Refusal(401, "unauthorized", "this route needs the Rasa API token (?token=…)", "没有访问权限")
TOO_LARGE = Refusal(
    413, "too_large", "request body too large", f"消息太长了（最多 {MAX_MESSAGE_CHARS} 个字），请分几次发送"
)


def route_path(path: str) -> str:
    """The path as the rules read it: Sanic serves `/x/` with the handler of `/x`."""
    return path.rstrip("/") or "/"


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIX)


def body_limit(path: str) -> Optional[int]:
    """The most bytes a request to `path` may carry; None: Sanic's own limit (models, training data)."""
    if path in BULK_PATHS:
        return None
    if path.startswith("/conversations/"):
        return MAX_CONVERSATION_BODY_BYTES
    return MAX_BODY_BYTES


def check_token(path: str, provided: Optional[str], token: Optional[str], has_jwt: bool = False) -> Optional[Refusal]:
    """Every non-public route needs the token (Rasa checks it too; this is the same rule, enforced
    before any body is judged so a stranger learns nothing from the refusal)."""
    if token is None or is_public(path) or has_jwt:
        return None
    if provided is None or not hmac.compare_digest(provided.encode("utf-8", "replace"), token.encode("utf-8")):
        return UNAUTHORIZED
    return None


def check_url(raw_url: bytes) -> Optional[Refusal]:
    """First of all: a URL no client of ours sends (Sanic misreads the longest ones)."""
    return URL_TOO_LONG if len(raw_url) > MAX_URL_BYTES else None


def check_path(raw_path: str) -> Optional[Refusal]:
    """The path as sent (percent-encoded): valid UTF-8 once decoded, no control character, bounded."""
    try:
        decoded = unquote_to_bytes(raw_path).decode("utf-8")
    except UnicodeDecodeError:
        return Refusal(400, "invalid_path", "path is not valid UTF-8", "请求地址无效")
    try:
        clean_text(decoded, max_length=1024, strip=False)
    except InputRefused as refused:
        return Refusal(400, "invalid_path", f"path: {refused.reason}", "请求地址无效")
    found = _CONVERSATION.match(route_path(decoded))
    if found:
        refusal = _conversation_id_refusal(found.group(1), "conversation_id", allow_namespace=True)
        if refusal is not None:
            return refusal
    return None


def check_body(method: str, path: str, content_type: str, body: bytes) -> Optional[Refusal]:
    """The body of a request Rasa would read as JSON: strict JSON with clean strings, and the fields
    each route needs. Training data and test stories (YAML, for the token's holder) need only be text."""
    path = route_path(path)
    if method not in ("POST", "PUT", "PATCH"):
        return None
    if path in BULK_PATHS and path != "/model":
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            return Refusal(400, "invalid_body", "body is not UTF-8", "请求内容无法识别（应为 UTF-8 编码）")
        return None
    if not path.startswith(JSON_PREFIXES) and path != "/model":
        return None
    try:
        value = parse_json(body.decode("utf-8"))
    except UnicodeDecodeError:
        return Refusal(400, "invalid_body", "body is not UTF-8", "请求内容无法识别（应为 UTF-8 编码的 JSON）")
    except InputRefused as refused:
        return Refusal(400, "invalid_body", f"body: {refused.reason}", f"请求内容有误：{refused.message_zh}")
    except ValueError:
        return Refusal(400, "invalid_json", "body is not JSON", "请求内容应为 JSON")
    refusal = None  # the fields first: a resident's over-long message is told so, not "bad body"
    if path == "/webhooks/rest/webhook":
        refusal = _rest_message(value)
    elif path == "/model/parse":
        refusal = _fields(value, text=("text", True), message_id=("message_id", False))
    elif path == "/model":  # PUT: where to load a model from
        refusal = _object(value)
    elif path.startswith("/conversations/") and path.endswith("/messages"):
        refusal = _fields(value, text=("text", True), sender=("sender", False)) or _parse_data(value.get("parse_data"))
    elif path.startswith("/conversations/") and path.endswith("/execute"):
        refusal = _names(value, "name", "policy") or _number(value, "confidence")
    elif path.startswith("/conversations/") and path.endswith("/trigger_intent"):
        refusal = _names(value, "name", "output_channel") or _objects(value, "entities")
    if refusal is not None:
        return refusal
    limit = MAX_CONVERSATION_JSON_CHARS if path.startswith("/conversations/") else MAX_BODY_BYTES
    try:
        clean_json(value, max_chars=limit)
    except InputRefused as refused:
        return Refusal(400, "invalid_body", f"body: {refused.reason}", f"请求内容有误：{refused.message_zh}")
    return None


def _rest_message(value: Any) -> Optional[Refusal]:
    if not isinstance(value, dict):
        return Refusal(400, "invalid_body", "body must be a JSON object", "请求内容应为 JSON 对象")
    refusal = _fields(value, message=("message", True))
    if refusal is not None:
        return refusal
    # Required: without one Rasa puts every caller in one shared conversation ("default").
    refusal = _conversation_id_refusal(value.get("sender"), "sender", allow_namespace=False)
    if refusal is not None:
        return refusal
    # Rasa's REST channel takes the channel from the body: a caller naming "wechat" would open a
    # handoff whose staff replies go out to WeChat.
    if value.get("input_channel", "rest") != "rest":
        return Refusal(400, "invalid_input_channel", 'input_channel: only "rest" here', "不能指定其他渠道")
    if value.get("metadata") is not None and not isinstance(value["metadata"], dict):
        return Refusal(400, "invalid_metadata", "metadata: must be an object", "metadata 应为 JSON 对象")
    return None


def _object(value: Any) -> Optional[Refusal]:
    if not isinstance(value, dict):
        return Refusal(400, "invalid_body", "body must be a JSON object", "请求内容应为 JSON 对象")
    return None


def _objects(value: Any, *names: str) -> Optional[Refusal]:
    """Each field, when given, a JSON object."""
    for name in names:
        if value.get(name) is not None and not isinstance(value[name], dict):
            return Refusal(400, f"invalid_{name}", f"{name}: must be an object", f"{name} 应为 JSON 对象")
    return None


def _parse_data(parse: Any) -> Optional[Refusal]:
    """An NLU result given instead of the NLU's: the keys Rasa reads from one without checking."""
    if parse is None:
        return None
    bad = Refusal(
        400,
        "invalid_parse_data",
        "parse_data: an object with text, intent {name, confidence?} and entities [{entity, value}]",
        "parse_data 格式无效",
    )
    if not isinstance(parse, dict) or not isinstance(parse.get("text"), str):
        return bad
    intent, entities = parse.get("intent"), parse.get("entities")
    if not isinstance(intent, dict) or not isinstance(intent.get("name"), str) or _number(intent, "confidence"):
        return bad
    if not isinstance(entities, list) or not all(
        isinstance(e, dict) and isinstance(e.get("entity"), str) and "value" in e for e in entities
    ):
        return bad
    return None


def _names(value: Any, required: str, *optional: str) -> Optional[Refusal]:
    """A required name and optional ones, each a string (actions, intents, policies, channels)."""
    refusal = _object(value)
    if refusal is not None:
        return refusal
    for name in (required, *optional):
        if (name == required or value.get(name) is not None) and not isinstance(value.get(name), str):
            return Refusal(400, f"invalid_{name}", f"{name}: must be a string", f"{name} 应为文字")
    return None


def _number(value: Any, name: str) -> Optional[Refusal]:
    field = value.get(name)
    if field is not None and (isinstance(field, bool) or not isinstance(field, (int, float))):
        return Refusal(400, f"invalid_{name}", f"{name}: must be a number", f"{name} 应为数字")
    return None


def _fields(value: Any, **fields: Tuple[str, bool]) -> Optional[Refusal]:
    """Each field a message's text (at most MAX_MESSAGE_CHARS) or, when not required, absent."""
    if not isinstance(value, dict):
        return Refusal(400, "invalid_body", "body must be a JSON object", "请求内容应为 JSON 对象")
    for name, required in fields.values():
        if name not in value:
            if required:
                return Refusal(400, f"invalid_{name}", f"{name}: required", f"缺少 {name}")
            continue
        field = value[name]
        if not isinstance(field, str):
            return Refusal(400, f"invalid_{name}", f"{name}: must be a string", f"{name} 应为文字")
        if len(field) > MAX_MESSAGE_CHARS:
            return Refusal(
                413 if name in ("message", "text") else 400,
                "too_long" if name in ("message", "text") else f"invalid_{name}",
                f"{name}: longer than {MAX_MESSAGE_CHARS} characters",
                f"消息太长了（最多 {MAX_MESSAGE_CHARS} 个字），请分几次发送",
            )
        if required and name in ("message", "text") and not field.strip():
            return Refusal(400, f"invalid_{name}", f"{name}: empty", "请输入要发送的内容")
    return None


def _conversation_id_refusal(value: Any, field: str, allow_namespace: bool) -> Optional[Refusal]:
    """A conversation id: 1–128 ASCII letters, digits and . _ ~ @ + = -. Only the channels that namespace
    their ids (the web chat, WeChat) make ids with the separator; a REST sender may not."""
    problem = None
    if not isinstance(value, str):
        problem = "must be a string"
    elif not 1 <= len(value) <= MAX_ID_CHARS:
        problem = f"1–{MAX_ID_CHARS} characters"
    elif not _ID.match(value):
        problem = "letters A-Z a-z, digits and . _ ~ @ + = - only"
    elif not allow_namespace and NAMESPACE_SEPARATOR in value:
        problem = f"may not contain {NAMESPACE_SEPARATOR!r} (reserved for the web chat's and WeChat's ids)"
    if problem is None:
        return None
    return Refusal(400, f"invalid_{field}", f"{field}: {problem}", "会话标识无效")


def conversation_id(channel: str, sender: str) -> str:
    """The conversation a channel's sender speaks in: `webchat:<page id>`, `wechat:<openid>`."""
    return f"{channel}{NAMESPACE_SEPARATOR}{sender}"


def channel_sender(conversation: str, channel: str) -> Optional[str]:
    """The channel's own id of the sender (a WeChat openid) in one of its conversations, else None."""
    prefix = f"{channel}{NAMESPACE_SEPARATOR}"
    return conversation[len(prefix) :] if conversation.startswith(prefix) else None
