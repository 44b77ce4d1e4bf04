"""The composition root: `create_app()` builds the Litestar app from settings.

At start-up the app applies the migrations, loads and stores the policy set, and loads the ID
hash key; the route handlers get these through `Provide` (see `api.dependencies`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar, Router
from litestar.config.compression import CompressionConfig
from litestar.exceptions import HTTPException
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.types import ControllerRouterHandler
from sqlalchemy.exc import IntegrityError

from api import schemas
from api.allow import AllowEveryMethod
from api.compression import RawHeaderCompression
from api.dependencies import DEPENDENCIES
from api.openapi import strict_struct_names, structs, tighten
from api.problems import (
    ClientDisconnected,
    StrictRequest,
    client_disconnected_handler,
    http_exception_handler,
)
from api.routes.assessments import AssessmentsController
from api.routes.audit import AuditController
from api.routes.checks import ChecksController
from api.routes.exports import ExportsController
from api.routes.health import healthz, readyz
from api.routes.households import HouseholdsController, MembersController
from api.routes.programmes import ProgrammesController
from api.routes.sources import SourcesController
from api.routes.telegram import TelegramWebhook
from api.runtime import PolicyRegistry, Runtime
from api.security import IdentityHasher, PrincipalCache, load_identity_key
from api.services import export_runner
from api.settings import Settings, get_settings
from api.unavailable import unavailable_or_internal_error
from db.engine import create_engine, make_sqlite_private, narrow_to_owner, session_factory
from db.migrate import upgrade_async
from eligibility import facts
from eligibility.policy import load_bundled

# Every route of the service.  A new door adds its handler or controller here, one line each.
ROUTES: list[ControllerRouterHandler] = [
    healthz,
    readyz,
    ChecksController,
    ProgrammesController,
    SourcesController,
    HouseholdsController,
    MembersController,
    AssessmentsController,
    AuditController,
]

# JSON bodies: a 1,000-applicant batch, every fact given and pretty-printed, is about 2 MiB.
# (Register uploads have their own limit, `EXPORT_MAX_UPLOAD_MB`; the webhook, Telegram's.)
MAX_JSON_BODY = 4 * 1024 * 1024


def make_storage_private(settings: Settings) -> None:
    """The data and export folders 0700, the SQLite file and the ID hash key 0600: they hold
    personal data (or the key to it), for the service's user only.  Folders and files made by
    an older version are narrowed too."""
    for folder in (settings.data_dir, settings.export_dir):
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        narrow_to_owner(folder)
    key = settings.data_dir / "id_hash.key"
    if key.is_file():
        narrow_to_owner(key)
    make_sqlite_private(settings.database_url)


async def start_runtime(settings: Settings) -> Runtime:
    """Migrate the database, load and store the policy set, load the ID hash key."""
    make_storage_private(settings)
    # Migrations and storing the policies take what they take, on an engine of their own;
    # requests get one whose every wait is bounded (`DB_*_TIMEOUT`).
    startup = create_engine(settings.database_url)
    try:
        await upgrade_async(startup)
        registry = PolicyRegistry(current=load_bundled())
        async with session_factory(startup)() as session:
            try:
                await registry.save_current(session)
            except IntegrityError:
                # Another worker stored the same version at the same moment: nothing to do.
                await session.rollback()
    finally:
        await startup.dispose()
    identity = IdentityHasher(load_identity_key(settings.id_hash_key, settings.data_dir))
    engine = create_engine(settings.database_url, settings.database_limits)
    sessions = session_factory(engine)
    return Runtime(
        settings=settings,
        engine=engine,
        sessions=sessions,
        policies=registry,
        identity=identity,
        keys=PrincipalCache(ttl=settings.api_key_cache_seconds),
    )


def create_app(settings: Settings | None = None) -> Litestar:
    """The caseworkers' API on the database `settings` name (default: from the environment)."""
    chosen = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        runtime = await start_runtime(chosen)
        app.state.runtime = runtime
        try:
            yield
        finally:
            await runtime.engine.dispose()

    # The exports routes take register uploads: their body limit is the operator's setting.
    uploads = Router(
        "/",
        route_handlers=[ExportsController],
        request_max_body_size=chosen.export_max_upload_bytes,
    )
    allow = AllowEveryMethod()
    app = Litestar(
        route_handlers=[*ROUTES, uploads],
        middleware=[allow],
        request_max_body_size=MAX_JSON_BODY,
        dependencies=DEPENDENCIES,
        # Export jobs start after the runtime and stop before its engine is disposed.
        lifespan=[lifespan, export_runner.running_jobs],
        plugins=[TelegramWebhook(chosen)],  # POST /telegram/webhook, when a bot token is set
        request_class=StrictRequest,
        # A client that accepts gzip gets answers of more than 1 KB compressed: one applicant's
        # five determinations in full are about 16 KB of JSON and 6 KB on the wire (issue 10's
        # "≤ 8 KB", tests/api/test_api_answers.py).  Not the export downloads (files, sent as
        # stored) nor the Telegram webhook.  Level 1: at level 6 compressing the typical answer
        # took more than the whole rest of the check (bench/api_overhead.py, its gzip case) to
        # save a few hundred of its 6 KB.
        compression_config=CompressionConfig(
            backend="gzip",
            minimum_size=1024,
            gzip_compress_level=1,
            exclude=["^/v1/exports", "^/telegram"],
            middleware_class=RawHeaderCompression,
        ),
        exception_handlers={
            HTTPException: http_exception_handler,
            # A client gone away before its body was read is no server error (INFO, 499).
            ClientDisconnected: client_disconnected_handler,
            # A database outage is a 503 with Retry-After; anything else unexpected, a 500.
            Exception: unavailable_or_internal_error,
        },
        openapi_config=OpenAPIConfig(
            title="Rural support eligibility — caseworkers' API",
            version="1.0.0",
            description="乡村帮扶资格: checks, households register, assessments, programmes.",
            components=Components(
                security_schemes={
                    "bearerAuth": SecurityScheme(
                        type="http",
                        scheme="bearer",
                        description="an API key from `eligibility keys create`",
                    )
                }
            ),
        ),
    )
    allow.learn(app)
    # The OpenAPI document is generated once, here, and served as tightened.
    tighten(app.openapi_schema, strict_struct_names([schemas, facts]), structs([schemas, facts]))
    return app
