from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import inspect

from bot.db import create_db_engine, session_factory
from bot.handoff import HandoffNotFound, HandoffService, HandoffStatus, TranscriptLine


class Clock:
    def __init__(self):
        self.now = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)

    def __call__(self):
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture
def service(sessions):
    return HandoffService(sessions, clock=Clock())


def test_request_is_recorded_with_masked_transcript(service):
    handoff = service.request(
        "conv-1",
        "rest",
        [TranscriptLine("user", "你好"), TranscriptLine("user", "我电话13912345678 转人工")],
    )
    assert handoff.id is not None
    stored = service.get_open("conv-1")
    assert stored.channel == "rest"
    assert stored.status is HandoffStatus.open
    assert stored.requested_at.tzinfo is not None
    assert stored.transcript == [
        {"speaker": "user", "text": "你好"},
        {"speaker": "user", "text": "我电话139****5678 转人工"},
    ]


def test_asking_twice_keeps_one_open_request(service):
    first = service.request("conv-2", "rest", [TranscriptLine("user", "转人工")])
    second = service.request("conv-2", "rest", [TranscriptLine("user", "转人工"), TranscriptLine("user", "快点")])
    assert first.id == second.id
    assert [h.conversation_id for h in service.list_open()] == ["conv-2"]
    assert len(service.get_open("conv-2").transcript) == 2


def test_resume_closes_the_request_and_a_new_one_can_follow(service):
    service.request("conv-3", "rest", [])
    resumed = service.resume("conv-3", by="王主任")
    assert resumed.status is HandoffStatus.resumed
    assert resumed.resumed_by == "王主任" and resumed.resumed_at is not None
    assert service.get_open("conv-3") is None
    with pytest.raises(HandoffNotFound):
        service.resume("conv-3", by="王主任")
    again = service.request("conv-3", "rest", [])
    assert again.id != resumed.id


def test_list_open_is_oldest_first_and_excludes_resumed(service):
    for conv in ("a", "b", "c"):
        service.request(conv, "rest", [])
    service.resume("b", by="x")
    assert [h.conversation_id for h in service.list_open()] == ["a", "c"]


def test_request_survives_a_new_engine(database_url):
    """What a restarted server sees: a fresh engine on the same database."""
    engine = create_db_engine(database_url)
    HandoffService(session_factory(engine)).request("conv-restart", "rest", [TranscriptLine("user", "转人工")])
    engine.dispose()
    engine = create_db_engine(database_url)
    try:
        stored = HandoffService(session_factory(engine)).get_open("conv-restart")
        assert stored is not None and stored.transcript == [{"speaker": "user", "text": "转人工"}]
    finally:
        engine.dispose()


def test_migrations_create_and_drop_our_tables_only(database_url):
    from bot import migrate

    engine = create_db_engine(database_url)
    try:
        assert "handoff_requests" in inspect(engine).get_table_names()
        migrate.downgrade(database_url)
        assert "handoff_requests" not in inspect(create_db_engine(database_url)).get_table_names()
        migrate.upgrade(database_url)
        assert "handoff_requests" in inspect(create_db_engine(database_url)).get_table_names()
    finally:
        engine.dispose()


def test_migrations_match_the_models(database_url):
    """A model changed without a migration shows up here as a schema difference."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from bot.db import metadata
    from bot.migrate import include_object

    engine = create_db_engine(database_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"include_object": include_object, "compare_type": True})
            assert compare_metadata(context, metadata) == []
    finally:
        engine.dispose()
