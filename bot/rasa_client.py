"""The few calls we make to Rasa's HTTP API (plain HTTP: the core does not import Rasa)."""

from __future__ import annotations

from typing import Optional
from urllib.parse import quote

import aiohttp

from bot.settings import Settings


class RasaApiError(RuntimeError):
    pass


def _params(settings: Settings) -> dict:
    token = settings.rasa_auth_token
    return {"token": token.get_secret_value()} if token is not None else {}


async def resume_conversation(settings: Settings, conversation_id: str) -> None:
    """Append Rasa's `resume` event, so the bot answers this conversation again.

    The paused conversation ended on our handoff action, not on `action_listen`; without a listen
    the rules (which start from one) would not match the next message.
    """
    url = f"{settings.rasa_url}/conversations/{quote(conversation_id, safe='')}/tracker/events"
    await _post(url, settings, [{"event": "resume"}, {"event": "action", "name": "action_listen"}])


async def _post(url: str, settings: Settings, body, timeout: Optional[float] = 10) -> dict:
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session:
            async with session.post(url, json=body, params=_params(settings)) as resp:
                if resp.status >= 300:
                    raise RasaApiError(f"POST {url} → HTTP {resp.status}: {(await resp.text())[:300]}")
                return await resp.json()
    except aiohttp.ClientError as error:
        raise RasaApiError(f"POST {url} failed: {error}") from error
