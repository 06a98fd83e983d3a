"""One small adapter per receiving channel. Each says how big a message may be and whether the
resident's contact details may go to it, and sends one message or raises DeliveryFailed (the sender
retries later). README "Notifications" documents what each needs from a deployment."""

from __future__ import annotations

import asyncio
from typing import Dict, List, Optional, Sequence

import aiohttp

from bot.notify.message import CHINA, SEVERITY_NAMES, Item, fit, headline, link
from bot.settings import NotifyRoute, Settings


class DeliveryFailed(Exception):
    """The receiving server did not take the message; its reason, without personal data."""


async def _post_json(http: aiohttp.ClientSession, url: str, payload: dict, **kwargs) -> dict:
    try:
        async with http.post(url, json=payload, **kwargs) as resp:
            if resp.status >= 300:
                raise DeliveryFailed(f"HTTP {resp.status}")
            body = await resp.json(content_type=None)
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
        raise DeliveryFailed(type(error).__name__) from None
    if not isinstance(body, dict):
        raise DeliveryFailed("the answer is not a JSON object")
    return body


class WeComRobot:
    """企业微信 group robot: POST {webhook_base}/cgi-bin/webhook/send?key=KEY. A group reads it, so no
    contact detail in full; text at most 2048 bytes; about 20 messages a minute per robot."""

    channel = "wecom_robot"
    max_bytes = 2048
    reveals_contact = False

    def __init__(self, http: aiohttp.ClientSession) -> None:
        self._http = http

    async def send(self, route: NotifyRoute, recipient: str, text: str, items: Sequence[Item]) -> None:
        content: Dict[str, object] = {"content": text}
        if route.mention_all and any(item.urgent for item in items):
            content["mentioned_list"] = ["@all"]
        body = await _post_json(
            self._http,
            f"{route.webhook_base.rstrip('/')}/cgi-bin/webhook/send",
            {"msgtype": "text", "text": content},
            params={"key": route.key.get_secret_value()},
        )
        if body.get("errcode", -1) != 0:  # 45009: over the robot's rate; 93000: wrong key
            raise DeliveryFailed(f"errcode {body.get('errcode')}: {str(body.get('errmsg', ''))[:100]}")


class SmsGateway:
    """A generic HTTP SMS gateway: POST JSON {"phones": [...], "content": "...", "reference": "..."} with
    `Authorization: Bearer TOKEN`; any 2xx whose JSON is not {"ok": false} is accepted. `reference` is the
    same for every retry of the same rows, so a gateway that deduplicates can drop a repeat. The message
    goes to the staff members' own phones: it carries the resident's name and phone, to call back."""

    channel = "sms"
    max_bytes = 600  # a long SMS of about 200 Chinese characters
    reveals_contact = True

    def __init__(self, http: aiohttp.ClientSession, url: Optional[str], token: Optional[str]) -> None:
        self._http = http
        self._url = url
        self._token = token

    async def send(self, route: NotifyRoute, recipient: str, text: str, items: Sequence[Item]) -> None:
        if not self._url:
            raise DeliveryFailed("JIUZHU_NOTIFY_SMS_URL is not set")
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
        reference = "N" + "-".join(str(item.outbox_id) for item in items)
        body = await _post_json(
            self._http, self._url, {"phones": route.phones, "content": text, "reference": reference}, headers=headers
        )
        if body.get("ok") is False:
            raise DeliveryFailed(f"gateway refused: {str(body.get('error', ''))[:100]}")


class WeChatTemplate:
    """A template message (模板消息) to one staff member who follows the Official Account, with the
    account's shared access_token (bot.wechat). Its keywords pass through WeChat's servers and show in
    the chat list: contact details masked. The template needs the fields first, keyword1–3, remark."""

    channel = "wechat_template"
    max_bytes = 600
    reveals_contact = False

    def __init__(self, http: aiohttp.ClientSession, customer_service, api_base: str, console_url: Optional[str]):
        self._http = http
        self._wechat = customer_service  # bot.wechat.CustomerService: its access_token()
        self._api_base = api_base.rstrip("/")
        self._console_url = console_url

    def data(self, text: str, items: Sequence[Item]) -> Dict[str, Dict[str, str]]:
        first = headline(items[0]) if len(items) == 1 else f"【线索汇总】{len(items)} 条"
        severities = "、".join(dict.fromkeys(SEVERITY_NAMES[item.severity] for item in items))
        due = min(item.due_at for item in items).astimezone(CHINA).strftime("%m-%d %H:%M")
        fields = {
            "first": first,
            "keyword1": "、".join(f"#{item.lead_id}" for item in items),
            "keyword2": severities,
            "keyword3": f"{due}（北京时间）",
            "remark": text,
        }
        return {name: {"value": fit(value, 200)} for name, value in fields.items()}

    async def send(self, route: NotifyRoute, recipient: str, text: str, items: Sequence[Item]) -> None:
        if self._wechat is None:
            raise DeliveryFailed("the WeChat app id and secret are not set")
        from bot.wechat.client import TOKEN_ERRORS, WeChatApiError

        payload = {"touser": recipient, "template_id": route.template_id, "data": self.data(text, items)}
        if self._console_url and len(items) == 1:
            payload["url"] = link(self._console_url, items[0].lead_id)
        token: Optional[str] = None
        for _ in range(2):  # once more with a new token when WeChat says this one is stale
            try:
                token = await self._wechat.access_token(stale=token)
            except (WeChatApiError, aiohttp.ClientError, asyncio.TimeoutError) as error:
                raise DeliveryFailed(f"access_token: {type(error).__name__}") from None
            body = await _post_json(
                self._http,
                f"{self._api_base}/cgi-bin/message/template/send",
                payload,
                params={"access_token": token},
            )
            if body.get("errcode", 0) == 0:
                return
            if body.get("errcode") not in TOKEN_ERRORS:
                break
        raise DeliveryFailed(f"errcode {body.get('errcode')}: {str(body.get('errmsg', ''))[:100]}")


def recipients(route: NotifyRoute) -> List[str]:
    """One outbox row per recipient the channel sends to separately (a template goes to each follower)."""
    return list(route.open_ids) if route.channel == WeChatTemplate.channel else [""]


def adapters_from_settings(http: aiohttp.ClientSession, settings: Settings, sessions) -> Dict[str, object]:
    customer_service = None
    if settings.wechat_app_id and settings.wechat_app_secret:
        from bot.wechat import CustomerService, TokenStore, WeChatConfig

        # Only the API half of the account is used here (app id, secret, API server); the callback
        # token is required by WeChatConfig but never read when sending.
        config = WeChatConfig(
            "notify",
            settings.wechat_app_id,
            settings.wechat_app_secret.get_secret_value(),
            None,
            settings.wechat_api_base,
            mode="plaintext",
        )
        customer_service = CustomerService(config, TokenStore(sessions))
    sms_token = settings.notify_sms_token.get_secret_value() if settings.notify_sms_token else None
    return {
        WeComRobot.channel: WeComRobot(http),
        SmsGateway.channel: SmsGateway(http, settings.notify_sms_url, sms_token),
        WeChatTemplate.channel: WeChatTemplate(
            http, customer_service, settings.wechat_api_base, settings.notify_console_url
        ),
    }
