"""`make_sqlite_private` never opens a database file that exists: closing any descriptor of it
drops every POSIX lock the process holds on it (SQLite's documented hazard), and a second app
started in one process then let other writers into a transaction: the session database of the
test suite came out "malformed" / "not a database"."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from db.engine import create_engine, make_sqlite_private

_WRITE = """
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1], timeout=0)
try:
    connection.execute("INSERT INTO t VALUES (2)")
    connection.commit()
    print("wrote")
except sqlite3.OperationalError as exc:
    print(exc)
"""


def test_a_held_lock_survives_making_the_file_private(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x INTEGER)")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("INSERT INTO t VALUES (1)")
    try:
        make_sqlite_private(f"sqlite+aiosqlite:///{path}")
        other = subprocess.run(
            [sys.executable, "-c", _WRITE, str(path)], capture_output=True, text=True, check=True
        )
        # Before the fix the lock was gone and the other process wrote in the middle.
        assert other.stdout.strip() == "database is locked"
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert (path.stat().st_mode & 0o777) == 0o600


def test_a_new_file_is_created_private(tmp_path: Path) -> None:
    path = tmp_path / "new" / "fresh.db"
    make_sqlite_private(f"sqlite+aiosqlite:///{path}")
    assert path.is_file() and (path.stat().st_mode & 0o777) == 0o600


async def test_the_folder_made_for_a_sqlite_file_is_private(tmp_path: Path) -> None:
    # Review of #11, R2: the engine (run first by `serve`'s migration) made it 0755.
    path = tmp_path / "made" / "here.db"
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    await engine.dispose()
    assert (path.parent.stat().st_mode & 0o777) == 0o700
