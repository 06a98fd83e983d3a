"""One settings object for every process (Rasa server, action server, API, CLI).

Values come from environment variables prefixed ``JIUZHU_`` and from an optional ``.env`` file in the
project root; the defaults run the whole product on one machine with nothing else installed.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Literal, Optional
from urllib.parse import unquote, urlsplit

from pydantic import BaseModel, BaseSettings, Field, SecretStr, constr, root_validator, validator
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LOG_LEVELS = {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}


class NotifyRoute(BaseModel):
    """Where the notifications of a region go (README "Notifications"). The most specific region prefix
    with a route of the audience wins; every route of that prefix is used (a robot and an SMS, say)."""

    name: constr(regex=r"^[A-Za-z0-9_.:-]{1,64}$")  # kept in each outbox row; secrets stay here
    region: constr(regex=r"^[0-9]{0,12}$") = ""  # administrative code prefix; "" is everywhere
    audience: Literal["office", "supervisor"] = "office"  # new leads / escalations (county supervisor)
    channel: Literal["wecom_robot", "sms", "wechat_template"]
    key: Optional[SecretStr] = None  # 企业微信 group robot: the webhook's key
    webhook_base: str = "https://qyapi.weixin.qq.com"
    mention_all: bool = False  # robot: @all on a life-threatening lead
    phones: List[constr(regex=r"^[0-9]{11}$")] = []  # SMS: the staff members' own mobiles
    open_ids: List[constr(min_length=1, max_length=64)] = []  # template: staff who follow the account
    template_id: Optional[constr(min_length=1, max_length=64)] = None

    @root_validator(skip_on_failure=True)
    def _channel_needs(cls, values: Dict[str, Any]) -> Dict[str, Any]:
        channel = values["channel"]
        if channel == "wecom_robot" and not (values.get("key") and values["key"].get_secret_value()):
            raise ValueError(f"route {values['name']}: a wecom_robot route needs its webhook key")
        if channel == "sms" and not values.get("phones"):
            raise ValueError(f"route {values['name']}: an sms route needs phones")
        if channel == "wechat_template" and not (values.get("open_ids") and values.get("template_id")):
            raise ValueError(f"route {values['name']}: a wechat_template route needs open_ids and template_id")
        return values


class Settings(BaseSettings):
    database_url: str = Field(
        default=f"sqlite:///{PROJECT_ROOT / 'var' / 'jiuzhu.db'}",
        description="SQLAlchemy URL of the product database; Rasa's tracker store uses it too.",
    )
    lock_store_url: Optional[str] = Field(
        default=None,
        description="redis://host:port/db for Rasa's lock store; empty means in-memory (one Rasa process).",
    )
    lock_lease_seconds: float = Field(
        default=20,
        ge=2,
        le=600,
        description="A conversation's lock is free again this long after a crashed server last renewed it",
    )
    action_host: Optional[str] = Field(
        default=None, description="Where Rasa reaches its action server (containers: a service name); default host"
    )
    instances: int = Field(
        default=1, ge=1, le=32, description="Rasa + action server pairs `python -m bot run` starts behind haproxy"
    )
    instance_port_base: int = Field(
        default=15000, ge=1024, le=60000, description="Instance i serves Rasa on base+2i and actions on base+2i+1"
    )
    host: str = Field(default="127.0.0.1", description="Interface every server binds to.")
    rasa_port: int = 5005
    action_port: int = 5055
    api_port: int = 8080
    api_workers: int = Field(default=2, ge=1, le=32, description="API processes sharing the port (SO_REUSEPORT)")
    rasa_auth_token: Optional[SecretStr] = Field(
        default=None, description="Token Rasa's HTTP API demands (?token=…); unset means no token."
    )
    household_key_secret: Optional[SecretStr] = Field(
        default=None,
        description="secret for the keyed hash that matches a lead to its household; "
        "unset: one is generated once into var/household_key.secret",
    )
    log_level: str = "INFO"
    # "json": one JSON object a line with the conversation id (bot/logs.py), for a log collector.
    log_format: Literal["text", "json"] = "text"
    handoff_transcript_messages: int = Field(
        default=10, ge=1, le=100, description="How many recent messages a handoff request keeps."
    )

    # The WeChat Official Account (公众号 → 基本配置). Without a token the channel answers 503.
    wechat_token: Optional[SecretStr] = Field(default=None, description="服务器配置 Token (3–32 letters/digits)")
    wechat_app_id: Optional[str] = Field(default=None, description="AppID, for safe mode and the customer-service API")
    wechat_app_secret: Optional[SecretStr] = Field(default=None, description="AppSecret, for the customer-service API")
    wechat_encoding_aes_key: Optional[SecretStr] = Field(
        default=None, description="EncodingAESKey (43 characters): needed for safe (AES) and compatible mode"
    )
    # The same three modes as bot.wechat.protocol.MODES (a test keeps them equal; importing them here
    # would load the channel with the settings).
    wechat_message_mode: Optional[Literal["plaintext", "compatible", "safe"]] = Field(
        default=None,
        description="消息加解密方式, fixed here and never taken from a request: "
        "unset means safe with an EncodingAESKey, plaintext without",
    )
    wechat_api_base: str = Field(
        default="https://api.weixin.qq.com", description="WeChat API server (tests use a fake)"
    )
    wechat_reply_seconds: float = Field(
        default=4.5, gt=0, le=4.8, description="Reply passively within this; later answers go by customer-service API"
    )

    # Notifications (bot/notify): routes per region, and how the sender delivers them.
    notify_routes: List[NotifyRoute] = Field(
        default_factory=list, description="JSON list of routes; none configured means nobody is notified"
    )
    notify_sms_url: Optional[str] = Field(default=None, description="The SMS gateway's send URL (JSON POST)")
    notify_sms_token: Optional[SecretStr] = Field(default=None, description="Bearer token for the SMS gateway")
    notify_console_url: Optional[str] = Field(
        default=None, description="The console's public address, for the link in each notification"
    )
    notify_digest_seconds: int = Field(
        default=300, ge=0, le=3600, description="Leads that are not life-threatening are sent as one digest per window"
    )
    notify_poll_seconds: float = Field(default=2, gt=0, le=60, description="How often the sender looks for work")
    notify_send_timeout_seconds: float = Field(default=10, gt=0, le=60)
    notify_lease_seconds: float = Field(
        default=60, gt=0, le=3600, description="A claimed row is another sender's again after this (a crash)"
    )
    notify_retry_base_seconds: float = Field(default=5, gt=0, le=600, description="First retry; doubles each time")
    notify_retry_max_seconds: float = Field(default=600, gt=0, le=86400)
    notify_per_minute: int = Field(
        default=20, ge=5, le=1000, description="Messages a minute per route (企业微信 robots take about 20)"
    )
    notify_escalate_every_seconds: float = Field(default=60, gt=0, le=3600)
    rescreen_every_seconds: float = Field(
        default=3600,
        gt=0,
        le=86400,
        description="How often the notifier re-screens consenting households against the standards in force "
        "(a standard entered with today's date is applied within this long)",
    )

    class Config:
        env_prefix = "JIUZHU_"
        env_file = str(PROJECT_ROOT / ".env")
        env_file_encoding = "utf-8"

    @validator("log_level")
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in LOG_LEVELS:
            raise ValueError(f"log_level must be one of {sorted(LOG_LEVELS)}, got {value!r}")
        return level

    @validator("wechat_encoding_aes_key")
    def _aes_key(cls, value: Optional[SecretStr]) -> Optional[SecretStr]:
        if value is not None and value.get_secret_value() and len(value.get_secret_value()) != 43:
            raise ValueError("wechat_encoding_aes_key must be the 43 characters the WeChat console shows")
        return value or None

    @root_validator(skip_on_failure=True)
    def _wechat_mode(cls, values: Dict[str, Any]) -> Dict[str, Any]:
        # Downstream an EncodingAESKey means "every message must be encrypted", so plaintext mode
        # drops the key, and the encrypted modes cannot start without one.
        mode = values.get("wechat_message_mode")
        if mode == "plaintext":
            values["wechat_encoding_aes_key"] = None
        elif mode and values.get("wechat_encoding_aes_key") is None:
            raise ValueError(f"wechat_message_mode {mode} needs wechat_encoding_aes_key")
        return values

    @validator("notify_routes")
    def _route_names_unique(cls, routes: List[NotifyRoute]) -> List[NotifyRoute]:
        names = [route.name for route in routes]
        if len(names) != len(set(names)):
            raise ValueError("notify_routes: each route needs its own name")
        return routes

    @root_validator(skip_on_failure=True)
    def _lease_outlasts_a_send(cls, values: Dict[str, Any]) -> Dict[str, Any]:
        # A lease shorter than a send would let a second sender take a row still being sent.
        if values["notify_lease_seconds"] < 3 * values["notify_send_timeout_seconds"]:
            raise ValueError("notify_lease_seconds must be at least 3 × notify_send_timeout_seconds")
        return values

    @validator("database_url")
    def _parseable_url(cls, value: str) -> str:
        try:
            make_url(value)
        except ArgumentError as error:
            raise ValueError(f"database_url is not an SQLAlchemy URL: {error}") from None
        return value

    @validator("lock_store_url")
    def _redis_url(cls, value: Optional[str]) -> Optional[str]:
        if not value:
            return None
        if urlsplit(value).scheme not in ("redis", "rediss"):
            raise ValueError(f"lock_store_url must be redis://… or rediss://…, got {value!r}")
        return value

    @property
    def rasa_url(self) -> str:
        return f"http://{self.host}:{self.rasa_port}"

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.api_port}"

    @property
    def action_url(self) -> str:
        return f"http://{self.action_host or self.host}:{self.action_port}"

    def rasa_environment(self) -> Dict[str, str]:
        """Environment variables that ``endpoints.yml`` expands, derived from these settings.

        Rasa's Redis lock store takes host/port/db pieces rather than a URL, so the one URL in our
        settings is split here rather than configured twice.
        """
        url = make_url(self.database_url)
        if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
            # Rasa runs with its own working directory in mind; make the file unambiguous.
            url = url.set(database=str(Path(url.database).resolve()))
        env = {
            "JIUZHU_ACTION_ENDPOINT": f"{self.action_url}/webhook",
            # Rasa's SQL tracker store takes a full SQLAlchemy URL in `url`.
            "JIUZHU_TRACKER_URL": url.render_as_string(hide_password=False),
        }
        if self.lock_store_url:
            lock = urlsplit(self.lock_store_url)
            env.update(
                # Rasa's own `redis` store is not safe across servers (bot/channels/lock_store.py).
                JIUZHU_LOCK_STORE_TYPE="bot.channels.lock_store.RedisTicketLockStore",
                JIUZHU_LOCK_STORE_HOST=lock.hostname or "127.0.0.1",
                JIUZHU_LOCK_STORE_PORT=str(lock.port or 6379),
                JIUZHU_LOCK_STORE_DB=(lock.path.lstrip("/") or "0"),
                JIUZHU_LOCK_STORE_PASSWORD=unquote(lock.password or ""),
                JIUZHU_LOCK_LEASE_SECONDS=str(self.lock_lease_seconds),
            )
        else:
            env.update(
                JIUZHU_LOCK_STORE_TYPE="in_memory",
                JIUZHU_LOCK_STORE_HOST="",
                JIUZHU_LOCK_STORE_PORT="0",
                JIUZHU_LOCK_STORE_DB="0",
                JIUZHU_LOCK_STORE_PASSWORD="",
                JIUZHU_LOCK_LEASE_SECONDS=str(self.lock_lease_seconds),
            )
        return env


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
