"""Alembic, run from Python: `upgrade(url)` for the command line, `upgrade_async` in the app."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from db.engine import create_engine

ALEMBIC_INI = Path(__file__).with_name("alembic.ini")


def alembic_config(url: str | None = None) -> Config:
    """The Alembic configuration shipped in `db/`, pointed at `url` when given."""
    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(ALEMBIC_INI.parent / "migrations"))
    if url is not None:
        # ConfigParser interpolation: a literal % in a password must be doubled.
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _upgrade_on(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def upgrade_async(engine: AsyncEngine, revision: str = "head") -> None:
    """Apply migrations up to `revision` on `engine`, inside the running event loop."""
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade_on, revision)


def upgrade(url: str, revision: str = "head") -> None:
    """Apply migrations up to `revision` on the database at `url` (not from a running loop)."""

    async def run() -> None:
        engine = create_engine(url)
        try:
            await upgrade_async(engine, revision)
        finally:
            await engine.dispose()

    asyncio.run(run())


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at (None before the first migration)."""
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()
