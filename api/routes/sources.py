"""`GET /v1/sources`: the documents a policy version's answers cite, by the ids they name."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, get
from litestar.params import QueryParameter

from api.dependencies import RuntimeDep, SessionDep
from api.problems import ProblemError, problem_responses
from api.schemas import SourceRegistryRead
from api.services.households import not_found
from eligibility.policy_file import PolicyError
from eligibility.reply import source_of

Version = Annotated[
    str | None,
    QueryParameter(
        max_length=64,
        description="the `policy_version` of an answer (default: the version in force now)",
    ),
]
# A version is the content hash of its policy files: what it cites never changes.
_IMMUTABLE = "public, max-age=31536000, immutable"
_CURRENT = "public, max-age=300"


class SourcesController(Controller):
    """Public: every source of a policy version, whole (no key needed)."""

    path = "/v1/sources"
    tags = ("programmes",)

    @get("/", responses=problem_responses(400, 404, 409), summary="List the sources cited")
    async def list_(
        self, runtime: RuntimeDep, session: SessionDep, policy_version: Version = None
    ) -> Response[SourceRegistryRead]:
        """Every document the answers of `policy_version` may cite, under the ids they name
        it by: title, number (文号), link, issuer and date.  An answer's `sources` table shows
        each as cited (title, number, issuer, link); this is where its date is.  Asked by
        version, the reply never changes and may be cached for good."""
        registry = runtime.policies
        try:
            policies = (
                registry.current
                if policy_version is None
                else await registry.get(session, policy_version)
            )
        except PolicyError:
            # Its answers were shown with another registry, their sources whole
            # (`api.services.assessments._read`).
            raise ProblemError(409, "This policy version is stored but no longer loads.") from None
        if policies is None:
            raise not_found("policy version")
        catalogue = SourceRegistryRead(
            policy_version=policies.version,
            sources={i: source_of(c) for i, c in policies.registry.citations.items()},
        )
        return Response(
            catalogue,
            headers={
                "Cache-Control": _CURRENT if policy_version is None else _IMMUTABLE,
                "ETag": f'"{policies.version}"',
            },
        )
