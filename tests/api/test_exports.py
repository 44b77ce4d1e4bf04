"""Export jobs: register uploads and stored households, progress, download, region scope,
bad requests, and jobs that survive a restart."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import uuid
from pathlib import Path
from typing import Any

import fastexcel
import msgspec
import polars as pl
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from api.app import create_app
from api.settings import Settings
from db.models import ExportJob
from tests.api.conftest import HouseholdMaker, bearer, id_number
from tests.conftest import KeyMaker

ROOT = Path(__file__).resolve().parents[2]
REGISTER = ROOT / "examples" / "register.xlsx"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def upload(
    client: AsyncTestClient[Litestar],
    headers: dict[str, str],
    *,
    path: Path = REGISTER,
    content: bytes | None = None,
    **fields: str,
) -> Any:
    data = {"as_of": "2024-11-05", **fields}
    raw = path.read_bytes() if content is None else content
    return await client.post(
        "/v1/exports",
        files={"file": (path.name, raw, "application/octet-stream")},
        data=data,
        headers=headers,
    )


async def finished(
    client: AsyncTestClient[Litestar], headers: dict[str, str], job_id: str
) -> dict[str, Any]:
    """Poll the job until it is done or failed."""
    for _ in range(600):
        response = await client.get(f"/v1/exports/{job_id}", headers=headers)
        assert response.status_code == 200, response.text
        job: dict[str, Any] = response.json()
        if job["status"] in ("done", "failed"):
            return job
        await asyncio.sleep(0.05)
    raise AssertionError(f"export {job_id} did not finish")


async def test_upload_a_register_and_download_the_result(
    client: AsyncTestClient[Litestar], make_key: KeyMaker
) -> None:
    headers = bearer(await make_key("caseworker", regions=["1408"]))
    response = await upload(client, headers, format="xlsx", lang="en")
    assert response.status_code == 202, response.text
    created = response.json()
    assert response.headers["location"] == f"/v1/exports/{created['id']}"
    assert created["status"] in ("queued", "running", "done")

    job = await finished(client, headers, created["id"])
    assert job["status"] == "done", job
    assert (job["rows_done"], job["rows_total"], job["progress"]) == (20, 20, 1.0)
    assert any("姓名" in note for note in job["notes"])
    assert job["download"] == f"/v1/exports/{created['id']}/download"

    download = await client.get(job["download"], headers=headers)
    assert download.status_code == 200
    assert download.headers["content-type"].startswith(XLSX)
    reader = fastexcel.read_excel(download.content)
    assert reader.sheet_names == ["results", "汇总"]
    rows = reader.load_sheet(0, dtypes="string").to_polars()
    assert rows.height == 20
    # The key covers Linyi (1408) only: other counties' rows are refused row by row.
    errors = rows["error"].to_list()
    assert sum("outside this key's regions" in (e or "") for e in errors) == 11
    linyi = rows.filter(pl.col("姓名") == "张建国").row(0, named=True)
    assert linyi["microloan.verdict"] == "eligible"


async def test_export_stored_households_as_csv(
    client: AsyncTestClient[Litestar],
    admin_headers: dict[str, str],
    new_household: HouseholdMaker,
    make_key: KeyMaker,
) -> None:
    region = "6208" + f"{uuid.uuid4().int % 90 + 10:02d}"
    home = await new_household(region, category="poverty_alleviated")
    other = await new_household("451226", category="poverty_alleviated")
    for household, age in ((home, 40), (home, 17), (other, 30)):
        member = await client.post(
            f"/v1/households/{household['id']}/members",
            json={"name": "某人", "age": age, "id_number": id_number(household["region_code"])},
            headers=admin_headers,
        )
        assert member.status_code == 201, member.text
    headers = bearer(await make_key("caseworker", regions=[region]))
    response = await client.post(
        "/v1/exports",
        json={"format": "csv", "as_of": "2024-11-05", "lang": "en", "programmes": ["microloan"]},
        headers=headers,
    )
    assert response.status_code == 202, response.text
    job = await finished(client, headers, response.json()["id"])
    assert job["status"] == "done", job
    assert job["rows_total"] == 2  # the other region's member is not in it

    download = await client.get(job["download"], headers=headers)
    assert download.status_code == 200
    assert download.content.startswith(b"\xef\xbb\xbf")
    rows = pl.read_csv(io.BytesIO(download.content), infer_schema=False)
    assert rows.height == 2
    assert set(rows["household_id"]) == {home["id"]}
    assert all("**********" in m for m in rows["id_number_masked"])
    assert [c for c in rows.columns if c.startswith("microloan.")] == [
        "microloan.verdict",
        "microloan.amount",
        "microloan.reasons",
        "microloan.missing",
    ]
    assert rows["error"].null_count() == 2


async def test_another_regions_job_is_not_found(
    client: AsyncTestClient[Litestar], make_key: KeyMaker, admin_headers: dict[str, str]
) -> None:
    owner = bearer(await make_key("caseworker", regions=["1408"]))
    stranger = bearer(await make_key("caseworker", regions=["5101"]))
    created = (await upload(client, owner, format="parquet")).json()
    job = await finished(client, owner, created["id"])
    for path in (f"/v1/exports/{job['id']}", f"/v1/exports/{job['id']}/download"):
        assert (await client.get(path, headers=stranger)).status_code == 404
        assert (await client.get(path, headers=admin_headers)).status_code == 200
    assert (await client.get(f"/v1/exports/{uuid.uuid4()}", headers=owner)).status_code == 404
    assert (await client.get("/v1/exports/not-an-id", headers=owner)).status_code == 404
    assert (await client.get(f"/v1/exports/{job['id']}")).status_code == 401


async def test_bad_requests_name_the_field(
    client: AsyncTestClient[Litestar], admin_headers: dict[str, str]
) -> None:
    cases = [
        ({"path": ROOT / "README.md"}, "$.file"),
        ({"format": "docx"}, "$.format"),
        ({"programme": "lottery"}, "$.programme[0]"),
        ({"as_of": "yesterday"}, "$.as_of"),
        ({"region_default": "5101x"}, "$.region_default"),
    ]
    for fields, path in cases:
        response = await upload(client, admin_headers, **fields)
        assert response.status_code == 400, (fields, response.text)
        assert response.json()["errors"][0]["path"] == path
    no_file = await client.post(
        "/v1/exports", data={"format": "csv"}, files={"x": ("a", b"")}, headers=admin_headers
    )
    assert no_file.status_code == 400
    wrong_type = await client.post(
        "/v1/exports", content=b"a,b", headers={**admin_headers, "content-type": "text/csv"}
    )
    assert wrong_type.status_code == 415
    bad_json = await client.post(
        "/v1/exports", json={"format": "xlsx", "colour": "red"}, headers=admin_headers
    )
    assert bad_json.status_code == 400
    assert "colour" in bad_json.text


async def test_an_unreadable_register_fails_the_job(
    client: AsyncTestClient[Litestar], admin_headers: dict[str, str]
) -> None:
    created = await upload(client, admin_headers, content=b"not a workbook")
    assert created.status_code == 202
    job = await finished(client, admin_headers, created.json()["id"])
    assert job["status"] == "failed"
    assert "cannot read" in job["error"]
    download = await client.get(f"/v1/exports/{job['id']}/download", headers=admin_headers)
    assert download.status_code == 409


async def test_a_queued_job_runs_after_a_restart(
    settings: Settings,
    client: AsyncTestClient[Litestar],
    db_sessions: async_sessionmaker[AsyncSession],
    admin_headers: dict[str, str],
) -> None:
    # A job the last process accepted but never ran: its row and its saved input.
    job_id = str(uuid.uuid4())
    folder = settings.export_dir / job_id
    folder.mkdir(parents=True)
    (folder / "input.xlsx").write_bytes(REGISTER.read_bytes())
    (folder / "options.json").write_bytes(msgspec.json.encode({"lang": "zh"}))
    async with db_sessions() as session:
        session.add(
            ExportJob(
                id=job_id,
                created_by="key_test",
                regions="[]",
                status="running",
                rows_done=4,
                input_path="input.xlsx",
                output_format="csv",
                as_of=dt.date(2024, 11, 5),
            )
        )
        await session.commit()
    restarted = create_app(settings)
    async with AsyncTestClient(app=restarted) as again:
        job = await finished(again, admin_headers, job_id)
    assert job["status"] == "done"
    assert job["rows_done"] == 20
    assert (folder / "result.csv").is_file()
