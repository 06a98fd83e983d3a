"""The WeChat Official Account callback protocol, on wechatpy's crypto: signatures, the timestamp
window, safe-mode (AES) crypto, message parsing and reply rendering. No Rasa, no storage, no network.

Everything WeChat sends is hostile until checked, in this order: body size, signature (constant time,
`hmac.compare_digest`; wechatpy compares with `!=`), timestamp window, then the XML, which must be one
flat `<xml>` of text fields with no DOCTYPE/ENTITY, and whose fields must look like WeChat's. Whether
a message must be encrypted is fixed by the configuration, never by the URL's `encrypt_type`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from dataclasses import dataclass
from typing import Callable, Dict, List, Mapping, Optional
from xml.parsers.expat import ExpatError

import xmltodict
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.replies import TextReply

# WeChat drops a text reply longer than 2048 bytes (UTF-8); leave room for the XML around it.
TEXT_LIMIT_BYTES = 2000
# Events that need no answer: the user left, opened a link, or reported a location.
SILENT_EVENTS = {"unsubscribe", "view", "location", "templatesendjobfinish", "view_miniprogram"}

# plaintext: 明文模式. compatible (兼容模式) and safe (安全模式): WeChat sends the message encrypted
# (compatible adds a plaintext copy, which nobody signed); both are read only through the ciphertext.
MODES = ("plaintext", "compatible", "safe")
# WeChat signs its own clock's time; a captured request is good for this long either side of it.
DEFAULT_TIMESTAMP_WINDOW_SECONDS = 300
# WeChat's callbacks are a few KB; nothing larger is read.
DEFAULT_MAX_BODY_BYTES = 64 * 1024

# What WeChat puts in a query or a message (OpenIDs are 28 characters; ids are 64-bit integers).
_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
_DIGITS = re.compile(r"[0-9]{1,20}")
_HEX40 = re.compile(r"[0-9a-fA-F]{40}")
_BASE64 = re.compile(r"[A-Za-z0-9+/=\s]+")
# `<!` starts DOCTYPE, ENTITY and comments; only CDATA sections are legitimate in WeChat's XML.
_DECLARATION = re.compile(r"<!(?!\[CDATA\[)")


class WeChatConfig:
    """The account's values from the 公众号 console (基本配置 → 服务器配置).

    `mode` defaults to safe when an EncodingAESKey is configured and plaintext otherwise: the settings
    decide it once (JIUZHU_WECHAT_MESSAGE_MODE), each request cannot.
    """

    def __init__(
        self,
        token: str,
        app_id: str = "",
        app_secret: str = "",
        encoding_aes_key: Optional[str] = None,
        api_base: str = "",
        *,
        mode: Optional[str] = None,
        timestamp_window_seconds: int = DEFAULT_TIMESTAMP_WINDOW_SECONDS,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    ) -> None:
        if not token:
            raise ValueError("a WeChat token is required")
        mode = mode or ("safe" if encoding_aes_key else "plaintext")
        if mode not in MODES:
            raise ValueError(f"WeChat message mode must be one of {MODES}, got {mode!r}")
        if mode != "plaintext" and not encoding_aes_key:
            raise ValueError(f"WeChat {mode} mode needs the EncodingAESKey")
        if timestamp_window_seconds <= 0 or max_body_bytes <= 0:
            raise ValueError("the timestamp window and the body limit must be positive")
        self.token = token
        self.app_id = app_id
        self.app_secret = app_secret
        self.encoding_aes_key = encoding_aes_key or None
        self.api_base = api_base.rstrip("/")
        self.mode = mode
        self.timestamp_window_seconds = timestamp_window_seconds
        self.max_body_bytes = max_body_bytes

    @property
    def encrypted(self) -> bool:
        return self.mode != "plaintext"

    @property
    def can_send(self) -> bool:
        """The customer-service API needs the AppID, the AppSecret and where WeChat's API is."""
        return bool(self.app_id and self.app_secret and self.api_base)


class BadSignature(Exception):
    """Not signed with our token, or signed too long ago: nothing is processed (HTTP 403)."""


class BadMessage(Exception):
    """The body is not a WeChat message we can read (HTTP 400)."""


