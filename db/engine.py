"""The one way to reach the database: an async engine from a URL, and sessions from it.

An engine made with `DatabaseLimits` (the app's) bounds every wait: opening a connection,
running a statement (on PostgreSQL a server that never answers is given up on too), waiting
for the pool, waiting for another SQLite writer.  `is_unavailable` tells the errors that mean
"the database is away or cannot be written" (answered 503) from the ones that are bugs.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import os
import socket
import sqlite3
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

# SQLite result codes (the low byte of an extended code) that mean the file cannot be used
# now, rather than that a statement is wrong.
_SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_READONLY, _SQLITE_IOERR = 5, 6, 8, 10
_SQLITE_FULL, _SQLITE_CANTOPEN, _SQLITE_PROTOCOL = 13, 14, 15
_SQLITE_UNAVAILABLE = frozenset(
    {_SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_READONLY, _SQLITE_IOERR, _SQLITE_FULL}
    | {_SQLITE_CANTOPEN, _SQLITE_PROTOCOL}
)
# ...and those after which the connection itself is no good: a file opened read-only stays
# read-only even once it is writable again, so such a connection is dropped and reopened.
_SQLITE_REOPEN = frozenset((_SQLITE_READONLY, _SQLITE_IOERR, _SQLITE_CANTOPEN))
# PostgreSQL SQLSTATE classes and codes of the same kind: connection exceptions (08),
# insufficient resources (53: disk full, too many connections), operator intervention (57:
# shutting down, cannot connect now, statement timeout), system errors (58), and writing in a
# read-only transaction (25006: a standby, or default_transaction_read_only).
_PG_UNAVAILABLE_CLASSES = ("08", "53", "57", "58")
_PG_UNAVAILABLE_CODES = frozenset(("25006",))
_NETWORK_ERRNOS = frozenset(
    {errno.ECONNREFUSED, errno.ECONNRESET, errno.ECONNABORTED, errno.EHOSTUNREACH}
    | {errno.ENETUNREACH, errno.ETIMEDOUT, errno.EPIPE}
)


@dataclass(frozen=True, kw_only=True)
class DatabaseLimits:
    """Seconds the app waits on the database, at most, for each kind of wait."""

    connect_timeout: float
    statement_timeout: float
    pool_timeout: float


def is_sqlite(url: str) -> bool:
    """Whether the URL names a SQLite database."""
    return make_url(url).get_backend_name() == "sqlite"


class ReadOnlyDatabase(OSError):
    """The SQLite file (or its -wal or -shm companion) cannot be written by this process."""


def _sqlite_files(database: Path | None) -> tuple[Path, ...]:
    if database is None:
        return ()
    return (
        database,
        database.with_name(database.name + "-wal"),
        database.with_name(database.name + "-shm"),
    )


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite file database (None for other databases and `:memory:`)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        return Path(parsed.database)
    return None


def ensure_sqlite_folder(url: str) -> None:
    """Create the folder of a SQLite file database, for its owner only (0700: it holds personal
    data), as a no-op for other databases or a folder that exists."""
    path = sqlite_file(url)
    if path is not None:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)


def make_sqlite_private(url: str) -> None:
    """Make a SQLite file database readable by its owner only (no-op for other databases):
    the file is created 0600 before SQLite first opens it (its -wal and -shm files take the
    same mode), and an existing one, from an older version, loses its group and other
    permissions (0644 becomes 0600)."""
    path = sqlite_file(url)
    if path is None:
        return
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # Only a file that does not exist yet is opened: closing any descriptor of a database file
    # drops every POSIX lock this process holds on it, so opening a file that a connection of
    # this process uses (a second app in one process, as the tests run) corrupts it.
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    for file in _sqlite_files(path):
        with contextlib.suppress(FileNotFoundError):
            narrow_to_owner(file)


def narrow_to_owner(path: Path) -> None:
    """Take the group's and others' permissions off `path`, never adding any (a file made
    read-only on purpose stays read-only).  A shared folder (sticky or writable by all, like
    /tmp named as the data folder) is left as it is."""
    status = path.stat()
    if stat.S_ISDIR(status.st_mode) and status.st_mode & (stat.S_ISVTX | stat.S_IWOTH):
        return
    mode = stat.S_IMODE(status.st_mode)
    if mode & 0o077:
        path.chmod(mode & 0o700)


def create_engine(url: str, limits: DatabaseLimits | None = None, **kwargs: Any) -> AsyncEngine:
    """An async engine for `url`; SQLite gets foreign keys, WAL and a busy timeout.

    With `limits` (the app's engine) every wait is bounded by them, and a SQLite file that
    cannot be written is not opened at all (`ReadOnlyDatabase`); without (migrations, start-up,
    the command line, tests) the drivers' own, longer defaults apply.
    """
    if not is_sqlite(url):
        kwargs.setdefault("pool_pre_ping", True)
        if limits is not None:
            kwargs.setdefault("pool_timeout", limits.pool_timeout)
            kwargs.setdefault(
                "connect_args",
                {
                    # asyncpg: `timeout` bounds connecting (TCP and log-in), `command_timeout`
                    # every statement on the client side (a server that accepts connections
                    # but never answers); statement_timeout frees the server as well.
                    "timeout": limits.connect_timeout,
                    "command_timeout": limits.statement_timeout,
                    "server_settings": {
                        "statement_timeout": str(int(limits.statement_timeout * 1000))
                    },
                },
            )
        engine = create_async_engine(url, **kwargs)
        sa.event.listen(engine.sync_engine, "handle_error", _drop_broken_connections)
        return engine
    ensure_sqlite_folder(url)
    busy_seconds = 30.0 if limits is None else limits.statement_timeout
    if limits is not None:
        kwargs.setdefault("pool_timeout", limits.pool_timeout)
    engine = create_async_engine(url, connect_args={"timeout": busy_seconds}, **kwargs)
    database = sqlite_file(url)

    if limits is not None:
        # SQLite opens a file it may not write read-only, without a word, and such a
        # connection (while it lives) keeps the process's shared view of the -shm file
        # read-only for every later one: the app would not recover once the file is writable
        # again.  The app's engine never opens one; it answers 503 until it can write.
        @sa.event.listens_for(engine.sync_engine, "do_connect")
        def _refuse_read_only(*_: Any) -> None:
            for file in _sqlite_files(database):
                if file.exists() and not os.access(file, os.W_OK):
                    raise ReadOnlyDatabase(f"{file} cannot be written")

    # SQLite enforces foreign keys (and so ON DELETE CASCADE) only when asked, per connection.
    @sa.event.listens_for(engine.sync_engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_seconds * 1000)}")
        cursor.close()

    sa.event.listen(engine.sync_engine, "handle_error", _drop_broken_connections)
    return engine


def _drop_broken_connections(context: ExceptionContext) -> None:
    """Treat a connection that timed out, lost its server, or opened a SQLite file read-only
    as disconnected: the pool drops it (and the connections opened with it) instead of handing
    it out again, so the app recovers by itself once the database is back."""
    original = context.original_exception
    if _is_network(original) or _sqlite_code(original) in _SQLITE_REOPEN:
        context.is_disconnect = True


def _sqlite_code(exc: BaseException | None) -> int | None:
    if isinstance(exc, sa.exc.DBAPIError):
        exc = exc.orig
    if isinstance(exc, sqlite3.Error) and exc.sqlite_errorcode is not None:
        return int(exc.sqlite_errorcode) & 0xFF
    return None


def _is_network(exc: BaseException | None) -> bool:
    if isinstance(exc, ConnectionError | TimeoutError | socket.gaierror):
        return True
    return isinstance(exc, OSError) and exc.errno in _NETWORK_ERRNOS


def _sqlstate(exc: BaseException | None) -> str | None:
    if isinstance(exc, sa.exc.DBAPIError):
        exc = exc.orig
    code = getattr(exc, "sqlstate", None)
    return code if isinstance(code, str) else None


def is_unavailable(exc: BaseException) -> bool:
    """Whether `exc` means the database cannot serve now (unreachable, not answering in time,
    out of connections, locked, read-only, disk full), as opposed to a bug in a statement."""
    if isinstance(exc, sa.exc.TimeoutError | ReadOnlyDatabase):  # no pooled connection
        return True  # came free in time, or SQLite's file is read-only
    if isinstance(exc, sa.exc.DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, sa.exc.InterfaceError | sa.exc.DisconnectionError):
        return True
    if _is_network(exc) or (isinstance(exc, sa.exc.DBAPIError) and _is_network(exc.orig)):
        return True
    if _sqlite_code(exc) in _SQLITE_UNAVAILABLE:
        return True
    code = _sqlstate(exc)
    return code is not None and (
        code[:2] in _PG_UNAVAILABLE_CLASSES or code in _PG_UNAVAILABLE_CODES
    )


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions on `engine`; objects stay readable after commit (no implicit reloads)."""
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


def utc(value: dt.datetime) -> dt.datetime:
    """A stored timestamp as an aware UTC datetime (SQLite hands them back naive)."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
