"""Process-wide resources built once from the settings, on first use (never at import time)."""

from __future__ import annotations

from functools import lru_cache
from typing import Optional

from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from bot.db import create_db_engine, session_factory
from bot.eligibility.engine import seed_book, use_live_book
from bot.handoff import HandoffService
from bot.hotline import CallService
from bot.leads import LeadService, StaffService
from bot.local_secrets import kept_secret
from bot.privacy import Sealer
from bot.settings import get_settings
from bot.standards import LiveBook, StandardsService
from bot.standards.rescreen import Rescreener
from bot.wechat import CustomerService, DeliveryLog, Protocol, TokenStore, WeChatConfig, WeChatService


@lru_cache(maxsize=1)
def engine() -> Engine:
    return create_db_engine(get_settings().database_url)


@lru_cache(maxsize=1)
def sessions() -> sessionmaker:
    return session_factory(engine())


def handoff_service() -> HandoffService:
    return HandoffService(sessions())


@lru_cache(maxsize=1)
def household_secret() -> bytes:
    """The keyed-hash secret; without one configured, generated once and kept under var/.

    Changing it would stop new leads from matching their household's older leads, so it must stay
    the same across restarts and be shared by every process: set JIUZHU_HOUSEHOLD_KEY_SECRET in
    production.
    """
    configured = get_settings().household_key_secret
    if configured is not None:
        return configured.get_secret_value().encode("utf-8")
    return kept_secret("household_key.secret").encode("utf-8")


@lru_cache(maxsize=1)
def sealer() -> Sealer:
    """Seals what a conversation carries between turns that its tracker must not show (the phone)."""
    return Sealer(household_secret())


def lead_service() -> LeadService:
    return LeadService(sessions(), household_secret())


def call_service() -> CallService:
    return CallService(sessions(), lead_service())


def wechat_config() -> Optional[WeChatConfig]:
    """The WeChat account's configuration, or None when no token is configured."""
    settings = get_settings()
    if settings.wechat_token is None or not settings.wechat_token.get_secret_value():
        return None
    secret = settings.wechat_app_secret.get_secret_value() if settings.wechat_app_secret else ""
    aes_key = settings.wechat_encoding_aes_key.get_secret_value() if settings.wechat_encoding_aes_key else None
    return WeChatConfig(
        settings.wechat_token.get_secret_value(),
        settings.wechat_app_id or "",
        secret,
        aes_key,
        settings.wechat_api_base,
    )


def wechat_sender() -> Optional[CustomerService]:
    """A customer-service API client (one per event loop: it holds an HTTP session), or None without
    an AppID and AppSecret."""
    config = wechat_config()
    return CustomerService(config, TokenStore(sessions())) if config is not None and config.can_send else None


@lru_cache(maxsize=1)
def wechat_service() -> Optional[WeChatService]:
    """The WeChat channel's core, or None when no token is configured."""
    config = wechat_config()
    if config is None:
        return None
    return WeChatService(
        Protocol(config), DeliveryLog(sessions()), wechat_sender(), get_settings().wechat_reply_seconds
    )


def staff_service() -> StaffService:
    return StaffService(sessions())


def standards_service() -> StandardsService:
    return StandardsService(sessions())


@lru_cache(maxsize=1)
def live_book() -> LiveBook:
    """knowledge/regions/ plus the standards staff entered, shared by every screening of this process."""
    return LiveBook(seed_book(), sessions())


def rescreener() -> Rescreener:
    return Rescreener(sessions(), lead_service(), lambda: live_book().current())


def use_live_standards() -> None:
    """Make every screening of this process (conversation, hotline, API) use `live_book` (resolved on
    each call, so a reset in tests is followed)."""
    use_live_book(lambda: live_book().current())


def reset() -> None:
    """Forget cached settings and connections (after the environment changed, e.g. in tests)."""
    if engine.cache_info().currsize:
        engine().dispose()
    engine.cache_clear()
    sessions.cache_clear()
    household_secret.cache_clear()
    sealer.cache_clear()
    wechat_service.cache_clear()
    live_book.cache_clear()
    get_settings.cache_clear()
