"""A Rasa lock store that serialises one conversation's messages across Rasa servers (Redis).

Rasa 3.6's `RedisLockStore` keeps a conversation's ticket queue as one JSON value and changes it by
GET → modify in Python → SET (rasa/core/lock_store.py `issue_ticket`, `finish_serving`). Within one
process that is atomic (no await in between); across processes it is not: two servers reading the
same queue both append ticket N+1, so both are "now serving" at once, and a SET after a concurrent
`cleanup` loses tickets (RasaHQ/rasa#9213). tests/channels/test_lock_store.py shows both.

Here every change of a queue is one Lua script, which Redis runs atomically:

- a ticket is an INCR of the conversation's counter, queued in a sorted set by its number, so tickets
  are served in the order they were issued (the order messages arrived, whichever server took them);
- each ticket has a lease measured on the Redis server's clock (one clock for every machine); a waiter
  renews its lease every time it looks, the holder renews it in the background while it works, so a
  crashed holder or waiter disappears from the queue one lease after its last renewal;
- waiters poll every few milliseconds rather than Rasa's one second, so a queued message starts as
  soon as the one before it ends.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from contextlib import asynccontextmanager, suppress
from typing import AsyncGenerator, Callable, Optional, Text

from rasa.core.lock import Ticket, TicketLock
from rasa.core.lock_store import LockError, LockStore
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

DEFAULT_LEASE_SECONDS = 20.0
KEY_PREFIX = "jiuzhu:lock:"
FIRST_POLL_SECONDS = 0.002
MAX_POLL_SECONDS = 0.05

# Shared by the scripts: drop the tickets whose lease ran out (deadlines in ms, Redis' own clock).
_PURGE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local leases = redis.call('HGETALL', KEYS[3])
for i = 1, #leases, 2 do
  if tonumber(leases[i + 1]) < now then
    redis.call('HDEL', KEYS[3], leases[i])
    redis.call('ZREM', KEYS[2], leases[i])
  end
end
local function keep(ms)
  for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ms) end
end
"""
# KEYS: counter, queue, leases. ARGV: lease ms. Returns the new ticket's number.
_ISSUE = (
    _PURGE
    + """
local number = redis.call('INCR', KEYS[1])
redis.call('ZADD', KEYS[2], number, number)
redis.call('HSET', KEYS[3], number, now + tonumber(ARGV[1]))
keep(2 * tonumber(ARGV[1]))
return number
"""
)
# ARGV: ticket, lease ms. Renews the ticket; 1 when it is first in the queue, 0 when it waits,
# -1 when its lease ran out (it is no longer queued).
_TRY = (
    _PURGE
    + """
if redis.call('HEXISTS', KEYS[3], ARGV[1]) == 0 then return -1 end
redis.call('HSET', KEYS[3], ARGV[1], now + tonumber(ARGV[2]))
keep(2 * tonumber(ARGV[2]))
local head = redis.call('ZRANGE', KEYS[2], 0, 0)
if head[1] == ARGV[1] then return 1 end
return 0
"""
)
# ARGV: ticket. Removes it; the keys go with the last ticket (the counter restarts on an empty queue).
_RELEASE = """
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
if redis.call('ZCARD', KEYS[2]) == 0 then redis.call('DEL', KEYS[1], KEYS[2], KEYS[3]) end
return 1
"""


