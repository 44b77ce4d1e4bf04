"""Migration 0002_household_status (#9): stored 户类型 become the status facts, and back.

Runs on a scratch database of each kind (`scratch` in tests/db/conftest.py), because it
migrates down and up, which the session's shared database must not see.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from db.migrate import alembic_config, upgrade_async

REVISION = "0002_household_status"
BEFORE = "0001"
# Each category of the old column and the facts it must become (eligibility.facts.CATEGORY_STATUS).
CONVERTED = {
    "poverty_alleviated": (True, False, None),
    "unstable_alleviated": (True, True, "unstable_alleviated"),
    "edge_vulnerable": (False, True, "edge_vulnerable"),
    "sudden_hardship": (None, True, "sudden_hardship"),
    "ordinary": (False, False, None),
}


def _downgrade_on(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, revision)


async def _downgrade(engine: AsyncEngine, revision: str) -> None:
    async with engine.begin() as connection:
        await connection.run_sync(_downgrade_on, revision)


async def _rows(engine: AsyncEngine, columns: str) -> dict[str, tuple[object, ...]]:
    async with engine.connect() as connection:
        result = await connection.execute(sa.text(f"SELECT region_code, {columns} FROM households"))
        return {row[0]: tuple(row[1:]) for row in result}


def _booleans(row: tuple[object, ...]) -> tuple[object, ...]:
    # SQLite gives booleans back as 0/1.
    return tuple(bool(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in row)


async def test_stored_categories_become_facts_and_come_back(scratch: AsyncEngine) -> None:
    await upgrade_async(scratch, BEFORE)
    now = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
    regions = {}
    async with scratch.begin() as connection:
        for i, category in enumerate(CONVERTED):
            region = f"51012{i}"
            regions[region] = category
            await connection.execute(
                sa.text(
                    "INSERT INTO households (id, region_code, category, risk_eliminated,"
                    " created_at, updated_at) VALUES (:id, :region, :category, :risk, :at, :at)"
                ),
                {
                    "id": str(uuid.uuid4()),
                    "region": region,
                    "category": category,
                    "risk": category == "unstable_alleviated",
                    "at": now,
                },
            )

    await upgrade_async(scratch, REVISION)
    facts = await _rows(scratch, "poverty_alleviated, monitored, monitoring_type, risk_eliminated")
    for region, category in regions.items():
        *status, risk = _booleans(facts[region])
        assert tuple(status) == CONVERTED[category], category
        # A 脱贫不稳定户 whose risk is eliminated stays a 脱贫户 with its risk flag kept.
        assert risk is (category == "unstable_alleviated")
    async with scratch.connect() as connection:
        columns = await connection.run_sync(
            lambda c: {col["name"] for col in sa.inspect(c).get_columns("households")}
        )
    assert "category" not in columns

    await _downgrade(scratch, BEFORE)
    back = await _rows(scratch, "category")
    assert {region: row[0] for region, row in back.items()} == regions


async def test_downgrade_refuses_a_status_no_category_expresses(scratch: AsyncEngine) -> None:
    """A monitored 脱贫户 of unknown type has no 户类型: refuse rather than invent one."""
    await upgrade_async(scratch, REVISION)
    now = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    async with scratch.begin() as connection:
        await connection.execute(
            sa.text(
                "INSERT INTO households (id, region_code, poverty_alleviated, monitored,"
                " created_at, updated_at) VALUES (:id, '510121', :yes, :yes, :at, :at)"
            ),
            {"id": str(uuid.uuid4()), "yes": True, "at": now},
        )
    with pytest.raises(RuntimeError, match="1 households have a status"):
        await _downgrade(scratch, BEFORE)
    # Nothing was lost: the transaction rolled back and the facts are still there.
    assert _booleans(
        next(iter((await _rows(scratch, "poverty_alleviated, monitored")).values()))
    ) == (
        True,
        True,
    )
