"""Inputs a client can send never cause a 5xx, on either database (the fuzzer runs on SQLite)."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.api.conftest import HouseholdMaker

ODD_IDS = ["0", "x\x00y", "%00", "ffffffff-ffff-ffff-ffff-ffffffffffff", "Ω" * 300, "' OR 1=1 --"]


@pytest.mark.parametrize("odd", ODD_IDS)
async def test_odd_ids_are_not_found(
    client: AsyncTestClient[Litestar], admin_headers: dict[str, str], odd: str
) -> None:
    for method, url in [
        ("GET", "/v1/households/{}"),
        ("DELETE", "/v1/households/{}"),
        ("GET", "/v1/households/{}/members"),
        ("GET", "/v1/members/{}"),
        ("GET", "/v1/members/{}/assessments"),
        ("GET", "/v1/assessments/{}"),
        ("POST", "/v1/assessments/{}/rederive"),
    ]:
        path = url.format(quote(odd, safe=""))
        response = await client.request(method, path, headers=admin_headers)
        assert response.status_code in (400, 404), (method, url, odd, response.text)
    body = await client.post("/v1/assessments", json={"member_id": odd}, headers=admin_headers)
    assert body.status_code in (400, 404)
    audit = await client.get("/v1/audit", params={"household_id": odd}, headers=admin_headers)
    assert audit.status_code in (200, 400)


async def test_control_characters_in_text_are_refused(
    client: AsyncTestClient[Litestar], admin_headers: dict[str, str], new_household: HouseholdMaker
) -> None:
    household = await new_household()
    response = await client.post(
        f"/v1/households/{household['id']}/members",
        json={"name": "a\x00b"},
        headers=admin_headers,
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == "$.name"


async def test_extreme_numbers_are_refused(
    client: AsyncTestClient[Litestar], admin_headers: dict[str, str]
) -> None:
    for facts in (
        {"region_code": "510121", "category": "ordinary", "size": 2**63},
        {"region_code": "510121", "category": "ordinary", "microloan_outstanding": 10**12},
        {"region_code": "510121", "category": "ordinary", "per_capita_net_income": -(10**12)},
    ):
        response = await client.post("/v1/households", json=facts, headers=admin_headers)
        assert response.status_code == 400, response.text


async def test_routing_errors_are_problems(client: AsyncTestClient[Litestar]) -> None:
    for method, url, status in [
        ("GET", "/v1/nowhere", 404),
        ("PUT", "/v1/households", 405),
        ("DELETE", "/v1/programmes", 405),
    ]:
        response = await client.request(method, url)
        assert response.status_code == status, (method, url)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["status"] == status


async def test_oversized_and_wrongly_typed_bodies_are_problems(
    client: AsyncTestClient[Litestar], admin_headers: dict[str, str]
) -> None:
    text = await client.post(
        "/v1/checks",
        content=b"region_code=51",
        headers={**admin_headers, "Content-Type": "text/plain"},
    )
    assert 400 <= text.status_code < 500
    assert text.headers["content-type"].startswith("application/problem+json")
    deep = b"[" * 5000 + b"]" * 5000
    response = await client.post(
        "/v1/checks/batch",
        content=b'{"applicants": [' + deep + b"]}",
        headers={**admin_headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == "$"
    nested_item = b'{"applicants": [' + b'{"a":' * 2000 + b"1" + b"}" * 2000 + b"]}"
    response = await client.post(
        "/v1/checks/batch",
        content=nested_item,
        headers={**admin_headers, "Content-Type": "application/json"},
    )
    assert response.status_code in (200, 400)


async def _post_then_go_away(
    app: Litestar, path: str, headers: dict[str, str], first: bytes
) -> list[dict[str, Any]]:
    """POST `first` as the start of a longer body, then disconnect; what the app sent back."""
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [*raw, (b"content-type", b"application/json"), (b"host", b"test")],
        "client": ("127.0.0.1", 50000),
        "server": ("test", 80),
        "state": {},
    }
    messages: list[dict[str, Any]] = [
        {"type": "http.request", "body": first, "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)  # type: ignore[arg-type]
    return sent


async def test_a_client_going_away_is_not_a_server_error(
    app: Litestar,
    client: AsyncTestClient[Litestar],
    admin_headers: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A client that disconnects before its body is sent is not logged as an ERROR nor
    answered 500 (was: "server error on POST /v1/checks: client disconnected prematurely")."""
    with caplog.at_level(logging.DEBUG):
        sent = client.blocking_portal.call(
            _post_then_go_away, app, "/v1/checks", admin_headers, b'{"as_of": "2024-'
        )
    start = next(m for m in sent if m["type"] == "http.response.start")
    assert start["status"] == 499
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text
    assert "client went away during POST /v1/checks" in caplog.text
    # A real server error still is one: the handler for others is unchanged.
    response = await client.post("/v1/checks", content=b"{", headers=admin_headers)
    assert response.status_code == 400
