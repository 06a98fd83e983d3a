"""`python -m bot notify`: the sender and the escalation, as the settings describe them, until SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import signal

import aiohttp

from bot.notify.adapters import adapters_from_settings
from bot.notify.escalation import Escalator
from bot.notify.outbox import default_outbox
from bot.notify.sender import Sender
from bot.settings import Settings

logger = logging.getLogger("jiuzhu.notify")


async def serve(settings: Settings, sessions) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    if not settings.notify_routes:
        logger.warning("no notification routes (JIUZHU_NOTIFY_ROUTES): leads notify nobody; escalation still runs")
    timeout = aiohttp.ClientTimeout(total=settings.notify_send_timeout_seconds)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        sender = Sender(
            sessions,
            settings.notify_routes,
            adapters_from_settings(http, settings, sessions),
            console_url=settings.notify_console_url,
            lease_seconds=settings.notify_lease_seconds,
            send_timeout=settings.notify_send_timeout_seconds,
            retry_base=settings.notify_retry_base_seconds,
            retry_max=settings.notify_retry_max_seconds,
            per_minute=settings.notify_per_minute,
        )
        logger.info("notification sender %s started (%d routes)", sender.name, len(settings.notify_routes))
        await sender.run(
            stop,
            settings.notify_poll_seconds,
            escalator=Escalator(sessions, default_outbox()),
            escalate_every=settings.notify_escalate_every_seconds,
        )