class RedisTicketLockStore(LockStore):
    """`lock_store: type: bot.channels.lock_store.RedisTicketLockStore` in endpoints.yml; takes the
    connection settings Rasa's `redis` lock store takes (url=host, port, db, password) plus
    `lease_seconds`."""

    def __init__(
        self,
        endpoint_config: Optional[EndpointConfig] = None,
        *,
        host: Text = "127.0.0.1",
        port: int = 6379,
        db: int = 0,
        password: Optional[Text] = None,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
    ) -> None:
        import redis

        if endpoint_config is not None:
            kwargs = endpoint_config.kwargs
            host = endpoint_config.url or host
            port = int(kwargs.get("port") or port)
            db = int(kwargs.get("db") or db)
            password = kwargs.get("password") or password
            lease_seconds = float(kwargs.get("lease_seconds") or lease_seconds)
        self.red = redis.Redis(host=host, port=int(port), db=int(db), password=password or None, socket_timeout=10)
        self.lease_ms = int(lease_seconds * 1000)
        self._issue = self.red.register_script(_ISSUE)
        self._try = self.red.register_script(_TRY)
        self._release = self.red.register_script(_RELEASE)
        super().__init__()

    # Called with the seconds a message waited for its lock (bot/channels/rasa_metrics.py sets it).
    on_wait: Optional[Callable[[float], None]] = None

    @staticmethod
    def _keys(conversation_id: Text):
        base = KEY_PREFIX + conversation_id
        return [base + ":seq", base + ":queue", base + ":lease"]

    # --- the ticket lock, one atomic script per step ------------------------------------------
    def issue_ticket(self, conversation_id: Text, lock_lifetime: float = 0) -> int:
        try:
            return int(self._issue(keys=self._keys(conversation_id), args=[self.lease_ms]))
        except Exception as error:  # noqa: BLE001 - Rasa expects a LockError for any failure
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def try_acquire(self, conversation_id: Text, ticket: int) -> int:
        """1: the ticket holds the lock; 0: it waits; -1: its lease ran out. Renews the lease."""
        return int(self._try(keys=self._keys(conversation_id), args=[ticket, self.lease_ms]))

    def release(self, conversation_id: Text, ticket: int) -> None:
        self._release(keys=self._keys(conversation_id), args=[ticket])

    @asynccontextmanager
    async def lock(
        self, conversation_id: Text, lock_lifetime: float = 0, wait_time_in_seconds: float = 0
    ) -> AsyncGenerator[TicketLock, None]:
        # Rasa's lifetime and poll interval are ignored: the lease is renewed while held, and a short
        # poll keeps a queued message from idling a second after its turn came.
        started = time.perf_counter()
        ticket = self.issue_ticket(conversation_id)
        renewer = None
        try:
            poll = FIRST_POLL_SECONDS
            while True:
                state = self.try_acquire(conversation_id, ticket)
                if state == 1:
                    break
                if state == -1:
                    raise LockError(f"Lock ticket {ticket} of conversation '{conversation_id}' expired while waiting.")
                await asyncio.sleep(poll)
                poll = min(poll * 2, MAX_POLL_SECONDS)
            if self.on_wait is not None:
                self.on_wait(time.perf_counter() - started)
            renewer = asyncio.ensure_future(self._renew(conversation_id, ticket))
            yield self.get_lock(conversation_id) or TicketLock(conversation_id)
        finally:
            if renewer is not None:
                renewer.cancel()
                with suppress(asyncio.CancelledError):
                    await renewer
            self.release(conversation_id, ticket)

    async def _renew(self, conversation_id: Text, ticket: int) -> None:
        while True:
            await asyncio.sleep(self.lease_ms / 3000)
            try:
                held = self.try_acquire(conversation_id, ticket)
            except Exception as error:  # noqa: BLE001 - Redis briefly away: try again at the next renewal
                logger.warning("lock of conversation %s not renewed: %s", conversation_id, type(error).__name__)
                continue
            if held != 1:
                logger.warning(
                    "lock of conversation %s lost while held (event loop blocked past the lease?)", conversation_id
                )
                return

    # --- Rasa's LockStore interface, for code that inspects locks -------------------------------
    def get_lock(self, conversation_id: Text) -> Optional[TicketLock]:
        _, queue, leases = self._keys(conversation_id)
        numbers = [int(n) for n in self.red.zrange(queue, 0, -1)]
        if not numbers:
            return None
        deadlines = self.red.hgetall(leases)
        tickets = [Ticket(n, int(deadlines.get(str(n).encode(), 0)) / 1000) for n in numbers]
        return TicketLock(conversation_id, deque(tickets))

    def delete_lock(self, conversation_id: Text) -> None:
        deleted = self.red.delete(*self._keys(conversation_id))
        self._log_deletion(conversation_id, bool(deleted))

    def save_lock(self, lock: TicketLock) -> None:
        raise NotImplementedError("RedisTicketLockStore changes its queues only through its atomic scripts")

    def finish_serving(self, conversation_id: Text, ticket_number: int) -> None:
        self.release(conversation_id, ticket_number)

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        self.release(conversation_id, ticket_number)

    def update_lock(self, conversation_id: Text) -> None:
        pass  # expired tickets are dropped by every script

    def is_someone_waiting(self, conversation_id: Text) -> bool:
        return bool(self.red.zcard(self._keys(conversation_id)[1]))
