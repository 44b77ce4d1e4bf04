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
        assert by_name.json()["region_code"] == "510121"


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
    assert first["ok"] and first["region_code"] == "510121"
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


# A 临猗 worker (README's example); where the job is comes by name in the tests below.
WORKER: dict[str, Any] = {
    "as_of": "2024-11-05",
    "region_code": "140821",
    "household": {"category": "poverty_alleviated"},
    "person": {
        "age": 35,
        "employment": {
            "status": "employed",
            "months_continuous": 4,
            "transport_subsidy_claimed_this_year": False,
        },
    },
}


def _working(**employment: Any) -> dict[str, Any]:
    person = WORKER["person"]
    return {**WORKER, "person": {**person, "employment": {**person["employment"], **employment}}}


async def test_place_of_work_by_name_is_the_check_by_code(
    client: AsyncTestClient[Litestar], admin_headers: dict[str, str]
) -> None:
    """A province is enough where only the scope matters: "浙江" is 33, work in another
    province for 临猗's table (1500 元, 临猗县 2024)."""
    for name, code in (("浙江", "33"), ("浙江省", "33"), ("深圳", "4403"), ("广东东莞", "4419")):
        by_code = await client.post(
            "/v1/checks?programme=transport_subsidy",
            json=_working(work_region_code=code),
            headers=admin_headers,
        )
        by_name = await client.post(
            "/v1/checks?programme=transport_subsidy",
            json=_working(work_region_name=name),
            headers=admin_headers,
        )
        assert by_name.status_code == 200, by_name.text
        assert by_name.json() == by_code.json()
    (determination,) = by_name.json()["determinations"]
    assert determination["verdict"] == "eligible"
    assert determination["amount"] == 1500


async def test_unknown_shared_or_contradicted_work_place_names_the_field(
    client: AsyncTestClient[Litestar], admin_headers: dict[str, str]
) -> None:
    path = "$.person.employment.work_region_name"
    response = await client.post(
        "/v1/checks", json=_working(work_region_name="新华区"), headers=admin_headers
    )
    body = assert_problem(response, 400, path)
    message = next(e["message"] for e in body["errors"] if e["path"] == path)
    assert "130105 河北省石家庄市新华区" in message and "410402" in message
    unknown = {"work_region_name": "火星"}
    contradicted = {"work_region_name": "广东", "work_region_code": "33"}
    for bad in (unknown, contradicted):
        response = await client.post("/v1/checks", json=_working(**bad), headers=admin_headers)
        assert_problem(response, 400, path)
    body = {"applicants": [_working(work_region_name="浙江"), _working(work_region_name="火星")]}
    response = await client.post("/v1/checks/batch", json=body, headers=admin_headers)
    first, second = response.json()["results"]
    assert first["ok"] and not second["ok"]
    assert second["errors"][0]["path"] == "$.applicants[1].person.employment.work_region_name"


async def test_member_place_of_work_by_name_is_stored_as_its_code(
    client: AsyncTestClient[Litestar], admin_headers: dict[str, str]
) -> None:
    household = await client.post(
        "/v1/households",
        json={"region_name": "临猗", "category": "poverty_alleviated"},
        headers=admin_headers,
    )
    members = f"/v1/households/{household.json()['id']}/members"
    created = await client.post(
        members,
        json={"age": 35, "employment": {"status": "employed", "work_region_name": "深圳"}},
        headers=admin_headers,
    )
    assert created.status_code == 201, created.text
    assert created.json()["employment"] == {"status": "employed", "work_region_code": "4403"}
    moved = await client.patch(
        f"/v1/members/{created.json()['id']}",
        json={"employment": {"status": "employed", "work_region_name": "浙江"}},
        headers=admin_headers,
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["employment"] == {"status": "employed", "work_region_code": "33"}
    # What was stored decodes as the core's facts: an assessment reads it.
    assessed = await client.post(
        "/v1/assessments", json={"member_id": created.json()["id"]}, headers=admin_headers
    )
    assert assessed.status_code == 201, assessed.text
    assert assessed.json()["facts"]["person"]["employment"]["work_region_code"] == "33"
    response = await client.post(
        members, json={"employment": {"work_region_name": "新华区"}}, headers=admin_headers
    )
    assert_problem(response, 400, "$.employment.work_region_name")
