"""The OpenAPI contract: fuzzed (schemathesis, in-process via ASGI, SQLite, bounded), and the
details the fuzzer found wrong once (issue 11, finding 15) held by tests of their own.

Every operation gets generated requests, with an admin key; responses must not be 5xx and must
conform to the schema (status codes, content types, bodies, headers, `Allow`).
"""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import msgspec
import pytest_asyncio
import schemathesis
from hypothesis import HealthCheck, settings
from litestar import Litestar
from litestar.testing import AsyncTestClient
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api import schemas
from api.app import create_app
from api.security import create_key
from api.settings import Settings
from db.engine import create_engine, session_factory
from db.migrate import upgrade_async
from eligibility import facts
from tests.api.test_exports import finished, upload

# Built at import: schemathesis parametrizes the test from the schema while collecting.
FUZZ_DIR = Path(tempfile.mkdtemp(prefix="eligibility-fuzz-"))
FUZZ_SETTINGS = Settings(
    database_url=f"sqlite+aiosqlite:///{FUZZ_DIR}/fuzz.db",
    data_dir=FUZZ_DIR,
    id_hash_key="fuzz-key",
    export_dir=FUZZ_DIR / "exports",
)
FUZZ_APP = create_app(FUZZ_SETTINGS)
schema = schemathesis.openapi.from_dict(FUZZ_APP.openapi_schema.to_schema())
# Requests go to the app in-process (schemathesis runs its lifespan on its own loop).
schema.app = FUZZ_APP
# Unknown query parameters are ignored, as HTTP APIs commonly do; the schema cannot forbid them.
schema.config.generation.update(allow_extra_parameters=False)

# Every built-in check runs (unsupported methods are 405 with `Allow`, and OPTIONS lists every
# method of a path: api.allow) except one the schema cannot make true:
EXCLUDED_CHECKS: list[schemathesis.CheckFunction] = [
    # Some rules no JSON Schema can state: the ID number's check digit (GB 11643's ISO 7064
    # MOD 11-2 over the other 17 characters), a birth date that must match the number's, ids
    # that must exist.  Such requests are schema-valid and rightly refused (4xx).
    positive_data_acceptance,
]


@pytest_asyncio.fixture(scope="session")
async def fuzz_headers() -> AsyncIterator[dict[str, str]]:
    """An admin key on the fuzzing database (a fresh SQLite file of its own)."""
    engine = create_engine(FUZZ_SETTINGS.database_url)
    try:
        await upgrade_async(engine)
        async with session_factory(engine)() as session:
            _, clear = await create_key(session, role="admin")
    finally:
        await engine.dispose()
    yield {"Authorization": f"Bearer {clear}"}


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_contract(case: schemathesis.Case[Any], fuzz_headers: dict[str, str]) -> None:
    # A generous timeout: the test machine is shared with other suites, and a 1,000-applicant
    # batch on a busy core can pass schemathesis's 10-second default.
    case.call_and_validate(headers=fuzz_headers, excluded_checks=EXCLUDED_CHECKS, timeout=120)


# --- issue 11, finding 15 ----------------------------------------------------------------------

_BOUND_KEYWORDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")


def _bounds(node: dict[str, Any]) -> dict[str, Any]:
    found = {k: node[k] for k in _BOUND_KEYWORDS if k in node}
    for branch in node.get("anyOf", []) + node.get("oneOf", []):
        found.update({k: branch[k] for k in _BOUND_KEYWORDS if k in branch})
    return found


async def test_every_struct_bound_is_in_the_document(client: AsyncTestClient[Litestar]) -> None:
    # Litestar dropped every bound of 0: `microloan_outstanding` said `maximum` but no `minimum`.
    document = (await client.get("/schema/openapi.json")).json()
    components = document["components"]["schemas"]
    household = components["Household"]["properties"]["microloan_outstanding"]
    assert _bounds(household) == {"minimum": 0, "maximum": 100_000_000}
    compared = 0
    for module in (schemas, facts):
        for struct in vars(module).values():
            if not (isinstance(struct, type) and issubclass(struct, msgspec.Struct)):
                continue
            if struct.__name__ not in components:
                continue
            (_,), definitions = msgspec.json.schema_components([struct])
            own = definitions[struct.__name__]["properties"]
            served = components[struct.__name__]["properties"]
            for name, property_schema in own.items():
                compared += bool(_bounds(property_schema))
                assert _bounds(served[name]) == _bounds(property_schema), (struct, name)
    assert compared >= 10
    paging = [
        parameter["schema"]
        for item in document["paths"].values()
        for operation in item.values()
        for parameter in operation.get("parameters", [])
        if parameter["name"] == "offset"
    ]
    assert len(paging) == 2 and all(p["minimum"] == 0 for p in paging)


async def test_operations_with_a_body_document_413_and_415(
    client: AsyncTestClient[Litestar],
) -> None:
    document = (await client.get("/schema/openapi.json")).json()
    with_body = [
        operation
        for item in document["paths"].values()
        for operation in item.values()
        if "requestBody" in operation
    ]
    assert len(with_body) >= 8
    for operation in with_body:
        assert {"413", "415"} <= set(operation["responses"]), operation["summary"]


async def test_json_routes_refuse_other_media_types_with_415(
    client: AsyncTestClient[Litestar], admin_headers: dict[str, str]
) -> None:
    # `/v1/checks` parsed text/plain and XML bodies as JSON before.
    body = b'{"region_code": "140821"}'
    for media_type in ("text/plain", "application/xml", "text/xml; charset=utf-8"):
        for path in ("/v1/checks", "/v1/households", "/v1/members/search"):
            response = await client.post(
                path, content=body, headers={**admin_headers, "Content-Type": media_type}
            )
            assert response.status_code == 415, (path, media_type, response.text)
            assert response.headers["content-type"].startswith("application/problem+json")
            assert response.json()["errors"][0]["path"] == "$"
    for media_type in ("application/json", "application/json; charset=utf-8"):
        response = await client.post(
            "/v1/checks", content=body, headers={**admin_headers, "Content-Type": media_type}
        )
        assert response.status_code == 200, response.text


async def test_options_lists_every_method_of_a_path(
    client: AsyncTestClient[Litestar], admin_headers: dict[str, str]
) -> None:
    # Litestar listed the first handler's methods only: GET, OPTIONS on /v1/households/{id}.
    document = (await client.get("/schema/openapi.json")).json()
    for path, item in document["paths"].items():
        concrete = path.replace("{", "").replace("}", "")  # any value routes the same
        response = await client.options(concrete, headers=admin_headers)
        allowed = {m.strip() for m in response.headers["allow"].split(",")}
        assert allowed == {m.upper() for m in item} | {"OPTIONS"}, path


async def test_downloads_are_as_documented(
    client: AsyncTestClient[Litestar], admin_headers: dict[str, str]
) -> None:
    document = (await client.get("/schema/openapi.json")).json()
    operation = document["paths"]["/v1/exports/{export_id}/download"]["get"]
    documented = set(operation["responses"]["200"]["content"])
    served = {}
    for output_format in ("csv", "xlsx", "parquet", "ndjson"):
        created = (await upload(client, admin_headers, format=output_format)).json()
        job = await finished(client, admin_headers, created["id"])
        download = await client.get(f"/v1/exports/{job['id']}/download", headers=admin_headers)
        assert download.status_code == 200
        served[output_format] = download.headers["content-type"]
    # It said `text/csv; charset=utf-8; charset=utf-8`.
    assert served["csv"] == "text/csv; charset=utf-8"
    # The document said application/octet-stream for all four.
    assert {value.split(";")[0] for value in served.values()} == documented
