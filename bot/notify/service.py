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


async def _rescreen_every(seconds: float, stop: asyncio.Event) -> None:
    """动态监测 on the notifier's schedule: a standard that took effect is applied to the households that
    agreed (bot.standards.rescreen); each run is idempotent, so several notifiers may run it."""
    from bot import runtime

    while not stop.is_set():
        try:
            report = await asyncio.to_thread(runtime.rescreener().run)
            logger.info("re-screen: %s", report)
        except Exception:  # noqa: BLE001 - a failed run is retried at the next tick, the sender goes on
            logger.exception("re-screen failed")
        try:
            await asyncio.wait_for(stop.wait(), timeout=seconds)
        except asyncio.TimeoutError:
            pass


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
        rescreening = asyncio.create_task(_rescreen_every(settings.rescreen_every_seconds, stop))
        await sender.run(
            stop,
            settings.notify_poll_seconds,
            escalator=Escalator(sessions, default_outbox()),
            escalate_every=settings.notify_escalate_every_seconds,
        )
        stop.set()
        await rescreening
