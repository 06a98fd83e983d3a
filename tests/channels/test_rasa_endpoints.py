"""endpoints.yml, expanded with the environment our settings produce, builds the stores we mean."""

from __future__ import annotations

import asyncio
import os
import uuid

from rasa.core.lock_store import InMemoryLockStore, LockStore
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
from rasa.core.utils import AvailableEndpoints
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.channels.lock_store import RedisTicketLockStore
from bot.channels.tracker_store import MaskingSQLTrackerStore
from bot.privacy import Sealer
from bot.settings import PROJECT_ROOT, Settings
from tests.helpers import require_or_skip

REDIS_URL = os.environ.get("JIUZHU_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def endpoints_for(monkeypatch, settings: Settings) -> AvailableEndpoints:
    for key, value in settings.rasa_environment().items():
        monkeypatch.setenv(key, value)
    return AvailableEndpoints.read_endpoints(str(PROJECT_ROOT / "endpoints.yml"))


def test_default_is_sql_tracker_store_on_our_database_and_in_memory_locks(monkeypatch, sqlite_url):
    endpoints = endpoints_for(monkeypatch, Settings(_env_file=None, database_url=sqlite_url))
    assert endpoints.action.url.endswith(":5055/webhook")
    assert isinstance(LockStore.create(endpoints.lock_store), InMemoryLockStore)

    domain = Domain.load(str(PROJECT_ROOT / "domain.yml"))
    store = TrackerStore.create(endpoints.tracker_store, domain)
    # Ours, not Rasa's silent fallback to memory for a type it cannot import.
    assert isinstance(store, MaskingSQLTrackerStore) and isinstance(store, SQLTrackerStore)
    tracker = DialogueStateTracker.from_events("endpoint-test", [UserUttered("你好")])
    asyncio.run(store.save(tracker))
    # A second store on the same URL (a restarted server) reads the conversation back.
    again = TrackerStore.create(endpoints.tracker_store, domain)
    restored = asyncio.run(again.retrieve("endpoint-test"))
    assert restored is not None and restored.latest_message.text == "你好"


def test_stored_events_keep_no_phone_or_id_number_but_sealed_values_whole(monkeypatch, sqlite_url):
    from rasa.shared.core.events import SlotSet
    from sqlalchemy import create_engine, text

    endpoints = endpoints_for(monkeypatch, Settings(_env_file=None, database_url=sqlite_url))
    store = TrackerStore.create(endpoints.tracker_store, Domain.load(str(PROJECT_ROOT / "domain.yml")))
    sealed = Sealer(b"secret").seal("13912345678")
    said = "我电话13912345678，身份证220104199001011234"
    tracker = DialogueStateTracker.from_events(
        "mask-test",
        [
            UserUttered(said, parse_data={"text": said, "entities": [{"entity": "phone", "value": "13912345678"}]}),
            SlotSet("conversation", {"emergency": {"phone": sealed, "text": said}}),
        ],
    )
    asyncio.run(store.save(tracker))
    engine = create_engine(sqlite_url)
    with engine.connect() as conn:
        rows = " ".join(row[0] for row in conn.execute(text("SELECT data FROM events WHERE sender_id = 'mask-test'")))
    engine.dispose()
    assert "13912345678" not in rows and "220104199001011234" not in rows and "139****5678" in rows
    restored = asyncio.run(store.retrieve("mask-test"))
    assert restored.get_slot("conversation")["emergency"]["phone"] == sealed
    assert Sealer(b"secret").unseal(sealed) == "13912345678" and Sealer(b"other").unseal(sealed) is None


def test_lock_store_url_selects_our_redis_ticket_lock(monkeypatch, sqlite_url):
    settings = Settings(_env_file=None, database_url=sqlite_url, lock_store_url=REDIS_URL, lock_lease_seconds=7)
    endpoints = endpoints_for(monkeypatch, settings)
    try:
        store = LockStore.create(endpoints.lock_store)
        store.red.ping()
    except Exception as error:  # noqa: BLE001 - any failure to reach Redis
        require_or_skip(f"Redis unreachable at {REDIS_URL}: {error}")
    # Rasa's own RedisLockStore races across servers (tests/channels/test_lock_store.py).
    assert isinstance(store, RedisTicketLockStore) and store.lease_ms == 7000
    conversation = f"lock-test-{uuid.uuid4().hex}"
    ticket = store.issue_ticket(conversation)
    # A second store (another Rasa process) sees the same lock: it lives in Redis.
    other = LockStore.create(endpoints.lock_store)
    assert other.get_lock(conversation).is_locked(ticket + 1)
    store.delete_lock(conversation)
    assert other.get_lock(conversation) is None
