"""`eligibility serve`, `eligibility db upgrade` and `eligibility keys create`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from api.settings import get_settings


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


def _fail(message: str) -> int:
    print(f"eligibility: {message}", file=sys.stderr)
    return 2


def run_serve(args: argparse.Namespace) -> int:
    """Migrate once, then start uvicorn with `args.workers` processes."""
    import uvicorn

    from api.security import load_identity_key
    from db.migrate import upgrade

    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
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
    )
    return 0


def run_db_upgrade(args: argparse.Namespace) -> int:
    """Apply the migrations to the database DATABASE_URL names."""
    from db.migrate import upgrade

    settings = get_settings()
    upgrade(settings.database_url, args.revision)
    print(f"database at {args.revision}")
    return 0


def run_keys_create(args: argparse.Namespace) -> int:
    """Create a key (migrating first, so it works on a fresh install); print it last."""
    from api.security import create_key
    from db.engine import create_engine, session_factory
    from db.migrate import upgrade_async

    settings = get_settings()

    async def make() -> tuple[str, str]:
        engine = create_engine(settings.database_url)
        try:
            await upgrade_async(engine)
            async with session_factory(engine)() as session:
                record, clear = await create_key(
                    session, role=args.role, regions=args.region, label=args.label
                )
                return record.id, clear
        finally:
            await engine.dispose()

    try:
        key_id, clear = asyncio.run(make())
    except ValueError as exc:
        return _fail(str(exc))
    scope = ", ".join(args.region) if args.region else "all regions"
    print(f"created {args.role} key {key_id} ({scope}); it is shown only once:")
    print(clear)
    return 0
