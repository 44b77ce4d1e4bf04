"""Migration 0009_rate_gcra: fixed-window counters (`rate_windows`) give way to one GCRA state
per key and scope (`rate_limits`), and back.

Runs on a scratch database of each kind (`scratch` in tests/db/conftest.py), because it
migrates down and up, which the session's shared database must not see.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from api.services import rate_limits
from db.engine import session_factory
from db.migrate import alembic_config, upgrade_async

REVISION = "0009_rate_gcra"
BEFORE = "0006_member_search_limit"


def _downgrade_on(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, revision)


async def _columns(engine: AsyncEngine) -> dict[str, set[str]]:
    def read(connection: Connection) -> dict[str, set[str]]:
        inspector = sa.inspect(connection)
        return {
            table: {c["name"] for c in inspector.get_columns(table)}
            for table in ("rate_windows", "rate_limits")
            if inspector.has_table(table)
        }

    async with engine.connect() as connection:
        return await connection.run_sync(read)


async def test_counters_become_gcra_state_and_come_back(scratch: AsyncEngine) -> None:
    await upgrade_async(scratch, BEFORE)
    async with scratch.begin() as connection:
        await connection.execute(
            sa.text(
                "INSERT INTO rate_windows (key_id, scope, window_start, count)"
                " VALUES ('k', 'member_search', 1764583200, 31)"
            )
        )

    await upgrade_async(scratch, REVISION)
    assert await _columns(scratch) == {
        "rate_limits": {"key_id", "scope", "theoretical_arrival_us", "refused"}
    }
    # The counters were a minute's worth: the key starts afresh, and is counted by the new table.
    async with session_factory(scratch)() as session:
        now = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)
        assert await rate_limits.take(session, "k", "member_search", 1, now) is None
        assert await rate_limits.take(session, "k", "member_search", 1, now) == 60
        await session.commit()

    async with scratch.begin() as connection:
        await connection.run_sync(_downgrade_on, BEFORE)
    assert await _columns(scratch) == {"rate_windows": {"key_id", "scope", "window_start", "count"}}
    await upgrade_async(scratch, REVISION)
    assert set(await _columns(scratch)) == {"rate_limits"}
