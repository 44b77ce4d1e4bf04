"""`/healthz` (the process answers) and `/readyz` (the database answers too)."""

from __future__ import annotations

import sqlalchemy as sa
from litestar import get

from api.dependencies import RuntimeDep
from api.problems import ProblemError, problem_responses
from api.schemas import Health


@get("/healthz", tags=["health"], summary="Liveness")
async def healthz() -> Health:
    """Always ok while the process serves requests."""
    return Health(status="ok")


@get("/readyz", tags=["health"], summary="Readiness", responses=problem_responses(503))
async def readyz(runtime: RuntimeDep) -> Health:
    """Ok when the database answers; 503 otherwise."""
    try:
        async with runtime.engine.connect() as connection:
            await connection.execute(sa.text("SELECT 1"))
    except Exception as exc:  # any driver error means "not ready", whatever its class
        raise ProblemError(503, "The database is not reachable.") from exc
    return Health(status="ready", policy_version=runtime.policies.current.version)
