"""Alembic owns the schema: `upgrade head` on a fresh database gives exactly the models."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from db.engine import create_engine, utc
from db.migrate import alembic_config, upgrade, upgrade_async
from db.models import BotConversation, ExportJob

TABLES = {
    "api_keys",
    "households",
    "members",
    "assessments",
    "determinations",
    "policy_sets",
    "audit_events",
    "bot_conversations",
    "export_jobs",
    "telegram_updates",
    "rate_limits",
}


def _differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, SQLModel.metadata))


def _head() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def test_upgrade_head_matches_the_models(db_engine: AsyncEngine) -> None:
    """`database_url` was migrated with `alembic upgrade head` when it was created."""
    async with db_engine.connect() as connection:
        names = set(await connection.run_sync(lambda c: sa.inspect(c).get_table_names()))
        assert names >= TABLES | {"alembic_version"}
        revision = await connection.run_sync(
            lambda c: MigrationContext.configure(c).get_current_revision()
        )
        assert revision == _head()
        assert await connection.run_sync(_differences) == []


async def test_upgrade_is_idempotent(db_engine: AsyncEngine) -> None:
    await upgrade_async(db_engine)
    async with db_engine.connect() as connection:
        assert await connection.run_sync(_differences) == []


def test_command_line_upgrade_on_a_fresh_sqlite_file(tmp_path: Path) -> None:
    """`db.migrate.upgrade(url)` (what `eligibility db upgrade` runs) creates the folder too."""
    url = f"sqlite+aiosqlite:///{tmp_path}/new/folder/fresh.db"
    upgrade(url)
    assert (tmp_path / "new" / "folder" / "fresh.db").exists()

    async def check() -> list[object]:
        engine = create_engine(url)
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(_differences)
        finally:
            await engine.dispose()

    assert asyncio.run(check()) == []


async def test_tables_for_the_other_doors_take_rows(
    db_sessions: async_sessionmaker[AsyncSession],
) -> None:
    """`bot_conversations` and `export_jobs` round-trip through their models."""
    user = "tg-" + uuid.uuid4().hex[:8]
    job_id = str(uuid.uuid4())
    async with db_sessions() as session:
        session.add(
            BotConversation(telegram_user_id=user, chat_id=-100_123_456_789_012, state="ask")
        )
        session.add(
            ExportJob(id=job_id, created_by="key_x", output_format="csv", as_of=dt.date(2024, 1, 1))
        )
        await session.commit()
    async with db_sessions() as session:
        conversation = await session.get(BotConversation, user)
        job = await session.get(ExportJob, job_id)
        assert conversation is not None and conversation.chat_id == -100_123_456_789_012
        assert conversation.data == "{}" and conversation.lang == "zh"
        assert job is not None and job.status == "queued" and job.rows_done == 0
        assert utc(job.created_at).tzinfo is not None


def test_downgrade_to_base_and_up_again(tmp_path: Path) -> None:
    """The migration can be undone (on a scratch database) and applied again."""
    from alembic import command

    url = f"sqlite+aiosqlite:///{tmp_path}/cycle.db"
    upgrade(url)
    config = alembic_config(url)
    command.downgrade(config, "base")

    async def tables() -> set[str]:
        engine = create_engine(url)
        try:
            async with engine.connect() as connection:
                names = await connection.run_sync(lambda c: sa.inspect(c).get_table_names())
                return set(names)
        finally:
            await engine.dispose()

    assert not (asyncio.run(tables()) & TABLES)
    upgrade(url)
    assert asyncio.run(tables()) >= TABLES


def test_alembic_run_by_hand_reads_database_url_as_the_service_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`alembic upgrade head` with `DATABASE_URL=sqlite:///…` failed with SQLAlchemy's "requires
    an async driver": the service reads such a URL as its async driver (`db.urls`), and so does
    the migration environment now."""
    from alembic import command

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/by-hand.db")
    command.upgrade(alembic_config(), "head")
    engine = sa.create_engine(f"sqlite:///{tmp_path}/by-hand.db")
    try:
        assert set(sa.inspect(engine).get_table_names()) >= TABLES | {"alembic_version"}
    finally:
        engine.dispose()
    monkeypatch.setenv("DATABASE_URL", "mysql://root@localhost/test")
    with pytest.raises(ValueError, match="DATABASE_URL must name SQLite or PostgreSQL"):
        command.upgrade(alembic_config(), "head")
