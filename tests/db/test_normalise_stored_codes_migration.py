"""Migration 0005_normalise_stored_codes (#11, findings 2 and 7): rows stored before the fixes.

Before issue 11, region codes were stored as typed (`"140821\\n"`, full-width `１４０８２１`) and
members' ID numbers masked as first 4 + last 4 (`1408**********2014`), which with the birth
date shown beside it rebuilds the number.  Rows of that kind are inserted at revision 0004 on
a scratch database of each kind, the database is upgraded, and the stored values and what a
caseworker key for 140821 then sees through the API are checked.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import uuid
from pathlib import Path

import msgspec
import pytest
import sqlalchemy as sa
from alembic import command
from litestar.testing import AsyncTestClient
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from api.security import create_key, hash_key
from api.settings import Settings
from db.engine import session_factory
from db.migrate import alembic_config, upgrade_async

REVISION = "0005_normalise_stored_codes"
BEFORE = "0004_telegram_updates"
LOGGER = "db.migrations.normalise_stored_codes"
# Arabic-Indic digits: NFKC keeps them, so the normaliser refuses them (finding 7).
ARABIC_INDIC = "١٤٠٨٢١"
NOW = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)


async def _insert(engine: AsyncEngine, table: str, **values: object) -> None:
    columns = ", ".join(values)
    params = ", ".join(f":{name}" for name in values)
    async with engine.begin() as connection:
        await connection.execute(
            sa.text(f"INSERT INTO {table} ({columns}) VALUES ({params})"), values
        )


async def _household(engine: AsyncEngine, region_code: str) -> str:
    household_id = str(uuid.uuid4())
    await _insert(
        engine,
        "households",
        id=household_id,
        region_code=region_code,
        created_at=NOW,
        updated_at=NOW,
    )
    return household_id


async def _value(engine: AsyncEngine, table: str, column: str, row_id: str) -> object:
    async with engine.connect() as connection:
        result = await connection.execute(
            sa.text(f"SELECT {column} FROM {table} WHERE id = :id"), {"id": row_id}
        )
        return result.scalar_one()


def _downgrade_on(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, revision)


async def test_old_rows_are_normalised_and_shown_to_the_county(
    scratch: AsyncEngine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    await upgrade_async(scratch, BEFORE)
    sqlite = scratch.dialect.name == "sqlite"
    # Full-width digits fit `region_code VARCHAR(6)` on both; `"140821\n"` (7 characters) only
    # on SQLite, which does not enforce the length (PostgreSQL never stored one).
    full_width = await _household(scratch, "１４０８２１")
    newline = await _household(scratch, "140821\n") if sqlite else None
    refused = await _household(scratch, ARABIC_INDIC)
    member = str(uuid.uuid4())
    await _insert(
        scratch,
        "members",
        id=member,
        household_id=full_width,
        name="王芳",
        id_number_hash="0" * 64,
        id_number_masked="1408**********2014",
        birth_date=dt.date(1989, 5, 12),
        employment='{"status":"employed","work_region_code":"３３０１０２ "}',
        created_at=NOW,
        updated_at=NOW,
    )
    # Masked before issue 11 without normalising: full-width characters in the mask too.
    full_width_mask = str(uuid.uuid4())
    await _insert(
        scratch,
        "members",
        id=full_width_mask,
        household_id=full_width,
        id_number_masked="１４０８**********２０１Ｘ",
        created_at=NOW,
        updated_at=NOW,
    )
    # An assessment made from that household by the old code: its facts hold the codes as stored.
    await _insert(scratch, "policy_sets", version="old-set", sources="{}", created_at=NOW)
    assessment = str(uuid.uuid4())
    stored_facts = (
        '{"region_code":"１４０８２１","as_of":"2025-06-01","household":{"size":4},'
        '"person":{"age":36,"employment":{"work_region_code":"３３０１０２ "}}}'
    )
    await _insert(
        scratch,
        "assessments",
        id=assessment,
        member_id=member,
        household_id=full_width,
        policy_version="old-set",
        as_of=dt.date(2025, 6, 1),
        lang="zh",
        facts_hash="fh-0123456789abcdef",
        facts=stored_facts,
        is_latest=True,
        created_by="key_old",
        created_at=NOW,
    )
    clear = "rse_" + secrets.token_urlsafe(32)
    key_id = "key_" + secrets.token_hex(6)
    await _insert(
        scratch,
        "api_keys",
        id=key_id,
        key_hash=hash_key(clear),
        role="caseworker",
        regions=f'["１４０８２１", "140821", "{ARABIC_INDIC}"]',
        created_at=NOW,
    )
    job = str(uuid.uuid4())
    recent = dt.datetime.now(dt.UTC)  # within the retention period, or start-up sweeps it
    await _insert(
        scratch,
        "export_jobs",
        id=job,
        created_by=key_id,
        regions='["１４０８２１"]',
        status="done",
        rows_done=0,
        output_format="csv",
        attempts=1,
        created_at=recent,
        updated_at=recent,
    )

    with caplog.at_level(logging.INFO, logger=LOGGER):
        await upgrade_async(scratch, REVISION)

    assert await _value(scratch, "households", "region_code", full_width) == "140821"
    if newline is not None:
        assert await _value(scratch, "households", "region_code", newline) == "140821"
    assert await _value(scratch, "households", "region_code", refused) == ARABIC_INDIC
    assert await _value(scratch, "members", "id_number_masked", member) == "1408**************"
    assert (
        await _value(scratch, "members", "id_number_masked", full_width_mask)
        == "1408**************"
    )
    employment = msgspec.json.decode(str(await _value(scratch, "members", "employment", member)))
    assert employment == {"status": "employed", "work_region_code": "330102"}
    facts = msgspec.json.decode(str(await _value(scratch, "assessments", "facts", assessment)))
    assert facts == {
        "region_code": "140821",
        "as_of": "2025-06-01",
        "household": {"size": 4},
        "person": {"age": 36, "employment": {"work_region_code": "330102"}},
    }
    # What was decided stays as it was computed.
    assert await _value(scratch, "assessments", "facts_hash", assessment) == "fh-0123456789abcdef"
    # Normalising made a duplicate, which goes; the refused code is kept (it matches nothing).
    regions = msgspec.json.decode(str(await _value(scratch, "api_keys", "regions", key_id)))
    assert regions == ["140821", ARABIC_INDIC]
    assert await _value(scratch, "export_jobs", "regions", job) == '["140821"]'

    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(refused in m and repr(ARABIC_INDIC) in m for m in warnings), warnings
    assert any(key_id in m and repr(ARABIC_INDIC) in m for m in warnings), warnings
    assert any("2 stored values could not be normalised" in m for m in warnings), warnings
    # The masks are personal data: never in the log.
    assert not any("2014" in r.getMessage() for r in caplog.records)

    # Through the API: the old key and a key made today for 140821 both see the county's
    # households (they were invisible before), the new mask and the normalised work region.
    settings = Settings(
        database_url=scratch.url.render_as_string(hide_password=False),
        data_dir=tmp_path / "data",
        id_hash_key="test-id-hash-key",
        export_dir=tmp_path / "data" / "exports",
    )
    async with session_factory(scratch)() as session:
        _, today = await create_key(session, role="caseworker", regions=["140821"])
    expected = {full_width} | ({newline} if newline else set())
    async with AsyncTestClient(app=create_app(settings)) as client:
        for key, sees in ((clear, {refused: ARABIC_INDIC}), (today, {})):
            headers = {"Authorization": f"Bearer {key}"}
            page = await client.get("/v1/households", headers=headers)
            assert page.status_code == 200, page.text
            shown = {item["id"]: item["region_code"] for item in page.json()["items"]}
            # The refused code stays outside a valid code's scope; only the old key, whose
            # list kept the same refused text, still matches it.
            assert shown == dict.fromkeys(expected, "140821") | sees
            read = await client.get(f"/v1/members/{member}", headers=headers)
            assert read.status_code == 200, read.text
            assert read.json()["id_number_masked"] == "1408**************"
            assert read.json()["employment"]["work_region_code"] == "330102"
            # Read back as an Applicant (exact region type): a 500 before the migration.
            stored = await client.get(f"/v1/assessments/{assessment}", headers=headers)
            assert stored.status_code == 200, stored.text
            assert stored.json()["facts"]["region_code"] == "140821"
            history = await client.get(f"/v1/members/{member}/assessments", headers=headers)
            assert history.status_code == 200, history.text
            listed = await client.get(f"/v1/households/{full_width}/members", headers=headers)
            assert {m["id_number_masked"] for m in listed.json()["items"]} == {"1408**************"}
        job_read = await client.get(
            f"/v1/exports/{job}", headers={"Authorization": f"Bearer {clear}"}
        )
        assert job_read.status_code == 200, job_read.text

    # Downgrade leaves the data as it is (nothing to undo; the old masks must not come back).
    async with scratch.begin() as connection:
        await connection.run_sync(_downgrade_on, BEFORE)
    assert await _value(scratch, "households", "region_code", full_width) == "140821"
    assert await _value(scratch, "members", "id_number_masked", member) == "1408**************"


async def test_rows_stored_today_are_left_alone(scratch: AsyncEngine) -> None:
    """Values already in the stored form are not rewritten (and nothing is reported)."""
    await upgrade_async(scratch, BEFORE)
    household = await _household(scratch, "1408")
    member = str(uuid.uuid4())
    employment = '{"work_scope":"other_province","work_region_code":"330102"}'
    await _insert(
        scratch,
        "members",
        id=member,
        household_id=household,
        id_number_masked="1408**************",
        employment=employment,
        created_at=NOW,
        updated_at=NOW,
    )
    await upgrade_async(scratch, REVISION)
    assert await _value(scratch, "households", "region_code", household) == "1408"
    assert await _value(scratch, "members", "employment", member) == employment
    assert await _value(scratch, "members", "id_number_masked", member) == "1408**************"
