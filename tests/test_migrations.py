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
