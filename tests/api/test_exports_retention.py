"""Export retention: finished and failed jobs are removed `EXPORT_RETENTION_DAYS` after their
last change, at start-up and by the daily sweep; `expires_at` tells when."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil

import pytest
import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from api.app import create_app
from api.runtime import Runtime
from api.services.exports import sweep_expired
from api.settings import Settings
from db.engine import utc
from db.models import ExportJob
from tests.api.test_exports import finished, stored_job, upload

# A fixed "now" well before the jobs the other tests make, so that only this file's are old.
NOW = dt.datetime(2024, 6, 1, 3, 0, tzinfo=dt.UTC)


def test_retention_setting_from_the_environment() -> None:
    assert Settings.from_env({}).export_retention_days == 30
    assert Settings.from_env({"EXPORT_RETENTION_DAYS": "7"}).export_retention_days == 7
    assert Settings.from_env({"EXPORT_RETENTION_DAYS": "0"}).export_retention_days == 0
    assert Settings.from_env({"EXPORT_RETENTION_DAYS": ""}).export_retention_days == 30
    for wrong in ("-1", "a week", "1.5"):
        with pytest.raises(ValueError, match="EXPORT_RETENTION_DAYS"):
            Settings.from_env({"EXPORT_RETENTION_DAYS": wrong})


def _runtime(
    runtime: Runtime,
    settings: Settings,
    db_engine: AsyncEngine,
    db_sessions: async_sessionmaker[AsyncSession],
    days: int,
) -> Runtime:
    """The app's runtime on the tests' own loop and sessions, with `days` of retention."""
    return dataclasses.replace(
        runtime,
        settings=dataclasses.replace(settings, export_retention_days=days),
        engine=db_engine,
        sessions=db_sessions,
    )


async def _exists(db_sessions: async_sessionmaker[AsyncSession], job_id: str) -> bool:
    async with db_sessions() as session:
        return await session.get(ExportJob, job_id) is not None


async def test_sweep_removes_only_finished_jobs_past_retention(
    settings: Settings,
    runtime: Runtime,
    db_engine: AsyncEngine,
    db_sessions: async_sessionmaker[AsyncSession],
) -> None:
    def ago(days: float) -> dt.datetime:
        return NOW - dt.timedelta(days=days)

    jobs = {
        name: await stored_job(db_sessions, settings, status=status, updated_at=updated_at)
        for name, status, updated_at in [
            ("done, 31 days", "done", ago(31)),
            ("failed, 30 days and a minute", "failed", ago(30) - dt.timedelta(minutes=1)),
            ("done, 29 days", "done", ago(29)),
            ("failed, an hour", "failed", ago(1 / 24)),
            ("running, a year", "running", ago(365)),
            ("queued, a year", "queued", ago(365)),
        ]
    }
    expired = {"done, 31 days", "failed, 30 days and a minute"}

    # 0 days: retention is off, nothing goes.
    off = _runtime(runtime, settings, db_engine, db_sessions, days=0)
    assert await sweep_expired(off, NOW) == []

    swept = _runtime(runtime, settings, db_engine, db_sessions, days=30)
    removed = await sweep_expired(swept, NOW)
    assert sorted(removed) == sorted(jobs[name][0] for name in expired)
    for name, (job_id, folder) in jobs.items():
        kept = name not in expired
        assert await _exists(db_sessions, job_id) is kept, name
        assert folder.is_dir() is kept, name
    # A second sweep finds nothing more; one a day later takes the 29-day-old job.
    assert await sweep_expired(swept, NOW) == []
    assert await sweep_expired(swept, NOW + dt.timedelta(days=1, minutes=1)) == [
        jobs["done, 29 days"][0]
    ]

    # The queued and running ones would otherwise be resumed by the next test's restart.
    async with db_sessions() as session:
        ids = [job_id for job_id, _ in jobs.values()]
        await session.exec(sa.delete(ExportJob).where(col(ExportJob.id).in_(ids)))
        await session.commit()
    for _, folder in jobs.values():
        shutil.rmtree(folder, ignore_errors=True)


async def test_start_up_removes_expired_jobs_and_keeps_sweeping(
    settings: Settings,
    db_sessions: async_sessionmaker[AsyncSession],
    admin_headers: dict[str, str],
) -> None:
    now = dt.datetime.now(dt.UTC)
    old_id, old_folder = await stored_job(
        db_sessions, settings, status="done", updated_at=now - dt.timedelta(days=31)
    )
    recent_id, recent_folder = await stored_job(
        db_sessions, settings, status="failed", updated_at=now - dt.timedelta(days=2)
    )
    restarted = create_app(settings)
    async with AsyncTestClient(app=restarted) as again:
        assert not old_folder.exists()
        assert (await again.get(f"/v1/exports/{old_id}", headers=admin_headers)).status_code == 404
        recent = await again.get(f"/v1/exports/{recent_id}", headers=admin_headers)
        assert recent.status_code == 200
        assert recent_folder.is_dir()
        expires_at = dt.datetime.fromisoformat(recent.json()["expires_at"])
        assert abs(expires_at - (now + dt.timedelta(days=28))) < dt.timedelta(seconds=1)
        sweeper = restarted.state.export_jobs.sweeper
        assert sweeper is not None and not sweeper.done()
    # Shut-down stops the daily sweep.
    assert sweeper.done()


async def test_expires_at_is_shown_once_a_job_has_finished(
    client: AsyncTestClient[Litestar],
    db_sessions: async_sessionmaker[AsyncSession],
    admin_headers: dict[str, str],
) -> None:
    created = await upload(client, admin_headers, format="csv")
    assert created.status_code == 202
    assert created.json()["expires_at"] is None  # not finished yet
    job = await finished(client, admin_headers, created.json()["id"])
    assert job["status"] == "done"
    async with db_sessions() as session:
        row = await session.get(ExportJob, job["id"])
        assert row is not None
    assert dt.datetime.fromisoformat(job["expires_at"]) == utc(row.updated_at) + dt.timedelta(
        days=30
    )
    assert dt.datetime.fromisoformat(job["updated_at"]).tzinfo is not None
