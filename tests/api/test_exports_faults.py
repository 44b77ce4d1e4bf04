"""Export jobs under bad luck, in process (the real server's crashes are in `test_faults.py`):
two workers on one database run a job once (a lease in its row, renewed while it runs, taken
over only once expired); a resumed job starts from a clean folder; an uploaded register is
private while it waits and gone once its run has ended; the service's files and folders are
for its own user only (issue #11, findings 1, 10 and 11)."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import os
import stat
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from api.app import create_app
from api.runtime import Runtime
from api.services import export_runner
from api.settings import Settings
from batch.run import run_batch
from db.models import ExportJob
from tests.api.conftest import bearer
from tests.api.test_exports import (
    LONG_REGISTER_ROWS,
    finished,
    long_register,  # noqa: F401  (a fixture)
    stored_job,
    upload,
)
from tests.conftest import KeyMaker


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


class BatchRuns:
    """The batch runs export jobs start in this process, by job."""

    def __init__(self) -> None:
        self.inputs: list[Path] = []

    def of(self, job_id: str) -> int:
        """How many runs of this job began (other tests' jobs may run meanwhile)."""
        return sum(path.parent.name == job_id for path in self.inputs)


@pytest.fixture
def batch_runs(monkeypatch: pytest.MonkeyPatch) -> BatchRuns:
    runs = BatchRuns()
    real = run_batch  # the one `export_runner` imports from `batch.run` and calls

    def counted(input_path: Path, *args: Any, **kwargs: Any) -> Any:
        runs.inputs.append(input_path)
        return real(input_path, *args, **kwargs)

    monkeypatch.setattr(export_runner, "run_batch", counted)
    return runs


def make_runner(
    runtime: Runtime,
    db_engine: AsyncEngine,
    db_sessions: async_sessionmaker[AsyncSession],
    *,
    lease_seconds: float | None = None,
) -> export_runner.Runner:
    """A job runner as one worker process has it, on the tests' own loop and database (with
    the settings' lease unless told otherwise)."""
    settings = runtime.settings
    if lease_seconds is not None:
        settings = dataclasses.replace(settings, export_lease_seconds=lease_seconds)
    return export_runner.Runner(
        dataclasses.replace(runtime, settings=settings, engine=db_engine, sessions=db_sessions)
    )


async def job_row(db_sessions: async_sessionmaker[AsyncSession], job_id: str) -> ExportJob:
    async with db_sessions() as session:
        job = await session.get(ExportJob, job_id)
    assert job is not None
    return job


async def wait_for(
    db_sessions: async_sessionmaker[AsyncSession],
    job_id: str,
    done: Callable[[ExportJob], bool],
) -> ExportJob:
    for _ in range(1500):
        job = await job_row(db_sessions, job_id)
        if done(job):
            return job
        await asyncio.sleep(0.02)
    raise AssertionError(f"job {job_id} never got there: {job}")


async def test_two_workers_on_one_database_run_a_job_once(
    settings: Settings,
    runtime: Runtime,
    db_engine: AsyncEngine,
    db_sessions: async_sessionmaker[AsyncSession],
    batch_runs: BatchRuns,
) -> None:
    # A job left running by a crash: both workers of the restarted server find it at start-up.
    job_id, folder = await stored_job(db_sessions, settings, status="running", rows_done=4)
    first = make_runner(runtime, db_engine, db_sessions)
    second = make_runner(runtime, db_engine, db_sessions)
    await asyncio.gather(first.resume(), second.resume())
    await asyncio.gather(*first.tasks.values(), *second.tasks.values())

    assert batch_runs.of(job_id) == 1, batch_runs.inputs
    job = await job_row(db_sessions, job_id)
    assert (job.status, job.rows_done, job.attempts) == ("done", 20, 1)
    assert job.lease_owner in (first.owner, second.owner)
    assert (folder / "result.csv").is_file()


async def test_a_held_lease_is_left_alone_until_it_expires(
    settings: Settings,
    runtime: Runtime,
    db_engine: AsyncEngine,
    db_sessions: async_sessionmaker[AsyncSession],
    batch_runs: BatchRuns,
) -> None:
    # Another worker claimed the job a moment ago and is running it.
    now = dt.datetime.now(dt.UTC)
    job_id, _ = await stored_job(
        db_sessions,
        settings,
        status="running",
        lease_owner="elsewhere:1:live",
        lease_expires_at=now + dt.timedelta(seconds=60),
        attempts=1,
    )
    runner = make_runner(runtime, db_engine, db_sessions)
    await runner.resume()
    runner.start(job_id)
    await asyncio.gather(*runner.tasks.values())
    assert batch_runs.of(job_id) == 0
    job = await job_row(db_sessions, job_id)
    assert (job.status, job.lease_owner, job.attempts) == ("running", "elsewhere:1:live", 1)

    # That worker died: its lease is no longer renewed and runs out.
    async with db_engine.begin() as connection:
        await connection.execute(
            sa.update(ExportJob)
            .where(ExportJob.id == job_id)  # type: ignore[arg-type]
            .values(lease_expires_at=now - dt.timedelta(seconds=1))
        )
    await runner._take_over_once()
    await asyncio.gather(*runner.tasks.values())
    assert batch_runs.of(job_id) == 1
    job = await job_row(db_sessions, job_id)
    assert (job.status, job.lease_owner, job.attempts) == ("done", runner.owner, 2)


async def test_a_long_run_renews_its_lease(
    settings: Settings,
    runtime: Runtime,
    db_engine: AsyncEngine,
    db_sessions: async_sessionmaker[AsyncSession],
    long_register: Path,  # noqa: F811
    batch_runs: BatchRuns,
) -> None:
    job_id, _ = await stored_job(db_sessions, settings, status="queued", input_file=long_register)
    # A lease far shorter than the run: only renewals keep the job with its first worker.
    running = make_runner(runtime, db_engine, db_sessions, lease_seconds=2.0)
    other = make_runner(runtime, db_engine, db_sessions, lease_seconds=2.0)
    running.start(job_id)
    task = running.tasks[job_id]
    looks = 0
    while not task.done():
        await other._take_over_once()
        await other.resume()
        looks += 1
        await asyncio.sleep(0.25)
    await task
    assert looks > 8  # the run outlasted several leases
    assert batch_runs.of(job_id) == 1
    job = await job_row(db_sessions, job_id)
    assert (job.status, job.rows_done, job.attempts) == ("done", LONG_REGISTER_ROWS, 1)


async def test_a_worker_whose_job_was_taken_over_stops_it(
    settings: Settings,
    runtime: Runtime,
    db_engine: AsyncEngine,
    db_sessions: async_sessionmaker[AsyncSession],
    long_register: Path,  # noqa: F811
) -> None:
    job_id, folder = await stored_job(
        db_sessions, settings, status="queued", input_file=long_register
    )
    runner = make_runner(runtime, db_engine, db_sessions)
    runner.start(job_id)
    await wait_for(db_sessions, job_id, lambda job: job.rows_done > 0)
    # The worker was cut off from the database past its lease, and another took the job over.
    async with db_engine.begin() as connection:
        await connection.execute(
            sa.update(ExportJob)
            .where(ExportJob.id == job_id)  # type: ignore[arg-type]
            .values(lease_owner="elsewhere:2:new", rows_done=0)
        )
    await asyncio.gather(*runner.tasks.values())
    job = await job_row(db_sessions, job_id)
    # It stopped at its next progress report, wrote nothing more and left the job alone.
    assert (job.status, job.lease_owner, job.rows_done) == ("running", "elsewhere:2:new", 0)
    assert not (folder / "result.csv").exists()
    assert not any(p.name.endswith(".part") for p in folder.iterdir())
    async with db_sessions() as session:
        await session.delete(await session.get(ExportJob, job_id))
        await session.commit()


async def test_a_resumed_job_clears_what_a_killed_run_left(
    settings: Settings,
    runtime: Runtime,
    db_engine: AsyncEngine,
    db_sessions: async_sessionmaker[AsyncSession],
) -> None:
    job_id, folder = await stored_job(db_sessions, settings, status="running", rows_done=4)
    # What a run killed mid-write leaves: its temporary output, the XLSX writer's row files,
    # notes of the earlier run.
    for name in (".result.csv.k2j4h1.part", ".result.xlsx.a8d9f0.part", "tmpq0w9e8r7"):
        (folder / name).write_bytes(b"half a result")
    (folder / "notes.json").write_bytes(b'["old"]')

    runner = make_runner(runtime, db_engine, db_sessions)
    await runner.resume()
    await asyncio.gather(*runner.tasks.values())
    job = await job_row(db_sessions, job_id)
    assert job.status == "done"
    # Only the result, its notes and the options remain (the register is gone: see below).
    assert sorted(p.name for p in folder.iterdir()) == ["notes.json", "options.json", "result.csv"]


async def test_the_register_is_private_while_queued_and_gone_once_run(
    settings: Settings,
    runtime: Runtime,
    db_engine: AsyncEngine,
    db_sessions: async_sessionmaker[AsyncSession],
    client: AsyncTestClient[Litestar],
    make_key: KeyMaker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    headers = bearer(await make_key("caseworker", regions=["1408"]))
    with monkeypatch.context() as held:
        held.setattr(export_runner.Runner, "start", lambda self, job_id: None)  # accepted, not run
        created = await upload(client, headers, format="csv")
    assert created.status_code == 202, created.text
    job_id = created.json()["id"]
    folder = settings.export_dir / job_id
    # Waiting: the register (ID numbers in clear) is readable by the service's user only.
    assert _mode(settings.export_dir) == 0o700
    assert _mode(folder) == 0o700
    assert {p.name: _mode(p) for p in folder.iterdir()} == {
        "input.xlsx": 0o600,
        "options.json": 0o600,
    }

    # Then a worker (here one on the tests' loop) takes it up.
    runner = make_runner(runtime, db_engine, db_sessions)
    runner.start(job_id)
    job = await finished(client, headers, job_id)
    assert job["status"] == "done"
    # The run saves `done` before it removes the register (a crash in between must not lose a
    # finished job's register while the job still reads as running): wait for the run to end.
    await asyncio.gather(*runner.tasks.values())
    # Run: the register is gone; what stays until the retention sweep is the service's only.
    assert {p.name: _mode(p) for p in folder.iterdir()} == {
        "notes.json": 0o600,
        "options.json": 0o600,
        "result.csv": 0o600,
    }
    download = await client.get(f"/v1/exports/{job_id}/download", headers=headers)
    assert download.status_code == 200


async def test_a_failed_job_keeps_no_register(
    settings: Settings, client: AsyncTestClient[Litestar], admin_headers: dict[str, str]
) -> None:
    created = await upload(client, admin_headers, content=b"not a workbook")
    job = await finished(client, admin_headers, created.json()["id"])
    assert job["status"] == "failed"
    assert not list((settings.export_dir / job["id"]).glob("input*"))


async def test_a_job_resumed_without_its_register_fails_clearly(
    settings: Settings,
    runtime: Runtime,
    db_engine: AsyncEngine,
    db_sessions: async_sessionmaker[AsyncSession],
    batch_runs: BatchRuns,
) -> None:
    # Its register is gone (removed when an earlier run ended, or by hand).
    job_id, folder = await stored_job(db_sessions, settings, status="running")
    (folder / "input.xlsx").unlink()
    runner = make_runner(runtime, db_engine, db_sessions)
    await runner.resume()
    await asyncio.gather(*runner.tasks.values())
    job = await job_row(db_sessions, job_id)
    assert job.status == "failed"
    assert job.error is not None and "upload it again" in job.error
    assert batch_runs.of(job_id) == 0


async def test_the_service_keeps_its_files_to_its_user(
    settings: Settings, tmp_path: Path, admin_headers: dict[str, str]
) -> None:
    # A first start on new folders, with the ID hash key generated.
    data_dir = tmp_path / "fresh" / "data"
    fresh = dataclasses.replace(
        settings, data_dir=data_dir, export_dir=data_dir / "exports", id_hash_key=None
    )
    async with AsyncTestClient(app=create_app(fresh)) as client:
        assert (await client.get("/readyz")).status_code == 200
    assert _mode(data_dir) == 0o700
    assert _mode(data_dir / "exports") == 0o700
    assert _mode(data_dir / "id_hash.key") == 0o600
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        database = Path(url.database or "")
        assert _mode(database) == 0o600
        for companion in (database.with_name(database.name + s) for s in ("-wal", "-shm")):
            if companion.exists():
                assert _mode(companion) == 0o600


async def test_a_folder_no_job_names_is_removed_at_start_up(
    settings: Settings,
    db_sessions: async_sessionmaker[AsyncSession],
    admin_headers: dict[str, str],
) -> None:
    # An upload saved by a request whose job could not then be stored (the database away):
    # nothing points at it, and it holds a register in clear.
    stale = dt.datetime.now().timestamp() - 11 * 60
    orphan = settings.export_dir / str(uuid.uuid4())
    orphan.mkdir(parents=True)
    (orphan / "input.csv").write_text("身份证号\n140821198905122014\n")
    os.utime(orphan, (stale, stale))
    # One just being saved (its request is still storing the job), and an old job's folder.
    young = settings.export_dir / str(uuid.uuid4())
    young.mkdir()
    job_id, kept = await stored_job(db_sessions, settings, status="done")
    os.utime(kept, (stale, stale))

    async with AsyncTestClient(app=create_app(settings)) as again:
        assert (await again.get("/readyz")).status_code == 200
    assert not orphan.exists()
    assert young.is_dir() and kept.is_dir()
    async with db_sessions() as session:
        await session.delete(await session.get(ExportJob, job_id))
        await session.commit()
    young.rmdir()
