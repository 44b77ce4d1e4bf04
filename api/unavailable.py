"""Database trouble as `503 Service Unavailable` with `Retry-After`, not as a 500.

The database away, not answering within `DB_*_TIMEOUT`, out of pooled connections, locked or
read-only: the request could succeed a little later, so it is answered 503 (problem+json, with
`Retry-After`) and logged as one warning line; the engine drops the broken connections and the
next request after the database is back succeeds (see `db.engine`).
"""

from __future__ import annotations

import logging
from typing import Any

import msgspec
from litestar import Response
from litestar.connection import Request

from api.problems import PROBLEM_MEDIA_TYPE, Problem, ProblemError, internal_error_handler
from db.engine import is_unavailable

RETRY_AFTER_SECONDS = 5
UNAVAILABLE_TYPE = "urn:rural-support:problem:database-unavailable"
DETAIL = "The database is not available; try again shortly."

_log = logging.getLogger(__name__)


def database_unavailable(detail: str = DETAIL) -> ProblemError:
    """A 503 problem telling the client when to try again."""
    return ProblemError(
        503,
        detail,
        problem_type=UNAVAILABLE_TYPE,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def unavailable_or_internal_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """An unexpected exception: 503 if it says the database is unavailable, else a 500."""
    if not is_unavailable(exc):
        return internal_error_handler(request, exc)
    _log.warning(
        "database unavailable on %s %s: %s: %s",
        request.method,
        request.url.path,
        type(exc).__name__,
        str(exc).splitlines()[0] if str(exc) else "",
    )
    problem = Problem(
        type=UNAVAILABLE_TYPE,
        title="Service Unavailable",
        status=503,
        detail=DETAIL,
    )
    return Response(
        content=msgspec.json.encode(problem),
        status_code=503,
        media_type=PROBLEM_MEDIA_TYPE,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )
