"""Households and members: CRUD, filters, region scope, and ID numbers never kept in clear."""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from api.runtime import Runtime
from api.security import create_key
from api.services import rate_limits
from api.settings import Settings
from db.engine import create_engine, session_factory
from eligibility.identity import check_character
from tests.api.conftest import HouseholdMaker, bearer, id_number
from tests.api.test_api_checks import assert_problem


async def test_household_crud(
    client: AsyncTestClient[Litestar], admin_headers: dict[str, str], new_household: HouseholdMaker
) -> None:
    created = await new_household("510121", size=4, receives_dibao=True)
    hid = created["id"]
    assert created["size"] == 4
    assert created["per_capita_net_income"] is None  # unknown stays unknown

    read = await client.get(f"/v1/households/{hid}", headers=admin_headers)
    assert read.status_code == 200
    assert read.json() == created

    patched = await client.patch(
        f"/v1/households/{hid}",
        json={"size": 5, "receives_dibao": None, "per_capita_net_income": 6200},
        headers=admin_headers,
    )
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert (body["size"], body["receives_dibao"], body["per_capita_net_income"]) == (5, None, 6200)
    assert body["category"] == "poverty_alleviated"  # absent from the patch: unchanged

    deleted = await client.delete(f"/v1/households/{hid}", headers=admin_headers)
    assert deleted.status_code == 204
    gone = await client.get(f"/v1/households/{hid}", headers=admin_headers)
    assert gone.headers["content-type"].startswith("application/problem+json")
    assert gone.status_code == 404


async def test_household_validation(
    client: AsyncTestClient[Litestar], admin_headers: dict[str, str], new_household: HouseholdMaker
) -> None:
    missing = await client.post(
        "/v1/households", json={"region_code": "510121"}, headers=admin_headers
    )
    assert_problem(missing, 400, "$.category")
    bad_region = await client.post(
        "/v1/households",
        json={"region_code": "5101211", "category": "ordinary"},
        headers=admin_headers,
    )
    assert_problem(bad_region, 400, "$.region_code")
    # Review #6: codes of the right shape that no region has were registered (201) and then
    # decided under the national rules alone; a retired code (江干区, merged in 2021) too.
    for code in ("999999", "000000", "99", "330104"):
        unknown = await client.post(
            "/v1/households",
            json={"region_code": code, "category": "ordinary"},
            headers=admin_headers,
        )
        body = assert_problem(unknown, 400, "$.region_code")
        assert "not a region code in use today" in body["errors"][0]["message"]
    created = await new_household()
    moved = await client.patch(
        f"/v1/households/{created['id']}", json={"region_code": "999999"}, headers=admin_headers
    )
    assert_problem(moved, 400, "$.region_code")
    null_category = await client.patch(
        f"/v1/households/{created['id']}", json={"category": None}, headers=admin_headers
    )
    assert_problem(null_category, 400, "$.category")
    unknown = await client.patch(
        f"/v1/households/{created['id']}", json={"colour": "red"}, headers=admin_headers
    )
    assert_problem(unknown, 400, "$.colour")


async def test_household_filters(
    client: AsyncTestClient[Litestar], admin_headers: dict[str, str], new_household: HouseholdMaker
) -> None:
    a = await new_household("630102", category="edge_vulnerable")
    b = await new_household("630103", category="ordinary")
    c = await new_household("640104", category="edge_vulnerable")

    async def ids(query: str) -> set[str]:
        response = await client.get(f"/v1/households?{query}&limit=500", headers=admin_headers)
        assert response.status_code == 200, response.text
        return {h["id"] for h in response.json()["items"]}

    assert {a["id"], b["id"]} <= await ids("region=6301")
    assert c["id"] not in await ids("region=6301")
    found = await ids("region=63&category=edge_vulnerable")
    assert a["id"] in found and b["id"] not in found and c["id"] not in found
    page = await client.get("/v1/households?region=63&limit=1&offset=1", headers=admin_headers)
    assert page.json()["total"] >= 2 and len(page.json()["items"]) == 1
    bad = await client.get("/v1/households?region=abc", headers=admin_headers)
    assert bad.status_code == 400
    bad = await client.get("/v1/households?limit=0", headers=admin_headers)
    assert bad.status_code == 400


