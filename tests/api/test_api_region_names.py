"""Places by name at the caseworkers' door (#12): `region_name` is accepted where `region_code`
is (checks, batch checks, households), read by the core's resolver; an unknown or ambiguous
name is a 400 naming `region_name` and listing the candidates."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.api.test_api_checks import APPLICANT, assert_problem


def _named(name: str) -> dict[str, Any]:
    body = {k: v for k, v in APPLICANT.items() if k != "region_code"}
    return {**body, "region_name": name}


async def test_check_by_name_is_the_check_by_code(
    client: AsyncTestClient[Litestar], admin_headers: dict[str, str]
) -> None:
    by_code = await client.post("/v1/checks", json=APPLICANT, headers=admin_headers)
    for name in ("金堂", "金堂县", "四川成都金堂", "成都市金堂县"):
        by_name = await client.post("/v1/checks", json=_named(name), headers=admin_headers)
        assert by_name.status_code == 200, by_name.text
        assert by_name.json() == by_code.json()
        assert by_name.json()["determinations"][0]["region_code"] == "510121"


async def test_ambiguous_and_unknown_names_are_400_naming_the_field(
    client: AsyncTestClient[Litestar], admin_headers: dict[str, str]
) -> None:
    response = await client.post("/v1/checks", json=_named("新华区"), headers=admin_headers)
    body = assert_problem(response, 400, "$.region_name")
    message = next(e["message"] for e in body["errors"] if e["path"] == "$.region_name")
    for candidate in ("130105 河北省石家庄市新华区", "130902 河北省沧州市新华区", "410402"):
        assert candidate in message
    response = await client.post("/v1/checks", json=_named("火星"), headers=admin_headers)
    assert_problem(response, 400, "$.region_name")
    # A name and a code that disagree.
    both = {**APPLICANT, "region_name": "临猗"}
    response = await client.post("/v1/checks", json=both, headers=admin_headers)
    assert_problem(response, 400, "$.region_name")


async def test_batch_check_item_by_name(
    client: AsyncTestClient[Litestar], admin_headers: dict[str, str]
) -> None:
    body = {"applicants": [_named("金堂"), _named("新华区")]}
    response = await client.post("/v1/checks/batch", json=body, headers=admin_headers)
    assert response.status_code == 200, response.text
    first, second = response.json()["results"]
    assert first["ok"] and first["determinations"][0]["region_code"] == "510121"
    assert not second["ok"]
    assert second["errors"][0]["path"] == "$.applicants[1].region_name"


async def test_household_registered_and_moved_by_name(
    client: AsyncTestClient[Litestar], admin_headers: dict[str, str]
) -> None:
    created = await client.post(
        "/v1/households",
        json={"region_name": "山西运城临猗", "category": "poverty_alleviated"},
        headers=admin_headers,
    )
    assert created.status_code == 201, created.text
    assert created.json()["region_code"] == "140821"
    assert "region_name" not in created.json()
    moved = await client.patch(
        f"/v1/households/{created.json()['id']}",
        json={"region_name": "崇信"},
        headers=admin_headers,
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["region_code"] == "620823"
    response = await client.post(
        "/v1/households",
        json={"region_name": "新华区", "category": "ordinary"},
        headers=admin_headers,
    )
    assert_problem(response, 400, "$.region_name")
    response = await client.post(
        "/v1/households", json={"category": "ordinary"}, headers=admin_headers
    )
    assert_problem(response, 400, "$.region_code")
