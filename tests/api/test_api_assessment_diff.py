"""`GET /v1/assessments/{id}/diff?against=`: why a member's answer changed (issue 13, part 3).

Each case is an assessment of a registered member made through the API, compared with another;
the causes are worked out by the core (`eligibility.diff`), which re-decides each side with its
own stored policy version.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlmodel import select

from api.runtime import Runtime
from db.models import Assessment, AssessmentDetermination, PolicySetRecord
from eligibility.determination import determine
from eligibility.facts import Applicant
from eligibility.policy import load_policy_set
from tests.api.conftest import HouseholdMaker, bearer
from tests.api.test_api_checks import assert_problem

TRANSPORT = ["transport_subsidy"]
LOAN = {"amount": 30000, "term_months": 36, "purpose": "production"}


def _worker(months: int, work_region_code: str) -> dict[str, Any]:
    return {
        "age": 35,
        "employment": {
            "status": "employed",
            "work_region_code": work_region_code,
            "months_continuous": months,
            "organized_transfer": False,
            "transport_subsidy_claimed_this_year": False,
        },
    }


async def _member(
    client: AsyncTestClient[Litestar], headers: dict[str, str], household_id: str, **facts: Any
) -> dict[str, Any]:
    response = await client.post(
        f"/v1/households/{household_id}/members", json=facts, headers=headers
    )
    assert response.status_code == 201, response.text
    member: dict[str, Any] = response.json()
    return member


async def _assess(
    client: AsyncTestClient[Litestar],
    headers: dict[str, str],
    member_id: str,
    as_of: str,
    programmes: list[str],
    **extra: Any,
) -> dict[str, Any]:
    response = await client.post(
        "/v1/assessments",
        json={"member_id": member_id, "as_of": as_of, "programmes": programmes, **extra},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _programme(body: dict[str, Any], programme: str) -> dict[str, Any]:
    found: dict[str, Any] = next(
        p for p in body["comparison"]["programmes"] if p["programme"] == programme
    )
    return found


def _item(programme: dict[str, Any], item: str) -> dict[str, Any]:
    found: dict[str, Any] = next(c for c in programme["changes"] if c["item"] == item)
    return found


async def test_a_fact_change_is_named_from_to(
    client: AsyncTestClient[Litestar], admin_headers: dict[str, str], new_household: HouseholdMaker
) -> None:
    """黑龙江 (23) pays 800 元 for 3 months' cross-province work (黑人社发〔2022〕18号, quoted by
    抚远 2024-04-09): the member's months fall from 3 to 1 on the same date."""
    household = await new_household("230102")
    member = await _member(client, admin_headers, household["id"], **_worker(3, "330106"))
    first = await _assess(client, admin_headers, member["id"], "2024-06-01", TRANSPORT)
    patched = await client.patch(
        f"/v1/members/{member['id']}",
        json={"employment": {**_worker(1, "330106")["employment"]}},
        headers=admin_headers,
    )
    assert patched.status_code == 200, patched.text
    second = await _assess(client, admin_headers, member["id"], "2024-06-01", TRANSPORT)

    response = await client.get(
        f"/v1/assessments/{second['id']}/diff?against={first['id']}", headers=admin_headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["same_member"] is True
    assert body["comparison"]["exact"] is True
    assert [f["fact"] for f in body["comparison"]["facts"]] == [
        "person.employment.months_continuous"
    ]
    transport = _programme(body, "transport_subsidy")
    verdict = _item(transport, "verdict")
    assert (verdict["before"], verdict["after"], verdict["cause"]) == (
        "eligible",
        "ineligible",
        "facts",
    )
    assert verdict["parameters"] == []
    assert "您填的连续务工月数从3个月改成了1个月（事实变了）" in verdict["says"]
    assert _item(transport, "amount")["before"] == 800
    assert transport["parameters"] == []

    english = await client.get(
        f"/v1/assessments/{second['id']}/diff?against={first['id']}&lang=en",
        headers=admin_headers,
    )
    assert (
        "changed from 3 months to 1 month (a fact changed)"
        in (_item(_programme(english.json(), "transport_subsidy"), "verdict")["says"])
    )


async def test_a_rule_change_names_the_parameter_its_dates_and_source(
    client: AsyncTestClient[Litestar], admin_headers: dict[str, str], new_household: HouseholdMaker
) -> None:
    """崇信 (620823)'s table was published for 2024 only (甘人社通〔2024〕155号: 省内市外 300 元,
    `until = 2025-01-01`): the same worker in 兰州, decided for 2024 and for 2025."""
    household = await new_household("620823")
    member = await _member(client, admin_headers, household["id"], **_worker(4, "620102"))
    in_2024 = await _assess(client, admin_headers, member["id"], "2024-06-01", TRANSPORT)
    in_2025 = await _assess(client, admin_headers, member["id"], "2025-06-01", TRANSPORT)

    response = await client.get(
        f"/v1/assessments/{in_2025['id']}/diff?against={in_2024['id']}", headers=admin_headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["comparison"]["facts"] == []
    transport = _programme(body, "transport_subsidy")
    amount = _item(transport, "amount")
    assert (amount["before"], amount["after"], amount["cause"]) == (300, None, "rules")
    assert "amount_other_prefecture" in amount["parameters"]
    assert {c["cause"] for c in transport["changes"]} == {"rules"}
    changed = {p["name"]: p for p in transport["parameters"]}
    prefecture = changed["amount_other_prefecture"]
    assert prefecture["before"]["value"] == 300
    assert prefecture["before"]["source"] == "chongxin_2024"
    assert prefecture["before"]["until"] == "2025-01-01"
    assert prefecture["before"]["citation"]["number"] == "甘人社通〔2024〕155号"
    assert prefecture["after"] is None
    assert "只到2024年12月31日为止" in prefecture["says"]
    assert "（规定变了，见《崇信县" in amount["says"]
    # The place of work is checked against the county's table only while it is in force.
    covered = _item(transport, "work_place_covered")
    assert (covered["before"], covered["after"], covered["cause"]) == (
        "met",
        "not_applied",
        "rules",
    )


async def test_both_causes_and_no_change(
    client: AsyncTestClient[Litestar], admin_headers: dict[str, str], new_household: HouseholdMaker
) -> None:
    """临猗 (140821) from 2024 sets no minimum months (临猗县农业农村局 2024-08-29); before, no
    table stated the months there (the county decided: met at 4, review1 F7), and 山西 (14)
    left the amount to the county (晋乡振发〔2023〕44号 sets none).  A worker of 4 months in
    2023 is down to 1 month in 2024."""
    household = await new_household("140821")
    member = await _member(client, admin_headers, household["id"], **_worker(4, "330106"))
    in_2023 = await _assess(client, admin_headers, member["id"], "2023-06-01", TRANSPORT)
    again = await _assess(client, admin_headers, member["id"], "2023-06-01", TRANSPORT)
    same = await client.get(
        f"/v1/assessments/{again['id']}/diff?against={in_2023['id']}", headers=admin_headers
    )
    assert same.status_code == 200, same.text
    unchanged = _programme(same.json(), "transport_subsidy")
    assert unchanged["changed"] is False and unchanged["changes"] == []
    assert unchanged["says"] == ["外出务工交通补贴：没有变化（「能办」）"]

    await client.patch(
        f"/v1/members/{member['id']}",
        json={"employment": {**_worker(1, "330106")["employment"]}},
        headers=admin_headers,
    )
    in_2024 = await _assess(client, admin_headers, member["id"], "2024-06-01", TRANSPORT)
    body = (
        await client.get(
            f"/v1/assessments/{in_2024['id']}/diff?against={in_2023['id']}",
            headers=admin_headers,
        )
    ).json()
    transport = _programme(body, "transport_subsidy")
    months = _item(transport, "months_set_locally")
    assert (months["before"], months["after"]) == ("met", "not_applied")
    # Each alone changes it: 1 month waits on the county under 2023's rules (facts), and in 2024
    # no rule asks for months (rules).
    assert months["cause"] == "both"
    assert "no_month_minimum" in months["parameters"]
    assert [f["fact"] for f in months["facts"]] == ["person.employment.months_continuous"]
    # A yes/no said as the statement it is (was "…从否变为是", review of 2026-12-04).
    said = "（事实变了）；2024年起临猗县：不限最少务工月数（本地规定写明）"
    assert said in months["says"]
    # The amount: 临猗's 1500 for work in another province, whatever the months.
    amount = _item(transport, "amount")
    assert (amount["before"], amount["after"], amount["cause"]) == (None, 1500, "rules")
    assert amount["facts"] == []
    assert transport["verdict_before"] == transport["verdict_after"] == "eligible"
    assert "verdict" not in [c["item"] for c in transport["changes"]]


async def test_both_sides_must_be_in_the_callers_regions(
    client: AsyncTestClient[Litestar],
    admin_headers: dict[str, str],
    new_household: HouseholdMaker,
    make_key: Any,
) -> None:
    gansu = await new_household("620823")
    shanxi = await new_household("140821")
    mine = await _member(client, admin_headers, gansu["id"], **_worker(4, "620102"))
    theirs = await _member(client, admin_headers, shanxi["id"], **_worker(4, "330106"))
    own = await _assess(client, admin_headers, mine["id"], "2024-06-01", TRANSPORT)
    other = await _assess(client, admin_headers, theirs["id"], "2024-06-01", TRANSPORT)
    caseworker = bearer(await make_key("caseworker", regions=["62"]))

    refused = await client.get(
        f"/v1/assessments/{own['id']}/diff?against={other['id']}", headers=caseworker
    )
    assert_problem(refused, 404, "query.against")
    assert other["id"] not in refused.text or "query.against" in refused.text
    refused = await client.get(
        f"/v1/assessments/{other['id']}/diff?against={own['id']}", headers=caseworker
    )
    assert_problem(refused, 404, "path.assessment_id")
    missing = await client.get(f"/v1/assessments/{own['id']}/diff", headers=caseworker)
    assert_problem(missing, 400, "query.against")
    not_an_id = await client.get(
        f"/v1/assessments/{own['id']}/diff?against=nonsense", headers=caseworker
    )
    assert_problem(not_an_id, 404, "query.against")

    # An admin may compare two people; the answer says they are not the same member.
    across = await client.get(
        f"/v1/assessments/{own['id']}/diff?against={other['id']}", headers=admin_headers
    )
    assert across.status_code == 200, across.text
    assert across.json()["same_member"] is False
    assert "region_code" in [f["fact"] for f in across.json()["comparison"]["facts"]]

    audit = await client.get("/v1/audit?action=compare", headers=admin_headers)
    assert audit.status_code == 200, audit.text
    assert {e["record_id"] for e in audit.json()["items"]} >= {own["id"], other["id"]}


async def test_each_side_is_decided_with_its_own_stored_policy_version(
    client: AsyncTestClient[Litestar],
    admin_headers: dict[str, str],
    new_household: HouseholdMaker,
    db_sessions: Any,
    runtime: Runtime,
) -> None:
    """An assessment made under an older policy set (a 39,000 元 cap) against one made today
    (50,000, 银保监发〔2021〕6号): the amount changed by the rules, between the two versions."""
    current = runtime.policies.current
    older_sources = dict(current.sources)
    older_sources["microloan.toml"] = older_sources["microloan.toml"].replace(
        b"value = 50000,", b"value = 39000,", 1
    )
    older = load_policy_set(older_sources, run_examples=False)
    household = await new_household("510121", microloan_outstanding=0, microloan_overdue=False)
    member = await _member(
        client,
        admin_headers,
        household["id"],
        age=40,
        full_civil_capacity=True,
        serious_bad_credit=False,
    )
    old = await _assess(
        client, admin_headers, member["id"], "2024-05-01", ["microloan"], loan_request=LOAN
    )
    new = await _assess(
        client, admin_headers, member["id"], "2024-05-01", ["microloan"], loan_request=LOAN
    )
    applicant = msgspec.convert(old["facts"], Applicant)
    decided = determine(applicant, older, programmes=["microloan"], lang="zh")
    async with db_sessions() as session:
        sources = {name: raw.decode() for name, raw in older_sources.items()}
        if await session.get(PolicySetRecord, older.version) is None:
            session.add(
                PolicySetRecord(
                    version=older.version, sources=msgspec.json.encode(sources).decode()
                )
            )
            await session.flush()
        row = await session.get(Assessment, old["id"])
        row.policy_version = older.version
        session.add(row)
        result = (
            await session.exec(
                select(AssessmentDetermination).where(
                    AssessmentDetermination.assessment_id == old["id"]
                )
            )
        ).one()
        result.result = msgspec.json.encode(decided[0]).decode()
        session.add(result)
        await session.commit()

    body = (
        await client.get(
            f"/v1/assessments/{new['id']}/diff?against={old['id']}", headers=admin_headers
        )
    ).json()
    comparison = body["comparison"]
    assert comparison["exact"] is True
    assert comparison["before"]["policy_version"] == older.version
    assert comparison["before"]["decided_with"] == older.version
    assert comparison["after"]["policy_version"] == current.version
    loan = _programme(body, "microloan")
    amount = _item(loan, "amount")
    assert (amount["before"], amount["after"], amount["cause"]) == (39000, 50000, "rules")
    changed = {p["name"]: p for p in loan["parameters"]}
    cap = next(p for p in changed.values() if p["before"] and p["before"]["value"] == 39000)
    assert cap["after"]["value"] == 50000
    assert cap["name"] in amount["parameters"]
