"""Fixtures for migration tests: a scratch database of each kind, empty, dropped afterwards.

Migration tests migrate down and up and insert rows at old revisions, which the session's
shared database must not see.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from db.engine import create_engine
from tests.conftest import IN_CI, TEST_POSTGRES_URL, _postgres_admin


@pytest_asyncio.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def scratch(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """An engine on an empty database of its own, dropped afterwards."""
    if request.param == "sqlite":
        engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/scratch.db")
        yield engine
        await engine.dispose()
        return
    try:
        admin = await _postgres_admin()
    except (OSError, TimeoutError, ImportError) as exc:
        if IN_CI:
            pytest.fail(f"CI=true but PostgreSQL at {TEST_POSTGRES_URL} is unreachable: {exc}")
        pytest.skip(f"PostgreSQL at {TEST_POSTGRES_URL} is unreachable: {exc}")
    name = "t_" + secrets.token_hex(8)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = (
        make_url(TEST_POSTGRES_URL)
        .set(drivername="postgresql+asyncpg", database=name)
        .render_as_string(hide_password=False)
    )
    engine = create_engine(url)
    try:
        yield engine
    finally:
        await engine.dispose()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
