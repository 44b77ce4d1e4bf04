"""Which database errors mean "unavailable, try again" (503) and which are bugs (500)."""

from __future__ import annotations

import errno
import sqlite3

import pytest
import sqlalchemy as sa

from db.engine import ReadOnlyDatabase, is_unavailable


def _sqlite(code: int, message: str) -> sa.exc.OperationalError:
    error = sqlite3.OperationalError(message)
    error.sqlite_errorcode = code
    return sa.exc.OperationalError("INSERT ...", {}, error)


class _PgError(Exception):
    """Stands for asyncpg's error as SQLAlchemy's adapter hands it on (with its SQLSTATE)."""

    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(errno.ECONNREFUSED, "Connect call failed"),
        TimeoutError(),
        OSError(errno.EHOSTUNREACH, "No route to host"),
        sa.exc.TimeoutError("QueuePool limit of size 5 overflow 10 reached"),
        ReadOnlyDatabase("eligibility.db cannot be written"),
        _sqlite(5, "database is locked"),
        _sqlite(8, "attempt to write a readonly database"),
        _sqlite(1032, "attempt to write a readonly database"),  # SQLITE_READONLY_DBMOVED
        _sqlite(13, "database or disk is full"),
        _sqlite(14, "unable to open database file"),
        sa.exc.DBAPIError("SELECT 1", {}, _PgError("57P01")),  # admin shutdown
        sa.exc.DBAPIError("SELECT 1", {}, _PgError("57014")),  # statement timeout
        sa.exc.DBAPIError("INSERT ...", {}, _PgError("25006")),  # read-only transaction
        sa.exc.DBAPIError("SELECT 1", {}, _PgError("53300")),  # too many connections
        sa.exc.DBAPIError("SELECT 1", {}, _PgError("08006")),  # connection failure
        _PgError("57P03"),  # cannot connect now (raised while connecting, not wrapped)
        sa.exc.DBAPIError("SELECT 1", {}, Exception("gone"), connection_invalidated=True),
    ],
    ids=repr,
)
def test_outages_are_unavailable(error: BaseException) -> None:
    assert is_unavailable(error)


@pytest.mark.parametrize(
    "error",
    [
        ValueError("a bug"),
        FileNotFoundError(errno.ENOENT, "no such file"),
        _sqlite(1, 'near "SELEC": syntax error'),
        _sqlite(19, "UNIQUE constraint failed"),
        sa.exc.IntegrityError("INSERT ...", {}, _PgError("23505")),
        sa.exc.DBAPIError("SELECT x", {}, _PgError("42703")),  # undefined column
    ],
    ids=repr,
)
def test_bugs_are_not(error: BaseException) -> None:
    assert not is_unavailable(error)
