"""Faults on the real server: `eligibility serve` in a subprocess on loopback, on SQLite and on
PostgreSQL (issue #11, findings 10, 11 and 12, and its fault-test module).

- Killed (`kill -9`) in the middle of an export, then restarted with two workers: the job is
  run once more, by one worker, and nothing the killed run left stays behind.
- PostgreSQL unreachable (a local TCP proxy in front of it stops listening), or accepting
  connections but never answering (the proxy accepts and forwards nothing): keyed routes and
  `/readyz` answer 503 problem+json with Retry-After within the configured timeouts, and the
  server recovers by itself once the database is back.
- SQLite read-only (chmod 0400) or locked by another writer: the same 503, the same recovery.

Timeouts are set to one second here so that each fault takes seconds; the HTTP client gives
up long before the 60 s a request used to hang, which is what fails if a wait is unbounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import fastexcel
import httpx
import polars as pl
import pytest
import pytest_asyncio
from sqlalchemy.engine import make_url

from api.runtime import PolicyRegistry
from api.security import create_key
from db.engine import create_engine, session_factory
from db.migrate import upgrade_async
from db.models import ExportJob, Household
from eligibility.policy import load_bundled
from tests.conftest import IN_CI, TEST_POSTGRES_URL, _postgres_admin

ROOT = Path(__file__).resolve().parents[2]
REGISTER = ROOT / "examples" / "register.xlsx"
ELIGIBILITY = Path(sys.executable).with_name("eligibility")
TIMEOUT = 1.0  # DB_CONNECT_TIMEOUT, DB_STATEMENT_TIMEOUT, DB_POOL_TIMEOUT for these servers
LEASE = 2.0  # EXPORT_LEASE_SECONDS: a killed worker's job is taken over within ~3 s
CLIENT_TIMEOUT = 15.0  # far below the 60 s an unbounded wait took, far above TIMEOUT
XLSX_ROWS = 20_000  # a second or so of deciding and writing: time to kill the server mid-way
PR_CAPBSET_DROP, CAP_DAC_OVERRIDE = 24, 1


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


# ---------------------------------------------------------------------------------------------
# A TCP proxy in front of PostgreSQL that can refuse, hang and recover


class Proxy:
    """Forwards 127.0.0.1:port to the database; `refuse()` stops listening and cuts every
    connection (the server is down), `hang()` accepts and forwards nothing (the server is
    stuck), `forward()` cuts the stuck connections and forwards again (the server is back)."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = _free_port()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()
        self.flowing: asyncio.Event | None = None
        self.thread.start()
        self._call(self._listen())

    def _call(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=10)

    async def _listen(self) -> None:
        if self.flowing is None:
            self.flowing = asyncio.Event()
        self.flowing.set()
        self.server = await asyncio.start_server(
            self._handle, "127.0.0.1", self.port, reuse_address=True
        )

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        assert self.flowing is not None
        self.writers.add(writer)
        try:
            await self.flowing.wait()  # a stuck server accepts, then says nothing
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
            self.writers.add(up_writer)
            await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        assert self.flowing is not None
        try:
            while data := await reader.read(1 << 16):
                await self.flowing.wait()
                writer.write(data)
                await writer.drain()
        finally:
            writer.close()

    async def _cut(self) -> None:
        for writer in list(self.writers):
            writer.close()
        self.writers.clear()

    async def _refuse(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None
        await self._cut()

    async def _hang(self) -> None:
        assert self.flowing is not None
        self.flowing.clear()

    async def _forward(self) -> None:
        await self._cut()
        if self.server is None:
            await self._listen()
        assert self.flowing is not None
        self.flowing.set()

    def refuse(self) -> None:
        self._call(self._refuse())

    def hang(self) -> None:
        self._call(self._hang())

    def forward(self) -> None:
        self._call(self._forward())

    def close(self) -> None:
        self._call(self._refuse())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


# ---------------------------------------------------------------------------------------------
# The server in a subprocess


def _without_dac_override() -> None:
    # Root writes to a 0400 file anyway; without this capability it is refused like anyone.
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_CAPBSET_DROP, CAP_DAC_OVERRIDE, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


@dataclass
class Server:
    """`eligibility serve` on a loopback port, in its own process group."""

    env: dict[str, str]
    log: Path
    workers: int = 1
    honour_file_modes: bool = False
    port: int = field(default_factory=_free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        command = [str(ELIGIBILITY), "serve", "--port", str(self.port)]
        command += ["--workers", str(self.workers), "--log-level", "warning"]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                command,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=(
                    _without_dac_override if self.honour_file_modes and os.geteuid() == 0 else None
                ),
            )
        async with httpx.AsyncClient(base_url=self.url, timeout=2) as client:
            for _ in range(600):
                if self.process.poll() is not None:
                    raise AssertionError(f"the server exited:\n{self.log.read_text()}")
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get("/healthz")).status_code == 200:
                        return
                await asyncio.sleep(0.1)
        raise AssertionError(f"the server did not come up:\n{self.log.read_text()}")

    def kill(self) -> None:
        """`kill -9` on the server and its workers: no shut-down code runs."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self.process = None

    def stop(self) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)
        self.process = None


# ---------------------------------------------------------------------------------------------
# Fixtures: a fresh database per test, a key on it, servers that are always stopped


@dataclass
class Database:
    url: str
    """As the tests reach it (never through the proxy)."""
    sqlite: Path | None = None


@pytest_asyncio.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ]
)
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A fresh, migrated database for one test: a SQLite file, or a PostgreSQL `t_<random>`."""
    if request.param == "sqlite":
        path = await _sqlite_database(tmp_path)
        yield Database(url=f"sqlite+aiosqlite:///{path}", sqlite=path)
    else:
        async with _postgres_database() as url:
            yield Database(url=url)


