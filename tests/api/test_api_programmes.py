"""`GET /v1/programmes`: public listing of criteria, parameters and citations."""

from __future__ import annotations

from typing import get_args

from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.runtime import Runtime
from api.schemas import ProgrammeId
from eligibility.policy import load_bundled


async def test_programmes_are_public(client: AsyncTestClient[Litestar], runtime: Runtime) -> None:
    response = await client.get("/v1/programmes?region=510121&as_of=2024-03-01&lang=en")
    assert response.status_code == 200, response.text
    programmes = response.json()["programmes"]
    assert [p["id"] for p in programmes] == list(runtime.policies.current.programmes)
    for programme in programmes:
        assert programme["region_code"] == "510121"
        assert programme["as_of"] == "2024-03-01"
        assert programme["criteria"]
        assert all(c["citations"] for c in programme["criteria"])


async def test_one_programme(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/v1/programmes/microloan")
    assert response.status_code == 200
    assert response.json()["id"] == "microloan"
    missing = await client.get("/v1/programmes/lottery")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")


async def test_bad_parameters_are_named(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/v1/programmes?region=5")
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == "query.region"
    response = await client.get("/v1/programmes?as_of=yesterday")
    assert response.status_code == 400
    # A date before the rules start (2021-01-01, eligibility.as_of_range) builds no plans.
    for url in ("/v1/programmes?as_of=0001-01-01", "/v1/programmes/microloan?as_of=9999-01-01"):
        response = await client.get(url)
        assert response.status_code == 400
        assert response.json()["errors"][0]["path"] == "query.as_of"


def test_the_programme_enum_matches_the_policies() -> None:
    """`ProgrammeId` (the OpenAPI enum) lists exactly the programmes the policies define."""
    assert set(get_args(ProgrammeId)) == set(load_bundled().programmes)


async def test_listing_shows_confirmation_state_and_history(
    client: AsyncTestClient[Litestar],
) -> None:
    # #9: 崇信's table (甘人社通〔2024〕155号, "对2024年…") is in force in 2024 and ended by 2026.
    response = await client.get(
        "/v1/programmes/transport_subsidy?region=620823&as_of=2026-12-01&lang=zh"
    )
    assert response.status_code == 200, response.text
    listing = response.json()
    assert (listing["confirmed_until"], listing["confirmed"]) == ("2024-12-31", False)
    # Plain words, no office named (review9 F4/F7): the ended 2024 table is said as such.
    assert any("本地标准最晚只到2024年" in w for w in listing["warnings"])
    amount = next(p for p in listing["parameters"] if p["name"] == "amount_other_province")
    assert (amount["state"], amount["value"], amount["until"]) == ("ended", None, "2025-01-01")
    assert [h["state"] for h in amount["history"]] == ["superseded"]
