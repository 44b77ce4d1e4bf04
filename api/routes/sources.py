"""`GET /v1/sources`: the documents a policy version's answers cite, by the ids they name."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get
from litestar.openapi import ResponseSpec
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
# A version is the content hash of its policy files, but the registry is also made by code
# (ids, grouping), which a release may mend: a day, not for good, and the ETag is the body's.
_VERSIONED = "public, max-age=86400"
_CURRENT = "public, max-age=300"
_encoder = msgspec.json.Encoder()


class SourcesController(Controller):
    """Public: every source of a policy version, whole (no key needed)."""

    path = "/v1/sources"
    tags = ("programmes",)

    @get(
        "/",
        responses={
            200: ResponseSpec(
                SourceRegistryRead, description="the registry", generate_examples=False
            ),
            **problem_responses(400, 404, 409),
        },
        summary="List the sources cited",
    )
    async def list_(
        self,
        request: Request[Any, Any, Any],
        runtime: RuntimeDep,
        session: SessionDep,
        policy_version: Version = None,
    ) -> Response[bytes]:
        """Every document the answers of `policy_version` may cite, under the ids they name
        it by: title, number (文号), link, issuer and date.  An answer's `sources` table shows
        each as cited (title, number, issuer, link); this is where its date is.  Asked by
        version it may be kept for a day; its ETag is a hash of the body, and a request
        that sends it back (`If-None-Match`) while the body is the same gets a 304."""
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
        body = _encoder.encode(catalogue)
        # Weak: the same body gzip-compressed or not is the same document.
        etag = f'W/"{hashlib.sha256(body).hexdigest()[:20]}"'
        headers = {
            "Cache-Control": _CURRENT if policy_version is None else _VERSIONED,
            "ETag": etag,
        }
        sent = request.headers.get("if-none-match", "")
        if etag in (tag.strip() for tag in sent.split(",")) or sent.strip() == "*":
            return Response(b"", status_code=304, headers=headers)
        return Response(body, media_type="application/json", headers=headers)
