"""`eligibility serve`, `eligibility db upgrade` and `eligibility keys create`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec

from api.settings import get_settings

if TYPE_CHECKING:
    from sqlmodel.ext.asyncio.session import AsyncSession


def register(commands: Any) -> None:
    """Add `serve`, `db` and `keys`."""
    serve = commands.add_parser(
        "serve",
        help="run the caseworkers' API (migrations applied, policies loaded)",
        description="Serves the HTTP API with uvicorn on the database DATABASE_URL names "
        "(the embedded SQLite file by default).",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on")
    serve.add_argument("--workers", type=int, default=1, help="worker processes")
    serve.add_argument("--log-level", default="info", help="uvicorn log level")
    serve.set_defaults(run=run_serve)

    database = commands.add_parser("db", help="database schema")
    db_commands = database.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    upgrade = db_commands.add_parser("upgrade", help="apply the migrations (Alembic)")
    upgrade.add_argument("--revision", default="head", help="target revision (default head)")
    upgrade.set_defaults(run=run_db_upgrade)

    keys = commands.add_parser("keys", help="API keys")
    key_commands = keys.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    create = key_commands.add_parser(
        "create", help="create a key; its clear text is printed once, as the last line"
    )
    create.add_argument("--role", choices=["admin", "caseworker"], required=True)
    create.add_argument(
        "--region",
        action="append",
        default=[],
        help="GB/T 2260 code prefix the key may see (repeatable; caseworkers need one)",
    )
    create.add_argument("--label", help="who or what the key is for")
    create.set_defaults(run=run_keys_create)
    listing = key_commands.add_parser("list", help="list keys (ids, roles, regions; no secrets)")
    listing.set_defaults(run=run_keys_list)
    revoke = key_commands.add_parser("revoke", help="revoke a key by its id")
    revoke.add_argument("key_id", help="the key's id, e.g. key_1a2b3c4d5e6f")
    revoke.set_defaults(run=run_keys_revoke)


def _fail(message: str) -> int:
    print(f"eligibility: {message}", file=sys.stderr)
    return 2


def run_serve(args: argparse.Namespace) -> int:
    """Migrate once, then start uvicorn with `args.workers` processes."""
    import uvicorn

    from api.security import load_identity_key
    from db.migrate import upgrade

    settings = get_settings()
    settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # personal data: owner only
    # Once here, before the workers start, so they do not race to migrate or make the key.
    upgrade(settings.database_url)
    load_identity_key(settings.id_hash_key, settings.data_dir)
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
        # uvicorn formats each access line's fields before the level check drops them: above
        # `info` no line is written, so none is made (a few µs a request).
        access_log=args.log_level.lower() in ("info", "debug", "trace"),
    )
    return 0


def run_db_upgrade(args: argparse.Namespace) -> int:
    """Apply the migrations to the database DATABASE_URL names."""
    from db.migrate import upgrade

    settings = get_settings()
    upgrade(settings.database_url, args.revision)
    print(f"database at {args.revision}")
    return 0


_T = TypeVar("_T")


def _with_session(work: Callable[[AsyncSession], Awaitable[_T]]) -> _T:
    """Run `work` in a session on the configured database, migrated first (so the key
    commands work on a fresh install)."""
    from db.engine import create_engine, session_factory
    from db.migrate import upgrade_async

    async def run() -> _T:
        engine = create_engine(get_settings().database_url)
        try:
            await upgrade_async(engine)
            async with session_factory(engine)() as session:
                return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def run_keys_create(args: argparse.Namespace) -> int:
    """Create a key and print its clear text once, as the last line."""
    from api.security import create_key

    async def make(session: AsyncSession) -> tuple[str, str, list[str]]:
        record, clear = await create_key(
            session, role=args.role, regions=args.region, label=args.label
        )
        return record.id, clear, msgspec.json.decode(record.regions, type=list[str])

    try:
        key_id, clear, regions = _with_session(make)
    except ValueError as exc:
        return _fail(str(exc))
    # The regions as stored (typed full-width digits come back as ASCII).
    scope = ", ".join(regions) if regions else "all regions"
    print(f"created {args.role} key {key_id} ({scope}); it is shown only once:")
    print(clear)
    return 0


def run_keys_list(args: argparse.Namespace) -> int:
    """Print one line per key: id, role, regions, label, created, revoked."""
    from api.security import list_keys

    del args
    for key in _with_session(list_keys):
        regions = ",".join(msgspec.json.decode(key.regions, type=list[str])) or "*"
        revoked = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "active"
        print(
            f"{key.id}\t{key.role}\t{regions}\t{key.label or '-'}\t"
            f"{key.created_at:%Y-%m-%d}\t{revoked}"
        )
    return 0


def run_keys_revoke(args: argparse.Namespace) -> int:
    """Revoke a key; exit 2 if there is no such key."""
    from api.security import revoke_key

    async def revoke(session: AsyncSession) -> bool:
        return await revoke_key(session, args.key_id)

    if not _with_session(revoke):
        return _fail(f"no key {args.key_id!r}")
    print(f"revoked {args.key_id}")
    return 0
