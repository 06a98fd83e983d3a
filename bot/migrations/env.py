"""Alembic environment: runs our migrations against the URL given in the Alembic config."""

from alembic import context
from sqlalchemy import create_engine, event

from bot.db import create_db_engine, metadata
from bot.migrate import include_object


def run_migrations_online() -> None:
    url = context.config.get_main_option("sqlalchemy.url")
    connectable = context.config.attributes.get("connection")
    if connectable is not None:
        _migrate(connectable)
        return
    engine = _sqlite_engine(url) if url.startswith("sqlite") else create_db_engine(url)
    with engine.connect() as connection:
        _migrate(connection)
        if connection.dialect.name == "sqlite":
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"foreign keys broken by the migration: {broken[:5]}")
    engine.dispose()


def _sqlite_engine(url: str):
    """SQLite for migrations: all of a migration in one real transaction, foreign keys off.

    Python's sqlite3 commits before DDL on its own, so a migration that failed half-way stayed half
    done; driving transactions ourselves (SQLAlchemy's recipe) makes it all or nothing. And SQLite
    alters a table by copying and dropping it: with foreign keys on, dropping a table that others
    reference (leads ← lead_events) fails once rows exist; SQLite's own recipe turns them off for the
    migration and checks them after (above)."""
    engine = create_engine(url, connect_args={"isolation_level": None})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=OFF")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection) -> None:
        connection.exec_driver_sql("BEGIN")

    return engine


def _migrate(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        include_object=include_object,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `python -m bot migrate`")
run_migrations_online()
