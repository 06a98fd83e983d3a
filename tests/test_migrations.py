"""Migrations run on a database that already holds data, as a deployed one does (not only on an empty one)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from bot import migrate
from bot.db import create_db_engine, session_factory
from bot.leads import LeadService, StaffRole, StaffService
from tests.leads.test_service import SECRET, draft


def test_upgrading_a_database_with_leads_and_their_history_keeps_them(database_url):
    engine = create_db_engine(database_url)
    sessions = session_factory(engine)
    town = StaffService(sessions).create("李干事", "前进街道", "220104001", StaffRole.township_staff)[0]
    service = LeadService(sessions, SECRET)
    lead = service.file(draft(key="before-upgrade")).lead
    service.claim(lead.id, town)  # a history row that references the lead
    # Back to the schema before the last table rebuilds, with the rows in place, then up again: on
    # SQLite a rebuilt `leads` is dropped and copied while lead_events point at it.
    migrate.downgrade(database_url, "0005")
    migrate.upgrade(database_url)
    with engine.connect() as conn:
        leads = conn.execute(text("SELECT COUNT(*) FROM leads")).scalar()
        events = conn.execute(text("SELECT COUNT(*) FROM lead_events WHERE lead_id = :id"), {"id": lead.id}).scalar()
    engine.dispose()
    assert leads == 1 and events >= 2


def test_a_migration_that_fails_half_way_on_sqlite_leaves_nothing_half_done(sqlite_url):
    import pytest
    from sqlalchemy import inspect

    migrate.downgrade(sqlite_url, "0005")
    engine = create_db_engine(sqlite_url)
    with engine.begin() as conn:  # something in the way of the migration's last step
        conn.execute(text("CREATE TABLE staff_sessions (x INTEGER)"))
    with pytest.raises(OperationalError):
        migrate.upgrade(sqlite_url)
    columns = {c["name"] for c in inspect(engine).get_columns("leads")}
    with engine.connect() as conn:
        version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    engine.dispose()
    assert version == "0005" and "filer" not in columns  # the earlier steps were rolled back too


def test_conversations_from_before_the_channel_namespace_go_on_under_their_new_ids(database_url):
    import json

    from bot.handoff import HandoffService, TranscriptLine

    migrate.downgrade(database_url, "0010")
    engine = create_db_engine(database_url)
    service = HandoffService(session_factory(engine))
    for conversation, channel in (("page-0123456789abcdef", "webchat"), ("o_openid_1", "wechat"), ("dev-1", "rest")):
        service.request(conversation, channel, [TranscriptLine("user", "转人工")])
        service.heard(conversation, "还在吗")
    with engine.begin() as conn:  # Rasa's tracker table, as its SQL store makes it
        conn.execute(
            text(
                "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255), type_name VARCHAR(255), data TEXT)"
            )
        )
        for i, (sender, channel) in enumerate((("o_openid_1", "wechat"), ("dev-1", "rest"), ("o_openid_1", None))):
            data = {"event": "user", "text": "你好", "input_channel": channel} if channel else {"event": "bot"}
            conn.execute(
                text("INSERT INTO events (id, sender_id, type_name, data) VALUES (:i, :s, :t, :d)"),
                {"i": i + 1, "s": sender, "t": "user" if channel else "bot", "d": json.dumps(data)},
            )
    migrate.upgrade(database_url)
    with engine.connect() as conn:
        handoffs = sorted(conn.execute(text("SELECT conversation_id FROM handoff_requests")).scalars())
        said = sorted(conn.execute(text("SELECT conversation_id FROM handoff_messages")).scalars())
        senders = [row for row in conn.execute(text("SELECT sender_id FROM events ORDER BY id")).scalars()]
        conn.execute(text("DROP TABLE events"))
        conn.commit()
    engine.dispose()
    assert handoffs == ["dev-1", "webchat:page-0123456789abcdef", "wechat:o_openid_1"] == said
    assert senders == ["wechat:o_openid_1", "dev-1", "wechat:o_openid_1"]  # every event of the conversation