async def test_caseworker_sees_only_their_regions(
    client: AsyncTestClient[Litestar],
    admin_headers: dict[str, str],
    new_household: HouseholdMaker,
    make_key: Any,
) -> None:
    mine = await new_household("650102")
    theirs = await new_household("120101")
    caseworker = bearer(await make_key("caseworker", regions=["6501"]))

    assert (await client.get(f"/v1/households/{mine['id']}", headers=caseworker)).status_code == 200
    cases: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", f"/v1/households/{theirs['id']}", {}),
        ("PATCH", f"/v1/households/{theirs['id']}", {"json": {"size": 2}}),
        ("DELETE", f"/v1/households/{theirs['id']}", {}),
        ("GET", f"/v1/households/{theirs['id']}/members", {}),
        ("POST", f"/v1/households/{theirs['id']}/members", {"json": {"age": 30}}),
    ]
    for method, url, kwargs in cases:
        response = await client.request(method, url, headers=caseworker, **kwargs)
        assert response.status_code == 404, (method, url, response.text)

    listed = await client.get("/v1/households?limit=500", headers=caseworker)
    assert {h["region_code"][:4] for h in listed.json()["items"]} == {"6501"}

    outside = await client.post(
        "/v1/households", json={"region_code": "120101", "category": "ordinary"}, headers=caseworker
    )
    assert_problem(outside, 403, "$.region_code")
    move = await client.patch(
        f"/v1/households/{mine['id']}", json={"region_code": "120101"}, headers=caseworker
    )
    assert_problem(move, 403, "$.region_code")
    # The admin still sees both.
    assert (
        await client.get(f"/v1/households/{theirs['id']}", headers=admin_headers)
    ).status_code == 200


async def test_households_need_a_key(client: AsyncTestClient[Litestar]) -> None:
    assert (await client.get("/v1/households")).status_code == 401
    assert (await client.post("/v1/households", json={})).status_code == 401


