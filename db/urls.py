"""Which database URL the service can use: a URL naming the database alone means its async
driver.  Kept apart from `db.engine` so that reading the settings does not load SQLAlchemy."""

from __future__ import annotations


class DatabaseURLError(ValueError):
    """A `DATABASE_URL` the service cannot use; the message names the setting and says what
    it takes."""


# The drivers the service talks through (both async, both installed): a URL naming the
# database alone (`sqlite:///…`, `postgresql://…`, or Heroku's `postgres://…`) means them.
_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
}


def async_database_url(url: str) -> str:
    """`url` with the service's async driver where it names the database alone; a URL of
    another database, or of a driver that is not async, is refused naming `DATABASE_URL`
    (SQLAlchemy would fail later, inside the migration, with a traceback)."""
    scheme, separator, rest = url.partition("://")
    if not separator:
        raise DatabaseURLError(
            f"DATABASE_URL must be a database URL such as sqlite:///data/eligibility.db or "
            f"postgresql://user@host/db; got {url!r}"
        )
    database, _, driver = scheme.lower().partition("+")
    chosen = _ASYNC_DRIVERS.get(database)
    if chosen is None:
        raise DatabaseURLError(
            f"DATABASE_URL must name SQLite or PostgreSQL (sqlite://… or postgresql://…); "
            f"got {scheme}://…"
        )
    if driver and driver != chosen.partition("+")[2]:
        raise DatabaseURLError(
            f"DATABASE_URL names the driver {driver!r}, which the service does not talk "
            f"through: use {chosen}://… (or {database}://…, which means it)"
        )
    return f"{chosen}://{rest}"
