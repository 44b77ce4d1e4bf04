"""Route handlers, one module per resource; `api.app.ROUTES` lists them all."""

from __future__ import annotations

from typing import Annotated

from litestar.openapi.datastructures import ResponseSpec
from litestar.params import QueryParameter

from api.problems import problem_responses
from eligibility.reply import Detail

# Keyed routes declare the bearer scheme (defined in `api.app`) in the OpenAPI document.
SECURITY: list[dict[str, list[str]]] = [{"bearerAuth": []}]

# Paging of every list.  `schema_extra`: Litestar's generator drops a bound of 0 (see
# api.openapi), so the document states it itself.
Offset = Annotated[
    int,
    QueryParameter(ge=0, le=10_000_000, description="rows to skip", schema_extra={"minimum": 0}),
]

# How much of each determination an answer carries (issue 10): `full` (every criterion, the
# amount's sources, request details) or `summary` (the criteria not met or unknown).
DetailQuery = Annotated[
    Detail,
    QueryParameter(
        description="full: every criterion; summary: verdict, amount, the criteria not met or "
        "unknown, missing facts, next steps, documents, warnings, versions"
    ),
]


def protected(*statuses: int) -> dict[int, ResponseSpec]:
    """Problem responses of a keyed route: bad input, no key, and whatever else it lists."""
    return problem_responses(400, 401, *statuses)
