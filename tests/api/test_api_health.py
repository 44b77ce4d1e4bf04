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
