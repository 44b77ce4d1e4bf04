"""`/healthz` (the process answers) and `/readyz` (the database answers and can be written)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from litestar import get

from api.dependencies import RuntimeDep
from api.problems import problem_responses
from api.schemas import Health
from api.unavailable import database_unavailable
from db.engine import is_unavailable
from db.models import AuditEvent


@get("/healthz", tags=["health"], summary="Liveness")
async def healthz() -> Health:
    """Always ok while the process serves requests."""
    return Health(status="ok")


@get("/readyz", tags=["health"], summary="Readiness", responses=problem_responses(503))
async def readyz(runtime: RuntimeDep) -> Health:
    """Ok when the database answers and takes writes; 503 (with Retry-After) otherwise.

    Every keyed route writes the audit log, so readiness is an audit event written and rolled
    back: a database that answers reads but refuses writes (a read-only file, a standby, a
    full disk) is not ready.  Each wait is bounded by the `DB_*_TIMEOUT` settings.
    """
    probe = sa.insert(AuditEvent).values(
        at=dt.datetime.now(dt.UTC),
        key_id="readyz",
        action="probe",
        resource="readiness",
        record_id="-",
    )
    try:
        async with runtime.engine.connect() as connection:
            transaction = await connection.begin()
            try:
                await connection.execute(probe)
            finally:
                await transaction.rollback()
    except Exception as exc:
        if not is_unavailable(exc):
            raise
        raise database_unavailable("The database cannot be reached or written.") from exc
    return Health(status="ready", policy_version=runtime.policies.current.version)
