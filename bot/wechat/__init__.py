"""The WeChat Official Account channel's core: protocol (wechatpy), shared state, the customer-service
API, and the handling of one callback. No Rasa: `bot/channels/wechat.py` adapts it."""

from bot.wechat.client import CustomerService, WeChatApiError
from bot.wechat.protocol import BadMessage, BadSignature, Protocol, TooLarge, WeChatConfig, split_text
from bot.wechat.service import Reply, WeChatService
from bot.wechat.store import DeliveryLog, TokenStore

__all__ = [
    "BadMessage",
    "BadSignature",
    "CustomerService",
    "DeliveryLog",
    "Protocol",
    "Reply",
    "TokenStore",
    "TooLarge",
    "WeChatApiError",
    "WeChatConfig",
    "WeChatService",
    "split_text",
]
