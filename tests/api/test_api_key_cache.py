"""The API-key cache (`api.security.PrincipalCache`): a key is looked up in the database once
per `API_KEY_CACHE_SECONDS`, and a revocation counts once the entry is that old, never later."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlmodel import select

import api.dependencies
from api.runtime import Runtime
from api.security import Principal, PrincipalCache, authenticate, hash_key, revoke_key
from api.settings import Settings
from db.models import ApiKey
from tests.api.test_api_checks import APPLICANT

CASEWORKER = Principal(key_id="key_1", role="caseworker", regions=("51",))


class Clock:
    """A clock the test moves by hand (no waiting, no wall-clock time)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_an_entry_lasts_ttl_from_its_lookup_and_use_does_not_renew_it() -> None:
    clock = Clock()
    cache = PrincipalCache(ttl=10, clock=clock)
    cache.put("h", CASEWORKER)
    clock.now += 9.9
    assert cache.get("h") == CASEWORKER  # used just before expiry ...
    clock.now += 0.1
    assert cache.get("h") is None  # ... and gone at ttl all the same


def test_ttl_zero_keeps_nothing() -> None:
    cache = PrincipalCache(ttl=0, clock=Clock())
    cache.put("h", CASEWORKER)
    assert cache.get("h") is None


def test_the_oldest_entry_goes_first_when_full() -> None:
    cache = PrincipalCache(ttl=10, size=2, clock=Clock())
    for key_hash in ("a", "b", "c"):
        cache.put(key_hash, CASEWORKER)
    assert [cache.get(h) for h in ("a", "b", "c")] == [None, CASEWORKER, CASEWORKER]


def test_the_setting_defaults_to_ten_seconds_and_takes_zero_but_not_less() -> None:
    assert Settings.from_env({}).api_key_cache_seconds == 10.0
    assert Settings.from_env({"API_KEY_CACHE_SECONDS": "0"}).api_key_cache_seconds == 0.0
    for bad in ("-1", "soon", "inf", "nan"):
        with pytest.raises(ValueError, match="API_KEY_CACHE_SECONDS"):
            Settings.from_env({"API_KEY_CACHE_SECONDS": bad})


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """The Authorization header of each database lookup of a key the server makes."""
    seen: list[str | None] = []
    # `authenticate` is the one `api.dependencies` imports from `api.security` and calls.

    async def counted(session: Any, authorization: str | None) -> Principal:
        seen.append(authorization)
        return await authenticate(session, authorization)

    monkeypatch.setattr(api.dependencies, "authenticate", counted)
    return seen


async def _revoke(db_sessions: Any, key: str) -> None:
    async with db_sessions() as session:
        found = await session.exec(select(ApiKey).where(ApiKey.key_hash == hash_key(key)))
        assert await revoke_key(session, found.one().id)


async def test_a_busy_key_is_looked_up_once_per_ttl(
    client: AsyncTestClient[Litestar],
    make_key: Any,
    runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
    lookups: list[str | None],
) -> None:
    clock = Clock()
    monkeypatch.setattr(runtime, "keys", PrincipalCache(ttl=10, clock=clock))
    headers = {"Authorization": f"Bearer {await make_key('caseworker', regions=['51'])}"}
    for _ in range(3):
        response = await client.post("/v1/checks", json=APPLICANT, headers=headers)
        assert response.status_code == 200, response.text
    assert len(lookups) == 1
    clock.now += 10
    assert (await client.post("/v1/checks", json=APPLICANT, headers=headers)).status_code == 200
    assert len(lookups) == 2


async def test_a_revoked_key_is_refused_once_its_entry_is_ttl_old(
    client: AsyncTestClient[Litestar],
    make_key: Any,
    db_sessions: Any,
    runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = Clock()
    monkeypatch.setattr(runtime, "keys", PrincipalCache(ttl=10, clock=clock))
    key = await make_key("caseworker", regions=["51"])
    headers = {"Authorization": f"Bearer {key}"}
    assert (await client.post("/v1/checks", json=APPLICANT, headers=headers)).status_code == 200
    await _revoke(db_sessions, key)
    # The documented bound (README, API_KEY_CACHE_SECONDS): a revocation made by another
    # process counts in a running server once its lookup is ttl old ...
    clock.now += 9
    assert (await client.post("/v1/checks", json=APPLICANT, headers=headers)).status_code == 200
    # ... and from then on, for every keyed route.
    clock.now += 1
    for response in (
        await client.post("/v1/checks", json=APPLICANT, headers=headers),
        await client.get("/v1/households", headers=headers),
    ):
        assert response.status_code == 401, response.text
        assert response.headers["www-authenticate"].startswith("Bearer")


async def test_without_the_cache_a_revocation_counts_at_once(
    client: AsyncTestClient[Litestar],
    make_key: Any,
    db_sessions: Any,
    runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(runtime, "keys", PrincipalCache(ttl=0))
    key = await make_key("caseworker", regions=["51"])
    headers = {"Authorization": f"Bearer {key}"}
    assert (await client.post("/v1/checks", json=APPLICANT, headers=headers)).status_code == 200
    await _revoke(db_sessions, key)
    assert (await client.post("/v1/checks", json=APPLICANT, headers=headers)).status_code == 401


async def test_an_invalid_key_is_never_kept(
    client: AsyncTestClient[Litestar], lookups: list[str | None]
) -> None:
    headers = {"Authorization": "Bearer rse_not-a-key"}
    for _ in range(2):
        response = await client.post("/v1/checks", json=APPLICANT, headers=headers)
        assert response.status_code == 401
    assert lookups == ["Bearer rse_not-a-key"] * 2


async def test_no_key_is_refused_on_every_keyed_route_before_any_lookup(
    client: AsyncTestClient[Litestar], lookups: list[str | None]
) -> None:
    for headers in ({}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer "}):
        for method, path in (
            ("POST", "/v1/checks"),
            ("OPTIONS", "/v1/checks"),
            ("GET", "/v1/audit"),
            ("OPTIONS", "/v1/households/hh_1"),
        ):
            response = await client.request(method, path, json=APPLICANT, headers=headers)
            assert response.status_code == 401, (method, path, headers)
            assert response.headers["content-type"].startswith("application/problem+json")
            assert response.headers["www-authenticate"] == 'Bearer realm="eligibility"'
    assert lookups == []
