"""Shared fixtures: a real database per test session (SQLite file and PostgreSQL), the app on
it, an async client, and API keys.

`database_url` is parametrized over `sqlite` and `postgresql`.  The PostgreSQL run creates a
fresh, uniquely named database (`t_<random>`) on the server at `TEST_POSTGRES_URL` (default
`postgresql://postgres@127.0.0.1:5432/test`), migrates it with `alembic upgrade head`, and drops
it at the end, so concurrent test sessions on one server never meet.  Without the server the
PostgreSQL tests are skipped, except under `CI=true`, where they fail.

Reuse: `client` is an `AsyncTestClient` on `create_app(settings)`; override the `settings`
fixture in a package's own conftest to run the app with other settings (a bot token, say).
The app runs on the client's own event loop: reach the database from a test through
`db_engine` / `db_sessions`, never through the app's engine.
"""

from __future__ import annotations

import atexit
import os
import secrets
import shutil
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Protocol

# The environment is set before anything imports the app, so no test reads the developer's.
_SESSION_DIR = Path(tempfile.mkdtemp(prefix="eligibility-tests-"))
atexit.register(shutil.rmtree, _SESSION_DIR, ignore_errors=True)
os.environ["DATA_DIR"] = str(_SESSION_DIR)
os.environ["EXPORT_DIR"] = str(_SESSION_DIR / "exports")
os.environ["ID_HASH_KEY"] = "test-id-hash-key"
os.environ.setdefault("DATABASE_URL", f"sqlite+aiosqlite:///{_SESSION_DIR}/default.db")

import pytest  # noqa: E402
import pytest_asyncio  # noqa: E402
from litestar import Litestar  # noqa: E402
from litestar.testing import AsyncTestClient  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker  # noqa: E402
from sqlmodel.ext.asyncio.session import AsyncSession  # noqa: E402

from api.app import create_app  # noqa: E402
from api.runtime import Runtime  # noqa: E402
from api.security import Role, create_key  # noqa: E402
from api.settings import Settings  # noqa: E402
from db.engine import create_engine, session_factory  # noqa: E402
from db.migrate import upgrade_async  # noqa: E402

TEST_POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

KeyMaker = Callable[..., Awaitable[str]]


class PostgresAdmin(Protocol):
    """What the tests use of an `asyncpg.Connection` (asyncpg ships no type information)."""

    async def execute(self, query: str) -> str: ...

    async def close(self) -> None: ...


async def _postgres_admin() -> PostgresAdmin:
    import asyncpg

    url = make_url(TEST_POSTGRES_URL)
    admin: PostgresAdmin = await asyncpg.connect(
        user=url.username or "postgres",
        password=url.password,
        host=url.host or "127.0.0.1",
        port=url.port or 5432,
        database=url.database or "test",
        timeout=5,
    )
    return admin


@pytest_asyncio.fixture(scope="session")
async def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    """A migrated SQLite file database for this test session."""
    path = tmp_path_factory.mktemp("sqlite") / "eligibility.db"
    url = f"sqlite+aiosqlite:///{path}"
    engine = create_engine(url)
    try:
        await upgrade_async(engine)
    finally:
        await engine.dispose()
    yield url


@pytest_asyncio.fixture(scope="session")
async def postgres_url() -> AsyncIterator[str]:
    """A fresh PostgreSQL database `t_<random>`, migrated, dropped after the session."""
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
    try:
        engine = create_engine(url)
        try:
            await upgrade_async(engine)
        finally:
            await engine.dispose()
        yield url
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture(
    scope="session",
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ],
)
def database_url(request: pytest.FixtureRequest) -> str:
    """A migrated database URL: once on SQLite, once on PostgreSQL."""
    fixture = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    url: str = request.getfixturevalue(fixture)
    return url


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings for an app on `database_url`, with its own data folder."""
    data_dir = tmp_path_factory.mktemp("data")
    return Settings(
        database_url=database_url,
        data_dir=data_dir,
        id_hash_key="test-id-hash-key",
        export_dir=data_dir / "exports",
    )


@pytest.fixture(scope="session")
def app(settings: Settings) -> Litestar:
    """The app on the session's database (started by `client`)."""
    return create_app(settings)


@pytest_asyncio.fixture(scope="session")
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """An async client on the running app (lifespan started: migrated, policies loaded)."""
    async with AsyncTestClient(app=app) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def runtime(app: Litestar, client: AsyncTestClient[Litestar]) -> Runtime:
    """The running app's runtime (policies, settings).  Its engine lives on the test client's
    own event loop: tests reach the database through `db_engine` / `db_sessions` instead."""
    del client  # only needed to have started the app
    found: Runtime = app.state.runtime
    return found


@pytest_asyncio.fixture(scope="session")
async def db_engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on the session's database, on the tests' event loop."""
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
def db_sessions(db_engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions on the session's database, for tests that arrange or inspect rows."""
    return session_factory(db_engine)


@pytest.fixture(scope="session")
def make_key(db_sessions: async_sessionmaker[AsyncSession]) -> KeyMaker:
    """`await make_key("caseworker", regions=["5101"])` -> the clear key."""

    async def make(role: Role, regions: list[str] | None = None) -> str:
        async with db_sessions() as session:
            _, clear = await create_key(session, role=role, regions=regions or [])
        return clear

    return make


@pytest_asyncio.fixture(scope="session")
async def admin_headers(make_key: KeyMaker) -> dict[str, str]:
    """Authorization headers of an admin key."""
    return {"Authorization": f"Bearer {await make_key('admin')}"}


@pytest.fixture(scope="session")
def session_dir() -> Iterator[Path]:
    """The temporary folder set as DATA_DIR for this test session."""
    yield _SESSION_DIR
