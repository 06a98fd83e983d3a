"""Bring the product database to the newest schema (Alembic, configured in code)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from alembic import command
from alembic.config import Config

import bot.handoff.tables  # noqa: F401  (tables register on the shared metadata)
import bot.hotline.tables  # noqa: F401
import bot.leads.tables  # noqa: F401
import bot.standards.tables  # noqa: F401
import bot.wechat.tables  # noqa: F401
from bot.db import metadata
from bot.settings import get_settings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Only our tables: Rasa's tracker store keeps its `events` table in the same database."""
    if type_ == "table":
        return name in metadata.tables
    return True


def alembic_config(url: Optional[str] = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # ConfigParser treats % specially; URLs with escaped passwords contain it.
    config.set_main_option("sqlalchemy.url", (url or get_settings().database_url).replace("%", "%%"))
    return config


def upgrade(url: Optional[str] = None, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: Optional[str] = None, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)
