"""`GET /v1/households/{id}/plan` and `/plan.ics`: a registered household's plan (issue 13
part 2), region-scoped and audited like the other household routes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import icalendar
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.api.conftest import HouseholdMaker, bearer
from tests.api.test_api_checks import assert_problem

LINYI = "140821"  # 临猗县
AS_OF = "2024-09-01"
WORKER: dict[str, Any] = {
    "name": "张建国",
    "age": 40,
    "full_civil_capacity": True,
    "serious_bad_credit": False,
    "employment": {
        "status": "employed",
        "work_region_code": "330106",
        "months_continuous": 4,
        "transport_subsidy_claimed_this_year": False,
    },
}
STUDENT = {
    "name": "张小明",
    "age": 17,
    "education": {
        "level": "secondary_vocational",
        "full_time": True,
        "registered": True,
        "suspended": False,
    },
}
LOAN = {"wanted": True, "amount": 30000, "term_months": 36, "purpose": "production"}


async def _family(
    client: AsyncTestClient[Litestar],
    headers: dict[str, str],
    new_household: HouseholdMaker,
    region: str = LINYI,
) -> tuple[str, dict[str, Any], dict[str, Any]]:
    household = await new_household(region, microloan_overdue=False, microloan_outstanding=0)
    members = []
    for facts in (WORKER, STUDENT):
        response = await client.post(
            f"/v1/households/{household['id']}/members", json=facts, headers=headers
        )
        assert response.status_code == 201, response.text
        members.append(response.json())
    return household["id"], members[0], members[1]


async def test_the_plan_has_totals_one_checklist_and_dates(
    client: AsyncTestClient[Litestar], admin_headers: dict[str, str], new_household: HouseholdMaker
) -> None:
    hid, father, son = await _family(client, admin_headers, new_household)
    # The loan's term comes from the father's latest assessment, which asked for 36 months.
    assessed = await client.post(
        "/v1/assessments",
        json={"member_id": father["id"], "loan_request": LOAN, "as_of": AS_OF},
        headers=admin_headers,
    )
    assert assessed.status_code == 201, assessed.text
    # Dates no answer may be asked for (eligibility.as_of_range: the rules start 2021-01-01).
    refused = await client.post(
        "/v1/assessments",
        json={"member_id": father["id"], "as_of": "2020-12-31"},
        headers=admin_headers,
    )
    assert refused.status_code == 400 and refused.json()["errors"][0]["path"] == "$.as_of"
    for path in ("plan", "plan.ics"):
        refused = await client.get(
            f"/v1/households/{hid}/{path}?as_of=9999-01-01", headers=admin_headers
        )
        assert refused.status_code == 400 and refused.json()["errors"][0]["path"] == "query.as_of"

    response = await client.get(f"/v1/households/{hid}/plan?as_of={AS_OF}", headers=admin_headers)
    assert response.status_code == 200, response.text
    plan = response.json()
    assert plan["household_id"] == hid and plan["as_of"] == AS_OF
    assert [m["member"] for m in plan["members"]] == [father["id"], son["id"]]
    # 临猗 2024 (linyi_2024): 省外1500元; 雨露计划 (yulu_rules): 每生每学年3000元.  The loan's
    # 50,000 is lent, not given, so it is listed apart.
    assert plan["yearly_total"] == 1500 + 3000
    assert {(e["programme"], e["apart"]) for e in plan["apart"]} >= {("microloan", "loan")}
    texts = [item["text"] for item in plan["checklist"]]
    assert len(texts) == len(set(texts))
    assert set(plan["checklist"][0]["programmes"]) == {"microloan", "transport_subsidy"}
    by_id = {d["id"]: d for d in plan["dates"]}
    linyi = by_id["transport_subsidy-linyi_november-2024-11-01"]
    assert (linyi["start"], linyi["end"]) == ("2024-11-01", "2024-11-10")
    assert linyi["sources"][0]["url"] == "http://sxly.gov.cn/doc/2024/08/29/471426.shtml"
    term_end = by_id["microloan-term_end-2027-09-01"]
    assert term_end["members"] == [father["id"]]
    assert by_id["yulu_plan-spring_semester"]["start"] is None

    english = await client.get(
        f"/v1/households/{hid}/plan?as_of={AS_OF}&lang=en", headers=admin_headers
    )
    assert english.json()["yearly_total_unit"] == "yuan per year"


async def test_a_household_of_a_province_code_is_asked_for_its_county_in_the_plan(
    client: AsyncTestClient[Litestar], admin_headers: dict[str, str], new_household: HouseholdMaker
) -> None:
    # 山西 (14) only: 临猗 2024 (linyi_2024) sets no month minimum, other counties ask 3
    # months (the national default).  A worker with 2 months: the day 3 months are reached is
    # a date of the plan, said as the county's rule after asking for the county; it was
    # "依据：连续稳定务工满（按当地标准）".
    household = await new_household("14")
    worker = {
        **WORKER,
        "employment": {**WORKER["employment"], "months_continuous": 2, "organized_transfer": False},
    }
    response = await client.post(
        f"/v1/households/{household['id']}/members", json=worker, headers=admin_headers
    )
    assert response.status_code == 201, response.text
    plan = (
        await client.get(
            f"/v1/households/{household['id']}/plan?as_of={AS_OF}", headers=admin_headers
        )
    ).json()
    [timed] = [d for d in plan["dates"] if d["id"].startswith("transport_subsidy-becomes_eligible")]
    assert timed["start"] == "2024-10-01"
    assert "按当地标准" not in timed["text"]
    assert timed["text"].startswith(
        "外出务工交通补贴对连续务工月数的要求各县不一样，告诉我们您家在哪个县"
    )


async def test_the_plan_ics_parses_back_with_its_events(
    client: AsyncTestClient[Litestar], admin_headers: dict[str, str], new_household: HouseholdMaker
) -> None:
    hid, father, _ = await _family(client, admin_headers, new_household)
    await client.post(
        "/v1/assessments",
        json={"member_id": father["id"], "loan_request": LOAN, "as_of": AS_OF},
        headers=admin_headers,
    )
    response = await client.get(
        f"/v1/households/{hid}/plan.ics?as_of={AS_OF}", headers=admin_headers
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(response.content)
    events = {str(e["uid"]): e for e in calendar.walk("VEVENT")}
    november = events[
        f"{hid}-transport_subsidy-linyi_november-2024-11-01@rural-support-eligibility"
    ]
    assert november.decoded("dtstart") == dt.date(2024, 11, 1)
    assert november.decoded("dtend") == dt.date(2024, 11, 11)  # exclusive: through the 10th
    assert "外出务工一次性交通补贴政策" in str(november["description"])  # linyi_2024's title
    assert "张建国" in str(november["description"])
    loan = events[f"{hid}-microloan-term_end-2027-09-01@rural-support-eligibility"]
    assert loan.decoded("dtstart") == dt.date(2027, 9, 1)
    assert "银保监发〔2021〕6号" in str(loan["description"])
    # The semesters have no day in any source: in the JSON plan only, never a made-up event.
    assert len(events) == 2
    again = await client.get(f"/v1/households/{hid}/plan.ics?as_of={AS_OF}", headers=admin_headers)
    assert {
        str(e["uid"]) for e in icalendar.Calendar.from_ical(again.content).walk("VEVENT")
    } == set(events)


async def test_the_plan_is_region_scoped_and_audited(
    client: AsyncTestClient[Litestar],
    admin_headers: dict[str, str],
    new_household: HouseholdMaker,
    make_key: Any,
) -> None:
    mine, father, son = await _family(client, admin_headers, new_household, "140802")
    theirs, _, _ = await _family(client, admin_headers, new_household, "620823")
    caseworker = bearer(await make_key("caseworker", regions=["1408"]))

    assert (await client.get(f"/v1/households/{mine}/plan", headers=caseworker)).status_code == 200
    for url in (f"/v1/households/{theirs}/plan", f"/v1/households/{theirs}/plan.ics"):
        _not_found(await client.get(url, headers=caseworker))
    for url in ("/v1/households/not-an-id/plan", f"/v1/households/{_missing()}/plan.ics"):
        _not_found(await client.get(url, headers=caseworker))

    events = (
        await client.get(f"/v1/audit?household_id={mine}&action=plan", headers=admin_headers)
    ).json()["items"]
    assert {(e["resource"], e["record_id"]) for e in events} == {
        ("household", mine),
        ("member", father["id"]),
        ("member", son["id"]),
    }
    denied = (
        await client.get(f"/v1/audit?household_id={theirs}&action=denied", headers=admin_headers)
    ).json()["items"]
    assert len(denied) == 2


async def test_the_plan_needs_a_key_and_a_real_date(
    client: AsyncTestClient[Litestar], admin_headers: dict[str, str], new_household: HouseholdMaker
) -> None:
    hid, _, _ = await _family(client, admin_headers, new_household)
    assert (await client.get(f"/v1/households/{hid}/plan")).status_code == 401
    assert_problem(
        await client.get(f"/v1/households/{hid}/plan?as_of=2024-13-01", headers=admin_headers),
        400,
        "query.as_of",
    )


async def test_the_openapi_document_describes_both(client: AsyncTestClient[Litestar]) -> None:
    document = (await client.get("/schema/openapi.json")).json()
    plan = document["paths"]["/v1/households/{household_id}/plan"]["get"]
    assert "HouseholdPlanRead" in str(plan["responses"]["200"])
    assert "404" in plan["responses"]
    ics = document["paths"]["/v1/households/{household_id}/plan.ics"]["get"]
    assert "text/calendar" in ics["responses"]["200"]["content"]


def _not_found(response: Any) -> None:
    # The same 404 problem for a missing household and one outside the key's regions.
    assert response.status_code == 404, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["detail"] == "No such household."


def _missing() -> str:
    return "00000000-0000-4000-8000-000000000000"