class TooLarge(Exception):
    """The body is larger than any WeChat callback (HTTP 413)."""


@dataclass
class Inbound:
    kind: str  # text | voice | subscribe | silent | unsupported
    open_id: str
    delivery_key: str
    text: Optional[str]
    account: str  # ToUserName: the account the reply comes from
    encrypted: bool


def _signature(*parts: str) -> str:
    # WeChat's scheme (sha1 of the sorted parts). Not wechatpy's WeChatSigner: it raises on text that is
    # not UTF-8-encodable, and a query is attacker input.
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8", "replace")).hexdigest()


def _same(expected: str, given: Optional[str]) -> bool:
    # Constant time: a wrong signature must not reveal how many of its characters were right.
    return hmac.compare_digest(expected.encode("ascii"), (given or "").encode("ascii", "replace"))


def _fields(xml: str) -> Dict[str, str]:
    """The text fields of a flat `<xml>` document; anything else WeChat never sends is refused."""
    if _DECLARATION.search(xml):
        raise BadMessage("DOCTYPE, ENTITY and other <! declarations are refused")
    try:
        document = xmltodict.parse(xml, disable_entities=True)
    except (ExpatError, ValueError) as error:
        raise BadMessage(f"not XML: {type(error).__name__}: {error}") from None
    root = document.get("xml") if isinstance(document, dict) else None
    if not isinstance(root, dict):
        raise BadMessage("the root element must be a non-empty <xml>")
    fields: Dict[str, str] = {}
    for name, value in root.items():
        if name.startswith(("@", "#")):
            raise BadMessage("attributes and loose text are not part of a WeChat message")
        if value is not None and not isinstance(value, str):
            raise BadMessage(f"<{name}> must appear once and hold text only")
        fields[name] = value or ""
    return fields


def _field(fields: Mapping[str, str], name: str, pattern: re.Pattern) -> str:
    value = fields.get(name, "").strip()
    if not pattern.fullmatch(value):
        raise BadMessage(f"<{name}> is missing or malformed")
    return value


