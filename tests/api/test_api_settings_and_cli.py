"""Settings from the environment, the ID hash key file, and the server's commands."""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from litestar import Litestar
from litestar.exceptions import HTTPException
from litestar.testing import AsyncTestClient
from sqlmodel import select

from api.routes.health import readyz
from api.runtime import PolicyRegistry, Runtime
from api.security import IdentityHasher, hash_key, load_identity_key, revoke_key
from api.settings import DEFAULT_DATABASE_URL, Settings, SettingsError, get_settings
from cli.main import main
from db.engine import create_engine, session_factory, sqlite_file
from db.models import ApiKey
from eligibility.policy import load_bundled


def test_settings_defaults_and_environment() -> None:
    defaults = Settings.from_env({})
    assert (
        defaults.database_url == DEFAULT_DATABASE_URL == "sqlite+aiosqlite:///./data/eligibility.db"
    )
    assert defaults.telegram_bot_api_url == "https://api.telegram.org"
    assert defaults.export_dir == Path("data/exports")
    assert defaults.id_hash_key is None
    chosen = Settings.from_env(
        {"DATABASE_URL": "postgresql+asyncpg://db/x", "DATA_DIR": "/srv/d", "ID_HASH_KEY": ""}
    )
    assert chosen.database_url == "postgresql+asyncpg://db/x"
    assert chosen.export_dir == Path("/srv/d/exports")
    assert chosen.id_hash_key is None  # empty counts as unset
    assert get_settings() is get_settings()


def test_data_dir_moves_the_default_sqlite_database() -> None:
    # Review of #11, R2: DATA_DIR moved the key and exports but the database stayed in ./data.
    moved = Settings.from_env({"DATA_DIR": "/srv/d"})
    assert sqlite_file(moved.database_url) == Path("/srv/d/eligibility.db")
    relative = Settings.from_env({"DATA_DIR": "var/rse"})
    assert sqlite_file(relative.database_url) == Path("var/rse/eligibility.db")
    chosen = Settings.from_env({"DATA_DIR": "/srv/d", "DATABASE_URL": "sqlite:///elsewhere.db"})
    # An explicit URL wins; naming SQLite alone means the async driver (`async_database_url`).
    assert chosen.database_url == "sqlite+aiosqlite:///elsewhere.db"


@pytest.mark.parametrize(
    ("given", "read"),
    [
        ("sqlite:///data/x.db", "sqlite+aiosqlite:///data/x.db"),
        ("sqlite+aiosqlite:///data/x.db", "sqlite+aiosqlite:///data/x.db"),
        ("postgresql://rse@db.example/rse", "postgresql+asyncpg://rse@db.example/rse"),
        (
            "postgres://rse:pw@db.example:5433/rse",
            "postgresql+asyncpg://rse:pw@db.example:5433/rse",
        ),
        ("PostgreSQL+asyncpg://db/x", "postgresql+asyncpg://db/x"),
    ],
)
def test_a_database_url_naming_the_database_alone_means_the_async_driver(
    given: str, read: str
) -> None:
    # `DATABASE_URL=sqlite:///…` crashed `eligibility serve` inside the migration with
    # SQLAlchemy's "The asyncio extension requires an async driver" and a traceback.
    assert Settings.from_env({"DATABASE_URL": given}).database_url == read


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ("mysql://root@localhost/test", "must name SQLite or PostgreSQL"),
        ("postgresql+psycopg2://db/x", "driver 'psycopg2'"),
        ("sqlite+pysqlite:///x.db", "driver 'pysqlite'"),
        ("data/eligibility.db", "must be a database URL"),
    ],
)
def test_a_database_url_the_service_cannot_use_is_refused_naming_the_setting(
    given: str, said: str
) -> None:
    with pytest.raises(SettingsError, match="DATABASE_URL") as refused:
        Settings.from_env({"DATABASE_URL": given})
    assert said in str(refused.value)


def test_a_bad_setting_ends_the_command_with_its_message_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    get_settings.cache_clear()
    try:
        monkeypatch.setenv("DATABASE_URL", "mysql://root@localhost/test")
        assert main(["db", "upgrade"]) == 2
        said = capsys.readouterr().err
        assert said.startswith("eligibility: DATABASE_URL must name SQLite or PostgreSQL")
        assert "Traceback" not in said
        get_settings.cache_clear()
        monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/plain.db")
        assert main(["db", "upgrade"]) == 0  # the plain SQLite URL is migrated
        assert (tmp_path / "plain.db").stat().st_size > 0
    finally:
        get_settings.cache_clear()


def test_identity_key_is_made_once_and_kept_private(tmp_path: Path) -> None:
    first = load_identity_key(None, tmp_path / "data")
    second = load_identity_key(None, tmp_path / "data")
    assert first == second and len(first) == 64
    mode = stat.S_IMODE(os.stat(tmp_path / "data" / "id_hash.key").st_mode)
    assert mode == 0o600
    assert load_identity_key("from-env", tmp_path) == b"from-env"
    hasher = IdentityHasher(first)
    assert hasher.hash("11010519491231002X") != IdentityHasher(b"other").hash("11010519491231002X")


def test_keys_create_prints_the_key_last(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/cli.db"
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        assert main(["db", "upgrade"]) == 0
        assert main(["keys", "create", "--role", "caseworker", "--region", "5101"]) == 0
        key = capsys.readouterr().out.strip().splitlines()[-1]
        assert key.startswith("rse_")
        assert main(["keys", "create", "--role", "caseworker"]) == 2  # needs a region
        assert main(["keys", "create", "--role", "admin", "--region", "51x"]) == 2
        capsys.readouterr()
        assert main(["keys", "list"]) == 0
        listed = capsys.readouterr().out
        key_id = listed.split("\t")[0]
        assert key_id.startswith("key_") and "caseworker\t5101" in listed and "active" in listed
        assert key not in listed
        assert main(["keys", "revoke", key_id]) == 0
        assert main(["keys", "revoke", "key_nope"]) == 2
        capsys.readouterr()
        assert main(["keys", "list"]) == 0
        assert "revoked" in capsys.readouterr().out
    finally:
        get_settings.cache_clear()

    async def stored() -> list[tuple[str, str, str]]:
        engine = create_engine(url)
        try:
            async with engine.connect() as connection:
                rows = await connection.execute(
                    sa.text("SELECT key_hash, role, regions FROM api_keys")
                )
                return [(r[0], r[1], r[2]) for r in rows]
        finally:
            await engine.dispose()

    rows = asyncio.run(stored())
    assert rows == [(hash_key(key), "caseworker", '["5101"]')]

    assert key not in repr(rows)


def test_readyz_answers_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    async def probe() -> int:
        engine = create_engine("postgresql+asyncpg://postgres@127.0.0.1:9/none")
        runtime = Runtime(
            settings=Settings(data_dir=tmp_path),
            engine=engine,
            sessions=session_factory(engine),
            policies=PolicyRegistry(current=load_bundled()),
            identity=IdentityHasher(b"k"),
        )
        try:
            await readyz.fn(runtime)
        except HTTPException as exc:
            return exc.status_code
        finally:
            await engine.dispose()
        return 200

    assert asyncio.run(probe()) == 503


async def test_a_revoked_key_is_refused(
    client: AsyncTestClient[Litestar], make_key: Any, db_sessions: Any
) -> None:
    key = await make_key("caseworker", regions=["11"])
    async with db_sessions() as session:
        key_id = (
            (await session.exec(select(ApiKey).where(ApiKey.key_hash == hash_key(key)))).one().id
        )
        assert await revoke_key(session, key_id)
    response = await client.get("/v1/households", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 401
