"""The WeChat Official Account callback protocol, on wechatpy's code: signatures, safe-mode (AES)
crypto, message parsing and reply rendering. No Rasa, no storage, no network.

Signatures are computed with wechatpy's `WeChatSigner` but compared here with `hmac.compare_digest`:
wechatpy's own `check_signature` and `WeChatCrypto` compare with `!=`, which is not constant time.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any, List, Mapping, Optional
from xml.parsers.expat import ExpatError

import xmltodict
from wechatpy import create_reply, parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.utils import WeChatSigner, to_text

# WeChat drops a text reply longer than 2048 bytes (UTF-8); leave room for the XML around it.
TEXT_LIMIT_BYTES = 2000
# Events that need no answer: the user left, opened a link, or reported a location.
SILENT_EVENTS = {"unsubscribe", "view", "location", "templatesendjobfinish", "view_miniprogram"}


class WeChatConfig:
    """The account's values from the 公众号 console (基本配置 → 服务器配置)."""

    def __init__(
        self,
        token: str,
        app_id: str = "",
        app_secret: str = "",
        encoding_aes_key: Optional[str] = None,
        api_base: str = "",
    ) -> None:
        if not token:
            raise ValueError("a WeChat token is required")
        self.token = token
        self.app_id = app_id
        self.app_secret = app_secret
        self.encoding_aes_key = encoding_aes_key or None
        self.api_base = api_base.rstrip("/")

    @property
    def can_send(self) -> bool:
        """The customer-service API needs the AppID, the AppSecret and where WeChat's API is."""
        return bool(self.app_id and self.app_secret and self.api_base)


class BadSignature(Exception):
    """The request was not signed with our token: nothing is processed (HTTP 403)."""


class BadMessage(Exception):
    """The body is not a WeChat message we can read (HTTP 400)."""


@dataclass
class Inbound:
    kind: str  # text | voice | subscribe | silent | unsupported
    open_id: str
    delivery_key: str
    text: Optional[str]
    message: Any  # wechatpy's message, which the reply is addressed from
    encrypted: bool


def _signature(*parts: str) -> str:
    signer = WeChatSigner()
    signer.add_data(*parts)
    return signer.signature


def _same(expected: str, given: Optional[str]) -> bool:
    # Constant time: a wrong signature must not reveal how many of its characters were right.
    return hmac.compare_digest(expected.encode("ascii"), (given or "").encode("ascii", "replace"))


class Protocol:
    def __init__(self, config: WeChatConfig) -> None:
        self.config = config
        self._crypto = (
            WeChatCrypto(config.token, config.encoding_aes_key, config.app_id) if config.encoding_aes_key else None
        )

    def verify(self, query: Mapping[str, str]) -> None:
        expected = _signature(self.config.token, query.get("timestamp", ""), query.get("nonce", ""))
        if not _same(expected, query.get("signature")):
            raise BadSignature("signature does not match the token")

    def echo(self, query: Mapping[str, str]) -> str:
        """GET: the server-address check in the console (明文 echostr in every mode)."""
        self.verify(query)
        return query.get("echostr", "")

    def read(self, query: Mapping[str, str], body: bytes) -> Inbound:
        self.verify(query)
        encrypted = query.get("encrypt_type", "raw").lower() == "aes"
        try:
            xml = body.decode("utf-8")
        except UnicodeDecodeError as error:
            raise BadMessage(f"body is not UTF-8: {error}") from None
        if encrypted:
            xml = self._decrypt(query, xml)
        try:
            message = parse_message(xml)
        except (ExpatError, KeyError, ValueError, TypeError, AttributeError) as error:
            raise BadMessage(f"not a WeChat message: {type(error).__name__}: {error}") from None
        if not getattr(message, "source", None):
            raise BadMessage("message has no FromUserName")
        return self._inbound(message, encrypted)

    def _decrypt(self, query: Mapping[str, str], xml: str) -> str:
        if self._crypto is None:
            raise BadMessage("safe-mode message but no EncodingAESKey is configured")
        try:
            encrypted = to_text(xmltodict.parse(xml)["xml"]["Encrypt"])
        except (ExpatError, KeyError, TypeError) as error:
            raise BadMessage(f"safe-mode body has no <Encrypt>: {type(error).__name__}") from None
        expected = _signature(self.config.token, query.get("timestamp", ""), query.get("nonce", ""), encrypted)
        if not _same(expected, query.get("msg_signature")):
            raise BadSignature("msg_signature does not match the encrypted message")
        try:
            return self._crypto.decrypt_message(
                xml, query["msg_signature"], query.get("timestamp", ""), query.get("nonce", "")
            )
        except (InvalidSignatureException, InvalidAppIdException) as error:
            raise BadSignature(f"encrypted message rejected: {type(error).__name__}") from None
        except Exception as error:  # noqa: BLE001 - padding, base64 and XML errors all mean "unreadable"
            raise BadMessage(f"cannot decrypt: {type(error).__name__}") from None

    @staticmethod
    def _inbound(message: Any, encrypted: bool) -> Inbound:
        open_id = message.source
        if message.type == "event":
            # Events have no MsgId; WeChat's retries carry the same sender and CreateTime.
            key = f"event:{open_id}:{message.time}"
            event = (getattr(message, "event", "") or "").lower()
            kind = "subscribe" if event == "subscribe" else "silent" if event in SILENT_EVENTS else "unsupported"
            return Inbound(kind, open_id, key, None, message, encrypted)
        key = f"msg:{message.id}"
        if message.type == "text":
            return Inbound("text", open_id, key, message.content or "", message, encrypted)
        if message.type == "voice":
            return Inbound("voice", open_id, key, (message.recognition or "").strip() or None, message, encrypted)
        return Inbound("unsupported", open_id, key, None, message, encrypted)

    def reply(self, inbound: Inbound, text: str, query: Mapping[str, str]) -> str:
        """A passive reply to this message, encrypted when the message was."""
        xml = create_reply(text, message=inbound.message, render=True)
        if inbound.encrypted:
            return self._crypto.encrypt_message(xml, query.get("nonce", ""), query.get("timestamp"))
        return xml


def split_text(text: str, limit: int = TEXT_LIMIT_BYTES) -> List[str]:
    """Pieces of at most `limit` UTF-8 bytes, cut between lines where possible, never inside a character."""
    pieces: List[str] = []
    current = ""
    for line in text.strip().split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if len(candidate.encode("utf-8")) <= limit:
            current = candidate
            continue
        if current:
            pieces.append(current)
        current = ""
        while len(line.encode("utf-8")) > limit:
            cut = len(line.encode("utf-8")[:limit].decode("utf-8", "ignore"))
            pieces.append(line[:cut])
            line = line[cut:]
        current = line
    if current.strip():
        pieces.append(current)
    return pieces