async def _migrate(url: str) -> None:
    engine = create_engine(url)
    try:
        await upgrade_async(engine)
    finally:
        await engine.dispose()


@dataclass(frozen=True)
class Caller:
    """An admin key and a household to read with it (every read is audited: a write)."""

    headers: dict[str, str]
    household: str

    @property
    def keyed(self) -> str:
        return f"/v1/households/{self.household}"


async def caller_on(url: str) -> Caller:
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            _, clear = await create_key(session, role="admin")
            household = Household(id=str(uuid.uuid4()), region_code="140821")
            session.add(household)
            await session.commit()
            await PolicyRegistry(current=load_bundled()).save_current(session)
    finally:
        await engine.dispose()
    return Caller(headers={"Authorization": f"Bearer {clear}"}, household=household.id)


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    """Servers a test starts; each is stopped at the end, however the test ended."""
    started: list[Server] = []
    yield started
    for server in started:
        server.stop()


def server_env(tmp_path: Path, database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a server under test: its own folders, short database timeouts."""
    tmp = tmp_path / "tmp"
    tmp.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DB_", "EXPORT_"))}
    env.update(
        DATABASE_URL=database_url,
        DATA_DIR=str(tmp_path / "data"),
        EXPORT_DIR=str(tmp_path / "data" / "exports"),
        ID_HASH_KEY="test-id-hash-key",
        DB_CONNECT_TIMEOUT=str(TIMEOUT),
        DB_STATEMENT_TIMEOUT=str(TIMEOUT),
        DB_POOL_TIMEOUT=str(TIMEOUT),
        EXPORT_LEASE_SECONDS=str(LEASE),
        TMPDIR=str(tmp),
        **extra,
    )
    return env


def new_server(servers: list[Server], env: dict[str, str], tmp_path: Path, **kw: Any) -> Server:
    server = Server(env=env, log=tmp_path / "server.log", **kw)
    servers.append(server)
    return server


async def assert_unavailable(client: httpx.AsyncClient, caller: Caller) -> None:
    """A keyed route and /readyz answer 503 problem+json with Retry-After (in time: the client
    gives up after CLIENT_TIMEOUT)."""
    for path, sent in ((caller.keyed, caller.headers), ("/readyz", {})):
        response = await client.get(path, headers=sent)
        assert response.status_code == 503, (path, response.status_code, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert int(response.headers["retry-after"]) > 0
        assert response.json()["status"] == 503


async def assert_recovers(client: httpx.AsyncClient, caller: Caller) -> None:
    """Without a restart, keyed routes and /readyz answer 200 again within a few seconds."""
    for _ in range(100):
        keyed = await client.get(caller.keyed, headers=caller.headers)
        ready = await client.get("/readyz")
        if keyed.status_code == ready.status_code == 200:
            return
        assert keyed.status_code in (200, 503) and ready.status_code in (200, 503)
        await asyncio.sleep(0.1)
    raise AssertionError(f"no recovery: {keyed.status_code} {ready.status_code} {keyed.text}")


# ---------------------------------------------------------------------------------------------
# Killed in the middle of an export


@pytest.fixture(scope="module")
def big_register(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example register, repeated, as a CSV saved by Chinese Excel (GB18030): the batch
    reads a UTF-8 copy of it, one more temporary file a killed run leaves."""
    rows = fastexcel.read_excel(REGISTER.read_bytes()).load_sheet(0, dtypes="string").to_polars()
    path = tmp_path_factory.mktemp("faults") / "register.csv"
    text = pl.concat([rows] * (XLSX_ROWS // rows.height)).write_csv()
    path.write_bytes(text.encode("gb18030"))
    return path


async def test_killed_mid_export_then_two_workers_run_it_once(
    database: Database, tmp_path: Path, servers: list[Server], big_register: Path
) -> None:
    env = server_env(tmp_path, database.url)
    headers = (await caller_on(database.url)).headers
    exports_dir = Path(env["EXPORT_DIR"])
    temp_dir = Path(env["TMPDIR"])
    first = new_server(servers, env, tmp_path)
    await first.start()
    async with httpx.AsyncClient(base_url=first.url, timeout=CLIENT_TIMEOUT) as client:
        created = await client.post(
            "/v1/exports",
            files={"file": ("register.csv", big_register.read_bytes())},
            data={"format": "xlsx", "as_of": "2024-11-05"},
            headers=headers,
        )
    assert created.status_code == 202, created.text
    job_id = created.json()["id"]
    folder = exports_dir / job_id

    # Killed while it writes the XLSX: its temporary output exists.
    def writing() -> bool:
        return any(p.name.endswith(".part") for p in folder.iterdir())

    for _ in range(3000):
        if writing():
            break
        await asyncio.sleep(0.01)
    assert writing(), sorted(p.name for p in folder.iterdir())
    first.kill()
    assert any(p.name.endswith(".part") for p in folder.iterdir())  # what a kill leaves

    # Restarted with two workers: both find the job at start-up.
    second = new_server(servers, env, tmp_path, workers=2)
    await second.start()
    async with httpx.AsyncClient(base_url=second.url, timeout=CLIENT_TIMEOUT) as client:
        for _ in range(600):
            job = (await client.get(f"/v1/exports/{job_id}", headers=headers)).json()
            if job["status"] in ("done", "failed"):
                break
            await asyncio.sleep(0.1)
        assert job["status"] == "done", job
        download = await client.get(f"/v1/exports/{job_id}/download", headers=headers)
    assert download.status_code == 200
    result = fastexcel.read_excel(download.content).load_sheet(0, dtypes="string").to_polars()
    assert result.height == XLSX_ROWS

    # Nothing of the killed run is left: not its .part, not the UTF-8 copy of the register or
    # the XLSX writer's row files (in the job's folder or the server's temp folder), not the
    # register itself (removed after the run).
    assert sorted(p.name for p in folder.iterdir()) == [
        "notes.json",
        "options.json",
        "result.xlsx",
    ]
    assert list(temp_dir.iterdir()) == []
    engine = create_engine(database.url)
    try:
        async with session_factory(engine)() as session:
            row = await session.get(ExportJob, job_id)
            assert row is not None
            # One run cut short by the kill, then exactly one more, whichever worker won.
            assert row.attempts == 2
    finally:
        await engine.dispose()


# ---------------------------------------------------------------------------------------------
# The database away, stuck, read-only, locked


@pytest.fixture
def proxy() -> Iterator[Proxy]:
    url = make_url(TEST_POSTGRES_URL)
    found = Proxy(url.host or "127.0.0.1", url.port or 5432)
    yield found
    found.close()


def through(proxy: Proxy, database_url: str) -> str:
    return make_url(database_url).set(port=proxy.port).render_as_string(hide_password=False)


@pytest.mark.postgres
@pytest.mark.parametrize("fault", ["unreachable", "hanging"])
async def test_postgres_away_answers_503_and_recovers(
    fault: str, tmp_path: Path, servers: list[Server], proxy: Proxy
) -> None:
    async with _postgres_database() as database_url:
        caller = await caller_on(database_url)
        server = new_server(servers, server_env(tmp_path, through(proxy, database_url)), tmp_path)
        await server.start()
        async with httpx.AsyncClient(base_url=server.url, timeout=CLIENT_TIMEOUT) as client:
            await assert_recovers(client, caller)  # serving
            proxy.refuse() if fault == "unreachable" else proxy.hang()
            await assert_unavailable(client, caller)
            await assert_unavailable(client, caller)  # and again: nothing piles up
            proxy.forward()
            await assert_recovers(client, caller)


@contextlib.asynccontextmanager
async def _postgres_database() -> AsyncIterator[str]:
    try:
        admin: Any = await _postgres_admin()
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
        await _migrate(url)
        yield url
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def _sqlite_database(tmp_path: Path) -> Path:
    path = tmp_path / "db" / "eligibility.db"
    await _migrate(f"sqlite+aiosqlite:///{path}")
    return path


async def test_read_only_sqlite_answers_503_and_recovers(
    tmp_path: Path, servers: list[Server]
) -> None:
    path = await _sqlite_database(tmp_path)
    url = f"sqlite+aiosqlite:///{path}"
    caller = await caller_on(url)
    # A database that served before, then made read-only (a remount, a wrong chmod).
    path.chmod(0o400)
    server = new_server(servers, server_env(tmp_path, url), tmp_path, honour_file_modes=True)
    await server.start()
    async with httpx.AsyncClient(base_url=server.url, timeout=CLIENT_TIMEOUT) as client:
        await assert_unavailable(client, caller)
        # Writable again (the -shm file SQLite made meanwhile took the file's mode: 0400).
        for file in path.parent.glob(path.name + "*"):
            file.chmod(0o600)
        await assert_recovers(client, caller)


async def test_locked_sqlite_answers_503_and_recovers(
    tmp_path: Path, servers: list[Server]
) -> None:
    path = await _sqlite_database(tmp_path)
    url = f"sqlite+aiosqlite:///{path}"
    caller = await caller_on(url)
    server = new_server(servers, server_env(tmp_path, url), tmp_path)
    await server.start()
    async with httpx.AsyncClient(base_url=server.url, timeout=CLIENT_TIMEOUT) as client:
        await assert_recovers(client, caller)  # serving
        # Another program holds the write lock and does not let go.
        holder = sqlite3.connect(path, isolation_level=None)
        try:
            holder.execute("BEGIN EXCLUSIVE")
            await assert_unavailable(client, caller)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        await assert_recovers(client, caller)


async def test_database_settings_are_read_and_checked() -> None:
    from api.settings import Settings

    settings = Settings.from_env(
        {"DB_CONNECT_TIMEOUT": "2", "DB_STATEMENT_TIMEOUT": "3.5", "DB_POOL_TIMEOUT": "4"}
    )
    limits = settings.database_limits
    assert (limits.connect_timeout, limits.statement_timeout, limits.pool_timeout) == (2, 3.5, 4)
    assert Settings.from_env({}).database_limits.statement_timeout == 10
    for bad in ("0", "-1", "soon", "inf"):
        with pytest.raises(ValueError, match="DB_POOL_TIMEOUT"):
            Settings.from_env({"DB_POOL_TIMEOUT": bad})
