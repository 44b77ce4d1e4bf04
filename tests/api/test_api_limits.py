"""Bounded answers and bodies (issue 11, finding 9): a problem quotes a value it refuses only in
part, whatever its size, and every body has a limit, the register upload's its own and
configurable (`EXPORT_MAX_UPLOAD_MB`)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.app import MAX_JSON_BODY, create_app
from api.multipart import MAX_FORM_FIELD
from api.problems import MAX_ECHO, MAX_TEXT, FieldError, Problem, bounded
from api.services.exports import MAX_SELECTION
from api.settings import Settings
from tests.api.test_exports import REGISTER, finished

HUGE = "x" * 1_000_000


def _assert_small_problem(response: Any, status: int, path: str) -> None:
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"].startswith("application/problem+json")
    assert len(response.content) < 2 * MAX_TEXT
    assert response.json()["errors"][0]["path"] == path


def test_bounded_cuts_quoted_values_and_long_texts() -> None:
    quoted = bounded(f"Invalid enum value '{HUGE}'")
    assert quoted == f"Invalid enum value '{'x' * (MAX_ECHO - 1)}…'"
    assert len(bounded("y" * 10_000)) == MAX_TEXT
    assert bounded("Invalid enum value 'xyz'") == "Invalid enum value 'xyz'"
    # Every problem and field error is bounded wherever it is built.
    error = FieldError(path="$." + HUGE, message=HUGE)
    assert len(error.path) == len(error.message) == MAX_TEXT
    assert len(Problem(type="t", title="t", status=400, detail=HUGE).detail) == MAX_TEXT


async def test_a_huge_invalid_value_is_not_echoed_back(
    client: AsyncTestClient[Litestar], admin_headers: dict[str, str]
) -> None:
    # Before the fix the 1 MB `lang` came back whole: a 1 MB answer.
    response = await client.post("/v1/exports", json={"lang": HUGE[:60_000]}, headers=admin_headers)
    _assert_small_problem(response, 400, "$.lang")
    assert "x" * MAX_ECHO not in response.text
    for body, path in [
        ({"household": {"category": HUGE}}, "$.household.category"),
        ({"person": {HUGE: 1}}, "$.person." + "x" * (MAX_TEXT - 10) + "…"),
    ]:
        response = await client.post("/v1/checks", json=body, headers=admin_headers)
        _assert_small_problem(response, 400, path)
    batch = await client.post(
        "/v1/checks/batch",
        json={"applicants": [{"household": {"category": HUGE}}]},
        headers=admin_headers,
    )
    assert batch.status_code == 200
    assert len(batch.content) < 2 * MAX_TEXT


async def test_json_bodies_have_a_limit(
    client: AsyncTestClient[Litestar], admin_headers: dict[str, str]
) -> None:
    json_headers = {**admin_headers, "Content-Type": "application/json"}
    too_big = b'{"region_code": "510121"' + b" " * MAX_JSON_BODY + b"}"
    for path in ("/v1/checks", "/v1/households", "/v1/members/search"):
        response = await client.post(path, content=too_big, headers=json_headers)
        _assert_small_problem(response, 413, "$")
    # A JSON selection of stored households is a few fields: its own, smaller limit, although
    # the route takes registers of hundreds of MiB.
    selection = b'{"format": "csv"' + b" " * MAX_SELECTION + b"}"
    response = await client.post("/v1/exports", content=selection, headers=json_headers)
    _assert_small_problem(response, 413, "$")
    # Below the limit, the same padding is just whitespace.
    fine = b'{"region_code": "510121"' + b" " * (MAX_JSON_BODY // 2) + b"}"
    assert (await client.post("/v1/checks", content=fine, headers=json_headers)).status_code == 200


def test_upload_limit_from_the_environment() -> None:
    assert Settings.from_env({}).export_max_upload_mb == 256
    assert Settings.from_env({}).export_max_upload_bytes == 256 * 1024 * 1024
    assert Settings.from_env({"EXPORT_MAX_UPLOAD_MB": "1024"}).export_max_upload_mb == 1024
    for wrong in ("0", "-5", "1.5", "lots"):
        with pytest.raises(ValueError, match="EXPORT_MAX_UPLOAD_MB"):
            Settings.from_env({"EXPORT_MAX_UPLOAD_MB": wrong})


async def test_a_register_larger_than_the_upload_limit_is_refused(
    settings: Settings, admin_headers: dict[str, str]
) -> None:
    small = create_app(dataclasses.replace(settings, export_max_upload_mb=1))
    register = REGISTER.read_bytes()
    assert len(register) < 1024 * 1024  # the example register fits
    async with AsyncTestClient(app=small) as client:
        fits = await client.post(
            "/v1/exports",
            files={"file": ("register.xlsx", register, "application/octet-stream")},
            data={"format": "csv"},
            headers=admin_headers,
        )
        assert fits.status_code == 202, fits.text
        # Finished before this app stops: no job of it is left for another app to take over.
        assert (await finished(client, admin_headers, fits.json()["id"]))["status"] == "done"
        padded = register + b"\0" * (1024 * 1024)
        response = await client.post(
            "/v1/exports",
            files={"file": ("register.xlsx", padded, "application/octet-stream")},
            data={"format": "csv"},
            headers=admin_headers,
        )
        _assert_small_problem(response, 413, "$")


async def test_a_huge_form_field_is_not_read_whole(
    client: AsyncTestClient[Litestar], admin_headers: dict[str, str]
) -> None:
    # Litestar's reader kept each text field whole in memory, however large (a 200 MB `lang`
    # beside a register: 545 MB of server memory); now one stops at MAX_FORM_FIELD.
    response = await client.post(
        "/v1/exports",
        files={"file": ("register.xlsx", REGISTER.read_bytes(), "application/octet-stream")},
        data={"format": "csv", "lang": "x" * (MAX_FORM_FIELD + 1)},
        headers=admin_headers,
    )
    _assert_small_problem(response, 413, "$.lang")
    fits = await client.post(
        "/v1/exports",
        files={"file": ("register.xlsx", REGISTER.read_bytes(), "application/octet-stream")},
        data={"format": "csv", "lang": "x" * MAX_FORM_FIELD},
        headers=admin_headers,
    )
    _assert_small_problem(fits, 400, "$.lang")  # read, and refused for what it says
    for body in (b"--b\r\nnot a part", b"garbage"):
        broken = await client.post(
            "/v1/exports",
            content=body,
            headers={**admin_headers, "content-type": "multipart/form-data; boundary=b"},
        )
        _assert_small_problem(broken, 400, "$")
