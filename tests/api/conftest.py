"""Helpers for the API tests: valid ID numbers, households in a region, keyed headers."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from eligibility.identity import check_character

_serial = itertools.count(100)


def id_number(region: str = "510121", birth: str = "19800115") -> str:
    """A valid (check digit correct) 18-character ID number, different on each call."""
    first17 = f"{region}{birth}{next(_serial) % 1000:03d}"
    return first17 + check_character(first17)


def bearer(key: str) -> dict[str, str]:
    """Authorization headers for a key."""
    return {"Authorization": f"Bearer {key}"}


HouseholdMaker = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture
def new_household(
    client: AsyncTestClient[Litestar], admin_headers: dict[str, str]
) -> HouseholdMaker:
    """`await new_household(region_code="510121", **facts)` -> the created household JSON."""

    async def make(region_code: str = "510121", **facts: Any) -> dict[str, Any]:
        body = {"region_code": region_code, "category": "poverty_alleviated", **facts}
        response = await client.post("/v1/households", json=body, headers=admin_headers)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    return make