async def test_member_crud_keeps_the_id_number_only_hashed_and_masked(
    client: AsyncTestClient[Litestar],
    admin_headers: dict[str, str],
    new_household: HouseholdMaker,
    db_engine: AsyncEngine,
) -> None:
    household = await new_household("510104")
    number = id_number("510104", "19900704")
    created = await client.post(
        f"/v1/households/{household['id']}/members",
        json={"name": "李四", "id_number": number, "labor_capacity": "full"},
        headers=admin_headers,
    )
    assert created.status_code == 201, created.text
    member = created.json()
    # The core's mask (issue 11: first four only; the last four beside the birth date rebuilt it).
    assert member["id_number_masked"] == number[:4] + "*" * 14
    assert member["birth_date"] == "1990-07-04"
    assert "id_number" not in member
    assert number not in created.text

    async with db_engine.connect() as connection:
        for table in ("members", "audit_events", "assessments", "households"):
            rows = (await connection.execute(sa.text(f"SELECT * FROM {table}"))).all()
            assert number not in repr(rows), table

    mid = member["id"]
    listed = await client.get(f"/v1/households/{household['id']}/members", headers=admin_headers)
    assert [m["id"] for m in listed.json()["items"]] == [mid]
    read = await client.get(f"/v1/members/{mid}", headers=admin_headers)
    assert read.json() == member

    patched = await client.patch(
        f"/v1/members/{mid}",
        json={"employment": {"status": "employed", "months_continuous": 4}, "name": None},
        headers=admin_headers,
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["employment"] == {"status": "employed", "months_continuous": 4}
    assert patched.json()["name"] is None
    assert patched.json()["id_number_masked"] == member["id_number_masked"]

    same_birth = await client.patch(
        f"/v1/members/{mid}", json={"birth_date": "1990-07-04"}, headers=admin_headers
    )
    assert same_birth.status_code == 200
    other_birth = await client.patch(
        f"/v1/members/{mid}", json={"birth_date": "1990-07-05"}, headers=admin_headers
    )
    assert_problem(other_birth, 400, "$.birth_date")

    renumbered = await client.patch(
        f"/v1/members/{mid}",
        json={"id_number": id_number("510104", "19911212")},
        headers=admin_headers,
    )
    assert renumbered.json()["birth_date"] == "1991-12-12"

    assert (await client.delete(f"/v1/members/{mid}", headers=admin_headers)).status_code == 204
    assert (await client.get(f"/v1/members/{mid}", headers=admin_headers)).status_code == 404


async def test_member_id_number_is_validated(
    client: AsyncTestClient[Litestar], admin_headers: dict[str, str], new_household: HouseholdMaker
) -> None:
    household = await new_household()
    url = f"/v1/households/{household['id']}/members"
    good = id_number()
    wrong_digit = good[:-1] + ("1" if good[-1] == "0" else "0")
    for bad in ("123", "51012119800115001", wrong_digit, "510121198002300011"):
        response = await client.post(url, json={"id_number": bad}, headers=admin_headers)
        body = assert_problem(response, 400, "$.id_number")
        assert bad not in str(body)
    mismatch = await client.post(
        url,
        json={"id_number": id_number(birth="19800115"), "birth_date": "1981-01-15"},
        headers=admin_headers,
    )
    assert_problem(mismatch, 400, "$.birth_date")
    member = (await client.post(url, json={"age": 30}, headers=admin_headers)).json()
    bad_patch = await client.patch(
        f"/v1/members/{member['id']}", json={"id_number": "x"}, headers=admin_headers
    )
    assert_problem(bad_patch, 400, "$.id_number")


async def test_deleting_a_household_removes_its_members(
    client: AsyncTestClient[Litestar], admin_headers: dict[str, str], new_household: HouseholdMaker
) -> None:
    household = await new_household()
    member = (
        await client.post(
            f"/v1/households/{household['id']}/members", json={"age": 50}, headers=admin_headers
        )
    ).json()
    await client.delete(f"/v1/households/{household['id']}", headers=admin_headers)
    assert (
        await client.get(f"/v1/members/{member['id']}", headers=admin_headers)
    ).status_code == 404


async def test_members_are_found_by_id_number_within_the_callers_regions(
    client: AsyncTestClient[Litestar],
    admin_headers: dict[str, str],
    new_household: HouseholdMaker,
    make_key: Any,
) -> None:
    number = id_number("220102", "19700101")
    here = await new_household("220102")
    there = await new_household("150102")
    ids = []
    for household in (here, there):
        response = await client.post(
            f"/v1/households/{household['id']}/members",
            json={"id_number": number.lower()},
            headers=admin_headers,
        )
        ids.append(response.json()["id"])

    found = await client.post(
        "/v1/members/search", json={"id_number": number}, headers=admin_headers
    )
    assert found.status_code == 200, found.text
    assert {m["id"] for m in found.json()["items"]} == set(ids)

    caseworker = bearer(await make_key("caseworker", regions=["2201"]))
    scoped = await client.post("/v1/members/search", json={"id_number": number}, headers=caseworker)
    assert [m["id"] for m in scoped.json()["items"]] == [ids[0]]

    nobody = await client.post(
        "/v1/members/search", json={"id_number": id_number("590102")}, headers=admin_headers
    )
    assert nobody.json()["items"] == []
    bad = await client.post("/v1/members/search", json={"id_number": "1"}, headers=admin_headers)
    assert_problem(bad, 400, "$.id_number")
    audit = await client.get(f"/v1/audit?record_id={ids[0]}", headers=admin_headers)
    assert "search" in [e["action"] for e in audit.json()["items"]]


async def test_id_numbers_never_reach_the_logs(
    client: AsyncTestClient[Litestar],
    admin_headers: dict[str, str],
    new_household: HouseholdMaker,
    caplog: pytest.LogCaptureFixture,
) -> None:
    household = await new_household()
    good = id_number("510121", "19881111")
    bad = good[:-1] + ("1" if good[-1] == "0" else "0")
    with caplog.at_level(logging.DEBUG):
        for number in (good, bad):
            await client.post(
                f"/v1/households/{household['id']}/members",
                json={"id_number": number},
                headers=admin_headers,
            )
            await client.post(
                "/v1/members/search", json={"id_number": number}, headers=admin_headers
            )
            await client.post(
                "/v1/checks", json={"person": {"id_number": number}}, headers=admin_headers
            )
    assert caplog.records  # the app and client did log these requests
    for number in (good, bad):
        assert number not in caplog.text


async def test_household_status_as_facts_or_category(
    client: AsyncTestClient[Litestar], admin_headers: dict[str, str]
) -> None:
    """The status facts of 2026 (#9) are accepted, stored and filtered like the category they
    amount to; a category contradicting a fact sent with it, or a PATCH leaving a status that
    contradicts itself, is a 400 naming the field (never a silent pick)."""
    by_facts = await client.post(
        "/v1/households",
        json={
            "region_code": "540102",
            "poverty_alleviated": False,
            "monitored": True,
            "monitoring_type": "edge_vulnerable",
            "risk_eliminated": False,
        },
        headers=admin_headers,
    )
    assert by_facts.status_code == 201, by_facts.text
    created = by_facts.json()
    assert created["category"] == "edge_vulnerable"
    by_category = await client.post(
        "/v1/households",
        json={"region_code": "540103", "category": "unstable_alleviated", "risk_eliminated": True},
        headers=admin_headers,
    )
    body = by_category.json()
    # A 脱贫不稳定户 whose risk is eliminated is still a 脱贫户.
    assert (body["poverty_alleviated"], body["monitored"], body["monitoring_type"]) == (
        True,
        True,
        "unstable_alleviated",
    )
    listed = await client.get(
        "/v1/households?region=5401&category=edge_vulnerable", headers=admin_headers
    )
    assert [h["id"] for h in listed.json()["items"]] == [created["id"]]

    conflict = await client.post(
        "/v1/households",
        json={"region_code": "540104", "category": "poverty_alleviated", "monitored": True},
        headers=admin_headers,
    )
    assert_problem(conflict, 400, "$.monitored")
    unstated = await client.post(
        "/v1/households", json={"region_code": "540104", "monitored": True}, headers=admin_headers
    )
    assert_problem(unstated, 400, "$.category")

    # The stored monitoring type says "monitored": un-monitoring alone contradicts it ...
    patched = await client.patch(
        f"/v1/households/{created['id']}", json={"monitored": False}, headers=admin_headers
    )
    assert_problem(patched, 400, "$.monitored")
    # ... a category replaces the whole status.
    replaced = await client.patch(
        f"/v1/households/{created['id']}", json={"category": "ordinary"}, headers=admin_headers
    )
    assert replaced.status_code == 200, replaced.text
    assert (replaced.json()["monitored"], replaced.json()["monitoring_type"]) == (False, None)
    assert replaced.json()["category"] == "ordinary"


async def test_a_sweep_of_id_number_searches_is_limited_and_every_search_audited(
    client: AsyncTestClient[Litestar],
    admin_headers: dict[str, str],
    new_household: HouseholdMaker,
    db_sessions: async_sessionmaker[AsyncSession],
    runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Review of #11, R1: the masked number (`2202**************`), the birth date and the
    household's region leave 1,000 candidates; the search confirmed each one for free, and only
    a hit was audited.  Now a key gets MEMBER_SEARCH_PER_MINUTE (30 by default) searches a
    minute, then 429 with Retry-After, and every attempt leaves a `search` event with its
    outcome (never the number).

    The sweep runs on the app's clock, 10 ms a search from 10:00:59.8, so it straddles a
    minute boundary every time (a fixed window let searches 31 onwards through after 10:01)."""
    async with db_sessions() as session:
        key, clear = await create_key(session, role="caseworker", regions=["2202"])
    caseworker = bearer(clear)
    household = await new_household("220211")
    first17 = "22021119890512" + "201"
    real = first17 + check_character(first17)
    added = await client.post(
        f"/v1/households/{household['id']}/members",
        json={"id_number": real},
        headers=admin_headers,
    )
    assert added.status_code == 201, added.text
    member_id = added.json()["id"]

    answers = []
    steps = itertools.count()
    start = dt.datetime(2026, 12, 1, 10, 0, 59, 800_000, tzinfo=dt.UTC)
    with monkeypatch.context() as patched:  # only this key's sweep runs on the chosen clock
        patched.setattr(
            runtime, "clock", lambda: start + next(steps) * dt.timedelta(milliseconds=10)
        )
        for seq in range(100):
            candidate = f"22021119890512{seq:03d}"
            answers.append(
                await client.post(
                    "/v1/members/search",
                    json={"id_number": candidate + check_character(candidate)},
                    headers=caseworker,
                )
            )
    statuses = [a.status_code for a in answers]
    assert statuses[:30] == [200] * 30  # the default allowance, a normal search still works
    assert set(statuses[30:]) == {429}  # the sweep is stopped before it reaches seq 201
    refused = answers[30]
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.json()["status"] == 429

    audit = await client.get(
        f"/v1/audit?key_id={key.id}&action=search&limit=1000", headers=admin_headers
    )
    events = audit.json()["items"]
    assert len(events) == 100  # every attempt, misses and refusals included
    assert {e["outcome"] for e in events} == {"not_found", "refused"}
    assert sum(e["outcome"] == "refused" for e in events) == 70
    assert real not in audit.text and real[:17] not in audit.text

    # Another key is not held back by this one's sweep, and a hit is audited as found.
    found = await client.post("/v1/members/search", json={"id_number": real}, headers=admin_headers)
    assert found.status_code == 200, found.text
    assert [m["id"] for m in found.json()["items"]] == [member_id]
    hit = await client.get(f"/v1/audit?record_id={member_id}&action=search", headers=admin_headers)
    assert [e["outcome"] for e in hit.json()["items"]] == ["found"]


async def test_the_search_allowance_is_shared_by_workers_and_refills_smoothly(
    database_url: str, db_sessions: async_sessionmaker[AsyncSession]
) -> None:
    """The count lives in the database: two engines (two server workers) draw on one allowance;
    it comes back one use per 60 s / allowance, not all at once at the next minute."""
    other_engine = create_engine(database_url)
    other_sessions = session_factory(other_engine)
    key = f"k-{uuid.uuid4().hex[:20]}"
    start = dt.datetime(2026, 12, 1, 10, 0, 50, tzinfo=dt.UTC)
    try:
        answers = []
        for sessions in (db_sessions, other_sessions, db_sessions):
            async with sessions() as session:
                answers.append(await rate_limits.take(session, key, "member_search", 2, start))
                await session.commit()
        assert answers == [None, None, 30]  # 2 a minute: one comes back each 30 s
        async with other_sessions() as session:
            at_the_minute = start + dt.timedelta(seconds=10)  # a fixed window renewed here
            assert await rate_limits.take(session, key, "member_search", 2, at_the_minute) == 30
            await session.commit()
        async with db_sessions() as session:
            later = at_the_minute + dt.timedelta(seconds=30)
            assert await rate_limits.take(session, key, "member_search", 2, later) is None
            await session.commit()
    finally:
        await other_engine.dispose()


def test_member_search_per_minute_is_configurable() -> None:
    assert Settings.from_env({}).member_search_per_minute == 30
    assert Settings.from_env({"MEMBER_SEARCH_PER_MINUTE": "5"}).member_search_per_minute == 5
    for bad in ("0", "-1", "many"):
        with pytest.raises(ValueError, match="MEMBER_SEARCH_PER_MINUTE"):
            Settings.from_env({"MEMBER_SEARCH_PER_MINUTE": bad})


async def test_member_doors_refuse_an_age_the_birth_date_contradicts_and_a_retired_work_code(
    client: AsyncTestClient[Litestar], admin_headers: dict[str, str], new_household: HouseholdMaker
) -> None:
    """Fresh input is refused at the door, as `POST /v1/checks` and the household door do: an
    age 30 beside a 1980 birth date, and a work place 330104 (杭州江干区, merged in 2021, GB/T
    2260).  A stored record from before these checks is decided on the rest instead
    (`eligibility.stored`); editing an unrelated field of it is not refused."""
    household = await new_household()
    url = f"/v1/households/{household['id']}/members"
    stale = {"birth_date": "1980-01-15", "age": 30}
    assert_problem(await client.post(url, json=stale, headers=admin_headers), 400, "$.age")
    by_number = {"id_number": id_number(birth="19800115"), "age": 30}
    assert_problem(await client.post(url, json=by_number, headers=admin_headers), 400, "$.age")
    retired = {"employment": {"status": "employed", "work_region_code": "330104"}}
    assert_problem(
        await client.post(url, json=retired, headers=admin_headers),
        400,
        "$.employment.work_region_code",
    )
    member = (
        await client.post(url, json={"birth_date": "1980-01-15"}, headers=admin_headers)
    ).json()
    patch_url = f"/v1/members/{member['id']}"
    assert_problem(
        await client.patch(patch_url, json={"age": 30}, headers=admin_headers), 400, "$.age"
    )
    assert_problem(
        await client.patch(patch_url, json=retired, headers=admin_headers),
        400,
        "$.employment.work_region_code",
    )
    renamed = await client.patch(patch_url, json={"name": "李四"}, headers=admin_headers)
    assert renamed.status_code == 200, renamed.text
    stored = (await client.get(patch_url, headers=admin_headers)).json()
    assert stored.get("age") is None and stored.get("employment") is None
