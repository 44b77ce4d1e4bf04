"""Fuzz the OpenAPI contract (schemathesis, in-process via ASGI, SQLite, bounded).

Every operation gets generated requests, with an admin key; responses must not be 5xx and must
conform to the schema (status codes, content types, bodies, headers).
"""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    positive_data_acceptance,
    unsupported_method,
)

from api.app import create_app
from api.security import create_key
from api.settings import Settings
from db.engine import create_engine, session_factory
from db.migrate import upgrade_async

# Built at import: schemathesis parametrizes the test from the schema while collecting.
FUZZ_DIR = Path(tempfile.mkdtemp(prefix="eligibility-fuzz-"))
FUZZ_SETTINGS = Settings(
    database_url=f"sqlite+aiosqlite:///{FUZZ_DIR}/fuzz.db",
    data_dir=FUZZ_DIR,
    id_hash_key="fuzz-key",
    export_dir=FUZZ_DIR / "exports",
)
FUZZ_APP = create_app(FUZZ_SETTINGS)
schema = schemathesis.openapi.from_dict(FUZZ_APP.openapi_schema.to_schema())
# Requests go to the app in-process (schemathesis runs its lifespan on its own loop).
schema.app = FUZZ_APP
# Unknown query parameters are ignored, as HTTP APIs commonly do; the schema cannot forbid them.
schema.config.generation.update(allow_extra_parameters=False)

EXCLUDED_CHECKS = [
    # Some rules no JSON Schema can state: the ID number's check digit, a birth date that must
    # match it, ids that must exist.  Such requests are schema-valid and rightly refused (4xx).
    positive_data_acceptance,
    # Litestar answers OPTIONS on every path itself (instead of 405), and its `Allow` header
    # lists only the methods of the first handler registered on a path (Litestar 2.25).
    unsupported_method,
    allow_header_conformance,
]


@pytest_asyncio.fixture(scope="session")
async def fuzz_headers() -> AsyncIterator[dict[str, str]]:
    """An admin key on the fuzzing database (a fresh SQLite file of its own)."""
    engine = create_engine(FUZZ_SETTINGS.database_url)
    try:
        await upgrade_async(engine)
        async with session_factory(engine)() as session:
            _, clear = await create_key(session, role="admin")
    finally:
        await engine.dispose()
    yield {"Authorization": f"Bearer {clear}"}


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_contract(case: schemathesis.Case, fuzz_headers: dict[str, str]) -> None:
    # A generous timeout: the test machine is shared with other suites, and a 1,000-applicant
    # batch on a busy core can pass schemathesis's 10-second default.
    case.call_and_validate(headers=fuzz_headers, excluded_checks=EXCLUDED_CHECKS, timeout=120)