class Protocol:
    def __init__(self, config: WeChatConfig, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self._clock = clock
        self._crypto = WeChatCrypto(config.token, config.encoding_aes_key, config.app_id) if config.encrypted else None

    def verify(self, query: Mapping[str, str]) -> None:
        timestamp, nonce = query.get("timestamp", ""), query.get("nonce", "")
        if not _same(_signature(self.config.token, timestamp, nonce), query.get("signature")):
            raise BadSignature("signature does not match the token")
        # Checked after the signature, so only a timestamp WeChat signed is compared with the clock.
        if not _DIGITS.fullmatch(timestamp) or not _NAME.fullmatch(nonce):
            raise BadSignature("timestamp or nonce malformed")
        if abs(self._clock() - int(timestamp)) > self.config.timestamp_window_seconds:
            raise BadSignature(f"timestamp outside the {self.config.timestamp_window_seconds} s window")

    def echo(self, query: Mapping[str, str]) -> str:
        """GET: the server-address check in the console (明文 echostr in every mode)."""
        self.verify(query)
        return query.get("echostr", "")

    def read(self, query: Mapping[str, str], body: bytes) -> Inbound:
        if len(body) > self.config.max_body_bytes:
            raise TooLarge(f"body of {len(body)} bytes, limit {self.config.max_body_bytes}")
        self.verify(query)
        try:
            xml = body.decode("utf-8")
        except UnicodeDecodeError as error:
            raise BadMessage(f"body is not UTF-8: {error}") from None
        if self.config.encrypted:
            fields = _fields(self._decrypt(query, _fields(xml)))
        else:
            if query.get("encrypt_type", "raw").lower() != "raw":
                raise BadMessage("an encrypted callback, but this account is configured for plaintext")
            fields = _fields(xml)
            if "Encrypt" in fields:
                raise BadMessage("an encrypted body, but this account is configured for plaintext")
        return self._inbound(fields, self.config.encrypted)

    def _decrypt(self, query: Mapping[str, str], envelope: Mapping[str, str]) -> str:
        # Safe and compatible mode: the ciphertext is required whatever the URL says, and a plaintext
        # copy next to it (compatible mode) is ignored, because msg_signature does not cover it.
        if "Encrypt" not in envelope:
            raise BadMessage(f"{self.config.mode} mode: the message must be encrypted (<Encrypt>)")
        encrypted = envelope["Encrypt"]
        timestamp, nonce = query.get("timestamp", ""), query.get("nonce", "")
        given = query.get("msg_signature", "")
        if not _HEX40.fullmatch(given) or not _same(_signature(self.config.token, timestamp, nonce, encrypted), given):
            raise BadSignature("msg_signature does not match the encrypted message")
        if not _BASE64.fullmatch(encrypted):
            raise BadMessage("<Encrypt> is not base64")
        try:
            return self._crypto.decrypt_message({"Encrypt": encrypted}, given, timestamp, nonce)
        except (InvalidSignatureException, InvalidAppIdException) as error:
            raise BadSignature(f"encrypted message rejected: {type(error).__name__}") from None
        except Exception as error:  # noqa: BLE001 - padding, base64, length and UTF-8 errors: "unreadable"
            raise BadMessage(f"cannot decrypt: {type(error).__name__}") from None

    @staticmethod
    def _inbound(fields: Mapping[str, str], encrypted: bool) -> Inbound:
        open_id = _field(fields, "FromUserName", _NAME)
        account = _field(fields, "ToUserName", _NAME)
        kind = fields.get("MsgType", "").strip().lower()
        if kind == "event":
            # Events have no MsgId; WeChat's retries carry the same sender and CreateTime.
            key = f"event:{open_id}:{_field(fields, 'CreateTime', _DIGITS)}"
            event = fields.get("Event", "").strip().lower()
            kind = "subscribe" if event == "subscribe" else "silent" if event in SILENT_EVENTS else "unsupported"
            return Inbound(kind, open_id, key, None, account, encrypted)
        if not kind:
            raise BadMessage("<MsgType> is missing")
        key = f"msg:{_field(fields, 'MsgId', _DIGITS)}"
        if kind == "text":
            return Inbound("text", open_id, key, fields.get("Content", ""), account, encrypted)
        if kind == "voice":
            return Inbound("voice", open_id, key, fields.get("Recognition", "").strip() or None, account, encrypted)
        return Inbound("unsupported", open_id, key, None, account, encrypted)

    def reply(self, inbound: Inbound, text: str, query: Mapping[str, str]) -> str:
        """A passive reply to this message, encrypted when the account is in safe or compatible mode."""
        # wechatpy puts the text in CDATA unescaped: a "]]>" in it would end the section early.
        content = text.replace("]]>", "]]]]><![CDATA[>")
        xml = TextReply(source=inbound.account, target=inbound.open_id, content=content).render()
        if inbound.encrypted:
            return self._crypto.encrypt_message(xml, query.get("nonce", ""), query.get("timestamp"))
        return xml


def split_text(text: str, limit: int = TEXT_LIMIT_BYTES) -> List[str]:
    """Pieces of at most `limit` UTF-8 bytes, cut between lines where possible, never inside a character.

    Linear: every line is encoded once and a piece is joined once (re-encoding the growing piece, or
    the rest of a long line after each cut, made a million characters take seconds).
    """
    pieces: List[str] = []
    lines: List[str] = []  # of the piece being filled
    size = 0  # its UTF-8 bytes, newlines included
    for line in text.strip().split("\n"):
        encoded = line.encode("utf-8")
        candidate = size + 1 + len(encoded) if size else len(encoded)
        if candidate <= limit:
            if size:
                lines.append(line)
            else:
                lines = [line]
            size = candidate
            continue
        if size:
            pieces.append("\n".join(lines))
        start = 0
        while len(encoded) - start > limit:
            cut = start + limit
            while encoded[cut] & 0xC0 == 0x80:  # a continuation byte: back to the character's start
                cut -= 1
            if cut == start:
                raise ValueError(f"a limit of {limit} bytes cannot hold one character")
            pieces.append(encoded[start:cut].decode("utf-8"))
            start = cut
        lines, size = [encoded[start:].decode("utf-8")], len(encoded) - start
    current = "\n".join(lines)
    if current.strip():
        pieces.append(current)
    return pieces
