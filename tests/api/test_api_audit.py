"""The audit log: every read or write of household data leaves an event; admins read it."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.api.conftest import HouseholdMaker, bearer


async def _events(
    client: AsyncTestClient[Litestar], headers: dict[str, str], record_id: str
) -> list[dict[str, Any]]:
    response = await client.get(f"/v1/audit?record_id={record_id}", headers=headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_reads_and_writes_leave_events(
    client: AsyncTestClient[Litestar],
    admin_headers: dict[str, str],
    new_household: HouseholdMaker,
    make_key: Any,
) -> None:
    caseworker = bearer(await make_key("caseworker", regions=["4601"]))
    created = await client.post(
        "/v1/households", json={"region_code": "460105", "category": "ordinary"}, headers=caseworker
    )
    hid = created.json()["id"]
    await client.get(f"/v1/households/{hid}", headers=caseworker)
    await client.patch(f"/v1/households/{hid}", json={"size": 3}, headers=caseworker)
    await client.get("/v1/households?region=460105", headers=caseworker)
    member = (
        await client.post(f"/v1/households/{hid}/members", json={"age": 20}, headers=caseworker)
    ).json()
    await client.get(f"/v1/members/{member['id']}", headers=caseworker)
    await client.delete(f"/v1/households/{hid}", headers=caseworker)

    events = await _events(client, admin_headers, hid)
    assert [e["action"] for e in reversed(events)] == ["create", "read", "update", "list", "delete"]
    assert len({e["key_id"] for e in events}) == 1
    assert all(e["key_id"].startswith("key_") for e in events)
    assert all(e["resource"] == "household" and e["household_id"] == hid for e in events)
    member_events = await _events(client, admin_headers, member["id"])
    assert [e["action"] for e in reversed(member_events)] == ["create", "read"]
    by_household = await client.get(f"/v1/audit?household_id={hid}", headers=admin_headers)
    assert len(by_household.json()["items"]) == 7
    reads = await client.get(f"/v1/audit?household_id={hid}&action=read", headers=admin_headers)
    assert [e["resource"] for e in reads.json()["items"]] == ["member", "household"]
    bad = await client.get("/v1/audit?action=peek", headers=admin_headers)
    assert bad.status_code == 400


async def test_audit_is_for_admins(client: AsyncTestClient[Litestar], make_key: Any) -> None:
    caseworker = bearer(await make_key("caseworker", regions=["11"]))
    response = await client.get("/v1/audit", headers=caseworker)
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/problem+json")
    assert (await client.get("/v1/audit")).status_code == 401


async def test_attempts_outside_the_callers_regions_are_logged(
    client: AsyncTestClient[Litestar],
    admin_headers: dict[str, str],
    new_household: HouseholdMaker,
    make_key: Any,
) -> None:
    household = await new_household("210102")
    member = (
        await client.post(
            f"/v1/households/{household['id']}/members", json={"age": 33}, headers=admin_headers
        )
    ).json()
    outsider = bearer(await make_key("caseworker", regions=["12"]))
    assert (
        await client.get(f"/v1/households/{household['id']}", headers=outsider)
    ).status_code == 404
    assert (await client.get(f"/v1/members/{member['id']}", headers=outsider)).status_code == 404

    denied = await client.get(
        f"/v1/audit?household_id={household['id']}&action=denied", headers=admin_headers
    )
    events = denied.json()["items"]
    assert [e["resource"] for e in reversed(events)] == ["household", "member"]
    assert len({e["key_id"] for e in events}) == 1
