"""Route handlers, one module per resource; `api.app.ROUTES` lists them all."""

from __future__ import annotations

from litestar.openapi.datastructures import ResponseSpec

from api.problems import problem_responses

# Keyed routes declare the bearer scheme (defined in `api.app`) in the OpenAPI document.
SECURITY: list[dict[str, list[str]]] = [{"bearerAuth": []}]


def protected(*statuses: int) -> dict[int, ResponseSpec]:
    """Problem responses of a keyed route: bad input, no key, and whatever else it lists."""
    return problem_responses(400, 401, *statuses)
