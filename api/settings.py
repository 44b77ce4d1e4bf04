"""The service's settings, read once from the environment (`get_settings()` is cached)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from db.urls import DatabaseURLError, async_database_url

if TYPE_CHECKING:  # the command line reads settings without loading the database layer
    from db.engine import DatabaseLimits

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/eligibility.db"
"""The SQLite file in the default `DATA_DIR` (`sqlite_url_in(Path("data"))`)."""
DEFAULT_TELEGRAM_BOT_API_URL = "https://api.telegram.org"


class SettingsError(ValueError):
    """A setting in the environment that cannot be used; its message names the variable and
    says what it takes (the command line prints it and exits 2, without a traceback)."""


def sqlite_url_in(data_dir: Path) -> str:
    """The URL of the embedded SQLite file `eligibility.db` in `data_dir` (a relative folder
    stays relative to the working directory, as `DATA_DIR` is)."""
    folder = data_dir.as_posix()
    return (
        f"sqlite+aiosqlite:///{folder if data_dir.is_absolute() else './' + folder}/eligibility.db"
    )


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Everything the service reads from its environment; every field has a working default."""

    database_url: str = DEFAULT_DATABASE_URL
    """`DATABASE_URL`: SQLAlchemy async URL; by default the embedded SQLite file
    `DATA_DIR/eligibility.db`, `postgresql+asyncpg://user@host/db` for real deployments
    (`sqlite://…`, `postgresql://…` and `postgres://…` are read as those drivers:
    `async_database_url`)."""

    data_dir: Path = Path("data")
    """`DATA_DIR`: folder for the SQLite file, the generated ID hash key and exports."""

    id_hash_key: str | None = None
    """`ID_HASH_KEY`: secret for the keyed hash of ID-card numbers.  When unset, a random key is
    created once in `DATA_DIR/id_hash.key` and reused (losing it orphans every stored hash)."""

    telegram_bot_token: str | None = None
    """`TELEGRAM_BOT_TOKEN`: the bot's token from @BotFather; the bot door is off without it."""

    telegram_webhook_secret: str | None = None
    """`TELEGRAM_WEBHOOK_SECRET`: the secret token Telegram must send with webhook calls."""

    telegram_bot_api_url: str = DEFAULT_TELEGRAM_BOT_API_URL
    """`TELEGRAM_BOT_API_URL`: the Bot API server (a local one, or a fake one in tests)."""

    export_dir: Path = field(default=Path("data/exports"))
    """`EXPORT_DIR`: where export jobs read their inputs and write their outputs."""

    export_retention_days: int = 30
    """`EXPORT_RETENTION_DAYS`: days a finished or failed export job is kept after its last
    change; then its row and its folder are removed (at start-up, and daily).  0 keeps them."""

    db_connect_timeout: float = 5.0
    """`DB_CONNECT_TIMEOUT`: seconds to open a database connection (PostgreSQL: TCP and log-in)
    before the request is answered 503."""

    db_statement_timeout: float = 10.0
    """`DB_STATEMENT_TIMEOUT`: seconds one statement may take (PostgreSQL: on the server and on
    the client, so a server that never answers is given up on too; SQLite: the wait for another
    writer's lock) before the request is answered 503."""

    db_pool_timeout: float = 5.0
    """`DB_POOL_TIMEOUT`: seconds a request waits for a free pooled connection before 503."""

    export_lease_seconds: float = 30.0
    """`EXPORT_LEASE_SECONDS`: how long a worker's claim on an export job lasts; it is renewed
    while the job runs, so a job whose worker died is taken over by another worker this long
    after its last renewal (at most twice this after the death)."""

    member_search_per_minute: int = 30
    """`MEMBER_SEARCH_PER_MINUTE`: ID-number searches one API key may make per rolling minute
    (kept in the database, so it holds across workers): this many back to back, then one each
    60 s / this, with no minute boundary to straddle; more are answered 429 with Retry-After,
    and a refused search counts too: a key that, once refused, keeps trying faster gets none
    until it slows down.  A masked number, the birth date and the region leave 1,000
    candidates, so the limit is what keeps the search from confirming each of them (review of
    #11, R1)."""

    api_key_cache_seconds: float = 10.0
    """`API_KEY_CACHE_SECONDS`: how long a server trusts an API key it has looked up before it
    looks it up again (`api.security.PrincipalCache`): a key revoked or narrowed in the
    database keeps its old powers in a running server this long at most.  0 looks every
    request's key up (a revocation counts at once, each request pays a database query)."""

    @property
    def database_limits(self) -> DatabaseLimits:
        """The bounds on every database wait, as the engine takes them."""
        from db.engine import DatabaseLimits

        return DatabaseLimits(
            connect_timeout=self.db_connect_timeout,
            statement_timeout=self.db_statement_timeout,
            pool_timeout=self.db_pool_timeout,
        )

    export_max_upload_mb: int = 256
    """`EXPORT_MAX_UPLOAD_MB`: the largest register `POST /v1/exports` accepts, in MiB (a
    larger body is refused with 413 as soon as it is announced or streamed past the limit).
    256 MiB holds a CSV of about a million people with every fact filled in, more than any
    county's register; XLSX and Parquet are smaller still."""

    @property
    def export_max_upload_bytes(self) -> int:
        """`export_max_upload_mb` in bytes."""
        return self.export_max_upload_mb * 1024 * 1024

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from `environ` (default: os.environ); empty values count as unset."""
        env = {k: v for k, v in (os.environ if environ is None else environ).items() if v != ""}
        data_dir = Path(env.get("DATA_DIR", "data"))
        try:
            database_url = async_database_url(env.get("DATABASE_URL", sqlite_url_in(data_dir)))
        except DatabaseURLError as exc:
            raise SettingsError(str(exc)) from None
        return cls(
            database_url=database_url,
            data_dir=data_dir,
            id_hash_key=env.get("ID_HASH_KEY"),
            telegram_bot_token=env.get("TELEGRAM_BOT_TOKEN"),
            telegram_webhook_secret=env.get("TELEGRAM_WEBHOOK_SECRET"),
            telegram_bot_api_url=env.get("TELEGRAM_BOT_API_URL", DEFAULT_TELEGRAM_BOT_API_URL),
            export_dir=Path(env.get("EXPORT_DIR", str(data_dir / "exports"))),
            export_retention_days=_days(env, "EXPORT_RETENTION_DAYS", 30),
            db_connect_timeout=_seconds(env, "DB_CONNECT_TIMEOUT", 5.0),
            db_statement_timeout=_seconds(env, "DB_STATEMENT_TIMEOUT", 10.0),
            db_pool_timeout=_seconds(env, "DB_POOL_TIMEOUT", 5.0),
            export_lease_seconds=_seconds(env, "EXPORT_LEASE_SECONDS", 30.0),
            export_max_upload_mb=_megabytes(env, "EXPORT_MAX_UPLOAD_MB", 256),
            member_search_per_minute=_count(env, "MEMBER_SEARCH_PER_MINUTE", 30),
            api_key_cache_seconds=_seconds(env, "API_KEY_CACHE_SECONDS", 10.0, zero=True),
        )


def _days(env: Mapping[str, str], name: str, default: int) -> int:
    """A count of days from the environment: a whole number, 0 or more (refused at start-up
    otherwise, rather than running with a retention nobody chose)."""
    text = env.get(name)
    if text is None:
        return default
    try:
        days = int(text)
    except ValueError:
        days = -1
    if days < 0:
        raise SettingsError(f"{name} must be a whole number of days, 0 or more; got {text!r}")
    return days


def _seconds(env: Mapping[str, str], name: str, default: float, *, zero: bool = False) -> float:
    """A duration in seconds from the environment: a number above 0, or 0 too when `zero`
    says 0 means "off" (refused at start-up otherwise: an unbounded or zero wait is never what
    an operator meant)."""
    text = env.get(name)
    if text is None:
        return default
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    lowest_ok = seconds >= 0 if zero else seconds > 0  # false for NaN too
    if not lowest_ok or seconds == float("inf"):
        bound = "0 or more" if zero else "above 0"
        raise SettingsError(f"{name} must be a number of seconds {bound}; got {text!r}")
    return seconds


def _megabytes(env: Mapping[str, str], name: str, default: int) -> int:
    """A size in MiB from the environment: a whole number, 1 or more (refused at start-up
    otherwise)."""
    text = env.get(name)
    if text is None:
        return default
    try:
        size = int(text)
    except ValueError:
        size = 0
    if size < 1:
        raise SettingsError(f"{name} must be a whole number of MiB, 1 or more; got {text!r}")
    return size


def _count(env: Mapping[str, str], name: str, default: int) -> int:
    """A count from the environment: a whole number, 1 or more (refused at start-up otherwise:
    0 would switch the feature off without saying so)."""
    text = env.get(name)
    if text is None:
        return default
    try:
        count = int(text)
    except ValueError:
        count = 0
    if count < 1:
        raise SettingsError(f"{name} must be a whole number, 1 or more; got {text!r}")
    return count


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read from the environment on first use."""
    return Settings.from_env()
