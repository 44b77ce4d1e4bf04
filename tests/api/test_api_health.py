"""Liveness and readiness."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient


async def test_healthz_needs_no_key(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


async def test_readyz_reports_the_policy_version(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["policy_version"].startswith("ps-")


async def test_every_endpoint_is_in_the_openapi_document(
    client: AsyncTestClient[Litestar],
) -> None:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    document = response.json()
    paths = {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in ("get", "post", "patch", "delete")
    }
    expected = {
        ("GET", "/healthz"),
        ("GET", "/readyz"),
        ("POST", "/v1/checks"),
        ("POST", "/v1/checks/batch"),
        ("GET", "/v1/programmes"),
        ("GET", "/v1/programmes/{programme_id}"),
        ("POST", "/v1/households"),
        ("GET", "/v1/households"),
        ("GET", "/v1/households/{household_id}"),
        ("PATCH", "/v1/households/{household_id}"),
        ("DELETE", "/v1/households/{household_id}"),
        ("POST", "/v1/households/{household_id}/members"),
        ("GET", "/v1/households/{household_id}/members"),
        ("POST", "/v1/members/search"),
        ("GET", "/v1/members/{member_id}"),
        ("PATCH", "/v1/members/{member_id}"),
        ("DELETE", "/v1/members/{member_id}"),
        ("GET", "/v1/members/{member_id}/assessments"),
        ("POST", "/v1/assessments"),
        ("GET", "/v1/assessments/{assessment_id}"),
        ("POST", "/v1/assessments/{assessment_id}/rederive"),
        ("GET", "/v1/audit"),
    }
    assert expected <= paths
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert document["components"]["schemas"]["HouseholdCreate"]["additionalProperties"] is False
    keyed = document["paths"]["/v1/households"]["post"]
    assert keyed["security"] == [{"bearerAuth": []}]
    assert "application/problem+json" in keyed["responses"]["400"]["content"]
    assert "security" not in document["paths"]["/v1/programmes"]["get"]
