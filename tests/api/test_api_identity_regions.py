"""ID numbers, region codes and birth dates at the caseworkers' door (issue 11, findings 2, 3,
7 and 8): what a member read shows cannot rebuild the number, full-width input is the same
person, region codes are ASCII 2/4/6 digits, and impossible birth dates are refused."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.security import check_regions
from api.settings import get_settings
from cli.main import main
from eligibility.identity import check_character, mask_identity_number
from eligibility.places import gazetteer
from tests.api.conftest import HouseholdMaker, id_number
from tests.api.test_api_checks import APPLICANT, assert_problem
from tests.api.test_exports import upload
from tests.eligibility.identity_views import MIN_CANDIDATES, candidates

FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def number_ending_in_x(region: str, birth: str) -> str:
    """A valid number whose check character is X (so its full-width form has a wide Ｘ)."""
    for serial in range(1000):
        first17 = f"{region}{birth}{serial:03d}"
        if check_character(first17) == "X":
            return first17 + "X"
    raise AssertionError("no serial gives X")  # pragma: no cover  (1 in 11 do)


async def add_member(
    client: AsyncTestClient[Litestar], headers: dict[str, str], household_id: str, **body: Any
) -> Any:
    return await client.post(f"/v1/households/{household_id}/members", json=body, headers=headers)


# --- finding 2: the masked form and the birth date beside it ---------------------------------


async def test_a_member_read_leaves_at_least_1000_numbers(
    client: AsyncTestClient[Litestar], admin_headers: dict[str, str], new_household: HouseholdMaker
) -> None:
    draw = random.Random(11)
    # Counties that exist (a household's region must be one): 内蒙古's, which no other test uses.
    counties = sorted(c for c in gazetteer().by_code if len(c) == 6 and c.startswith("15"))
    for _ in range(6):
        region = draw.choice(counties)
        born = dt.date(1900, 1, 1) + dt.timedelta(days=draw.randrange(45_000))
        serial = f"{draw.randrange(1000):03d}"
        number = f"{region}{born:%Y%m%d}{serial}"
        number += check_character(number)
        household = await new_household(region)
        created = await add_member(client, admin_headers, household["id"], id_number=number)
        assert created.status_code == 201, created.text
        read = (
            await client.get(f"/v1/members/{created.json()['id']}", headers=admin_headers)
        ).json()
        # Everything the caller sees of this person: the mask, the birth date, the household.
        assert read["id_number_masked"] == mask_identity_number(number)
        left = candidates(
            read["id_number_masked"],
            region_code=household["region_code"],
            birth_date=dt.date.fromisoformat(read["birth_date"]),
        )
        assert left >= MIN_CANDIDATES, (number, read["id_number_masked"])


# Masks stored before the change ("1408**********2014") are re-masked by migration 0005:
# tests/db/test_normalise_stored_codes_migration.py.


# --- finding 3: full-width ID numbers ---------------------------------------------------------


async def test_a_full_width_number_is_the_same_person(
    client: AsyncTestClient[Litestar], admin_headers: dict[str, str], new_household: HouseholdMaker
) -> None:
    number = number_ending_in_x("150121", "19890512")
    wide = number.translate(FULL_WIDTH)
    household = await new_household("150121")
    created = await add_member(client, admin_headers, household["id"], id_number=wide)
    assert created.status_code == 201, created.text
    assert created.json()["id_number_masked"] == mask_identity_number(number)
    assert created.json()["birth_date"] == "1989-05-12"
    for typed in (number, wide, f" {wide.lower()} "):
        found = await client.post(
            "/v1/members/search", json={"id_number": typed}, headers=admin_headers
        )
        assert found.status_code == 200, found.text
        assert [m["id"] for m in found.json()["items"]] == [created.json()["id"]], typed

    # Changed to another full-width number, the search by its ASCII form finds it too.
    other = id_number("150121", "19890512")
    patched = await client.patch(
        f"/v1/members/{created.json()['id']}",
        json={"id_number": other.translate(FULL_WIDTH)},
        headers=admin_headers,
    )
    assert patched.status_code == 200, patched.text
    found = await client.post(
        "/v1/members/search", json={"id_number": other}, headers=admin_headers
    )
    assert [m["id"] for m in found.json()["items"]] == [created.json()["id"]]


async def test_a_check_with_a_full_width_number_is_decided_as_the_ascii_one(
    client: AsyncTestClient[Litestar], admin_headers: dict[str, str]
) -> None:
    number = number_ending_in_x("510121", "19800115")
    answers = []
    for typed in (number, number.translate(FULL_WIDTH)):
        body = {**APPLICANT, "person": {"id_number": typed, "full_civil_capacity": True}}
        response = await client.post("/v1/checks", json=body, headers=admin_headers)
        assert response.status_code == 200, response.text
        answers.append(response.json())
    assert answers[0] == answers[1]


async def test_id_numbers_in_other_scripts_digits_are_refused(
    client: AsyncTestClient[Litestar], admin_headers: dict[str, str], new_household: HouseholdMaker
) -> None:
    arabic = id_number("150122").translate(ARABIC_INDIC)
    household = await new_household("150122")
    created = await add_member(client, admin_headers, household["id"], id_number=arabic)
    assert_problem(created, 400, "$.id_number")
    found = await client.post(
        "/v1/members/search", json={"id_number": arabic}, headers=admin_headers
    )
    assert_problem(found, 400, "$.id_number")


# --- finding 7: region codes ------------------------------------------------------------------

NOT_CODES = ["581205\n", "５８１２０５", "٥٨١٢٠٥", " 581205"]


@pytest.mark.parametrize("code", NOT_CODES)
async def test_households_take_ascii_region_codes_only(
    client: AsyncTestClient[Litestar], admin_headers: dict[str, str], code: str
) -> None:
    body = {"region_code": code, "category": "ordinary"}
    created = await client.post("/v1/households", json=body, headers=admin_headers)
    assert_problem(created, 400, "$.region_code")


@pytest.mark.parametrize("code", NOT_CODES)
async def test_checks_take_ascii_region_codes_only(
    client: AsyncTestClient[Litestar], admin_headers: dict[str, str], code: str
) -> None:
    home = await client.post(
        "/v1/checks", json={**APPLICANT, "region_code": code}, headers=admin_headers
    )
    assert_problem(home, 400, "$.region_code")
    work = {**APPLICANT, "person": {"employment": {"work_region_code": code}}}
    away = await client.post("/v1/checks", json=work, headers=admin_headers)
    assert_problem(away, 400, "$.person.employment.work_region_code")


@pytest.mark.parametrize("code", ["581205%0A", "%EF%BC%95%EF%BC%98", "581"])
async def test_region_queries_take_ascii_codes_only(
    client: AsyncTestClient[Litestar], admin_headers: dict[str, str], code: str
) -> None:
    listed = await client.get(f"/v1/households?region={code}", headers=admin_headers)
    assert_problem(listed, 400, "query.region")
    programmes = await client.get(f"/v1/programmes?region={code}")
    assert_problem(programmes, 400, "query.region")


async def test_an_export_region_default_is_normalised_or_refused(
    client: AsyncTestClient[Litestar], admin_headers: dict[str, str]
) -> None:
    refused = await upload(client, admin_headers, region_default="٥١٠١٢١")
    assert_problem(refused, 400, "$.region_default")
    accepted = await upload(client, admin_headers, region_default="５１０１２１ ")
    assert accepted.status_code == 202, accepted.text


def test_key_regions_are_normalised_or_refused() -> None:
    # `eligibility keys create --region` goes through this check.
    assert check_regions(["１４０８２１", "1408\n", "140821"]) == ("140821", "1408")
    with pytest.raises(ValueError, match="2, 4 or 6 digit"):
        check_regions(["١٤٠٨"])


def test_keys_create_stores_typed_regions_in_ascii(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/keys.db")
    get_settings.cache_clear()
    try:
        assert main(["db", "upgrade"]) == 0
        made = main(["keys", "create", "--role", "caseworker", "--region", "１４０８２１"])
        assert made == 0
        assert "(140821)" in capsys.readouterr().out
        assert main(["keys", "create", "--role", "caseworker", "--region", "١٤٠٨"]) == 2
        assert "2, 4 or 6 digit" in capsys.readouterr().err
        assert main(["keys", "list"]) == 0
        assert "caseworker\t140821\t" in capsys.readouterr().out
    finally:
        get_settings.cache_clear()


# --- finding 8: impossible birth dates --------------------------------------------------------


@pytest.mark.parametrize(
    ("person", "path", "message"),
    [
        ({"birth_date": "2030-01-01"}, "$.person.birth_date", "is after as_of (2024-03-01)"),
        ({"birth_date": "1899-12-31"}, "$.person.birth_date", "is before 1900-01-01"),
        (
            {"id_number": id_number("510121", "20240302")},
            "$.person.id_number",
            "its birth date is after as_of (2024-03-01)",
        ),
    ],
)
async def test_checks_refuse_impossible_birth_dates(
    client: AsyncTestClient[Litestar],
    admin_headers: dict[str, str],
    person: dict[str, str],
    path: str,
    message: str,
) -> None:
    body = {**APPLICANT, "person": person}
    response = await client.post("/v1/checks", json=body, headers=admin_headers)
    problem = assert_problem(response, 400, path)
    assert message in [e["message"] for e in problem["errors"]]
    batch = await client.post(
        "/v1/checks/batch", json={"applicants": [body, APPLICANT]}, headers=admin_headers
    )
    assert batch.status_code == 200, batch.text
    first, second = batch.json()["results"]
    assert not first["ok"] and first["errors"][0]["path"] == "$.applicants[0]" + path[1:]
    assert second["ok"]


async def test_a_check_without_as_of_compares_with_the_query_date(
    client: AsyncTestClient[Litestar], admin_headers: dict[str, str]
) -> None:
    body = {"region_code": "510121", "person": {"birth_date": "2023-05-01"}}
    late = await client.post("/v1/checks?as_of=2022-01-01", json=body, headers=admin_headers)
    problem = assert_problem(late, 400, "$.person.birth_date")
    assert problem["errors"][0]["message"] == "is after as_of (2022-01-01)"
    fine = await client.post("/v1/checks?as_of=2024-01-01", json=body, headers=admin_headers)
    assert fine.status_code == 200, fine.text


async def test_members_refuse_impossible_birth_dates(
    client: AsyncTestClient[Litestar], admin_headers: dict[str, str], new_household: HouseholdMaker
) -> None:
    household = await new_household("150123")
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    for body, path in [
        ({"birth_date": tomorrow.isoformat()}, "$.birth_date"),
        ({"birth_date": "1899-12-31"}, "$.birth_date"),
        ({"id_number": id_number("150123", tomorrow.strftime("%Y%m%d"))}, "$.id_number"),
    ]:
        created = await add_member(client, admin_headers, household["id"], **body)
        assert_problem(created, 400, path)
    member = await add_member(client, admin_headers, household["id"], birth_date="1990-01-01")
    assert member.status_code == 201, member.text
    patched = await client.patch(
        f"/v1/members/{member.json()['id']}",
        json={"birth_date": tomorrow.isoformat()},
        headers=admin_headers,
    )
    assert_problem(patched, 400, "$.birth_date")


async def test_an_assessment_dated_before_the_members_birth_is_refused(
    client: AsyncTestClient[Litestar], admin_headers: dict[str, str], new_household: HouseholdMaker
) -> None:
    household = await new_household("150124")
    member = await add_member(client, admin_headers, household["id"], birth_date="2022-06-01")
    assert member.status_code == 201, member.text
    body = {"member_id": member.json()["id"], "as_of": "2022-05-31"}
    response = await client.post("/v1/assessments", json=body, headers=admin_headers)
    assert_problem(response, 400, "$.as_of")
