"""Running export jobs in the background: one worker thread per job under a lease held in its
row, progress recorded, a run cut short resumed at the next start, and the retention sweeps
kept going (`running_jobs` is the app's lifespan for them; `api.services.exports` creates,
reads and deletes the jobs).

Of several worker processes on one database only one runs a job: a run begins with a claim on
the job's lease (a compare-and-set in its row), renewed while it runs; a job whose worker died
is taken over by another once its lease has expired, and a run that finds its lease taken
stops.  Each run starts from a clean folder, removing what a killed run left (its `.part`
output, the XLSX writer's temporary files).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
import sqlalchemy as sa
from litestar import Litestar
from sqlmodel import col, select

from api.runtime import Runtime
from api.services.export_access import outside_regions
from api.services.exports import (
    LEGEND_FILE,
    OPTIONS_FILE,
    SNAPSHOT_FILE,
    clear_leftovers,
    job_options,
    remove_folder,
    sweep_expired,
    sweep_orphans,
    write_private,
)
from batch.run import INPUT_FORMATS, BatchInputError, BatchOptions, run_batch
from batch.writers import write_side_csv
from db.engine import is_unavailable
from db.models import ExportJob

_log = logging.getLogger(__name__)
_PROGRESS_EVERY = 0.5  # seconds between progress writes to the database
_SWEEP_EVERY = 24 * 60 * 60.0  # seconds between retention sweeps while the server runs
_ORPHAN_EVERY = 10 * 60.0  # seconds between looks for such folders while the server runs
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)  # an expiry already past


class _Stopped(Exception):
    """The app is shutting down: the job stops and is run again at the next start."""


class _Cancelled(Exception):
    """The job was deleted: it stops for good and its files are removed by the deleter."""


class _LeaseLost(Exception):
    """Another worker holds the job now (this one could not renew its lease in time): this
    run stops and leaves the job to it."""


def _owner_id() -> str:
    """This process's name on the leases it holds: host, pid and a random part (a pid can be
    reused after a restart; a lease must not be)."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{secrets.token_hex(4)}"


_RESUMABLE = ("queued", "running")
_INPUT_GONE = (
    "the register is no longer on the server (it is removed when a run ends, and this job's "
    "run ended or was cut short after that); upload it again"
)


@dataclass
class Runner:
    """Runs jobs in worker threads, one asyncio task each, and records their progress.

    A job runs under a lease held in its row (`lease_owner`, `lease_expires_at`): a worker
    runs a job only once it has claimed it with a compare-and-set (the job is unclaimed, or
    its lease has expired), and renews the lease while the job runs.  So of several worker
    processes on one database only one runs a job, and a job whose worker died (its lease
    no longer renewed) is taken over by another once the lease has expired.
    """

    runtime: Runtime
    owner: str = field(default_factory=_owner_id)
    stopping: threading.Event = field(default_factory=threading.Event)
    tasks: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    cancelled: set[str] = field(default_factory=set)
    """Jobs deleted while this process runs: read by the worker threads between chunks, and
    kept so that a job deleted before its task began is never begun."""
    lost: set[str] = field(default_factory=set)
    """Jobs this process was running whose lease it lost (read by the worker threads)."""
    sweeper: asyncio.Task[None] | None = None
    watcher: asyncio.Task[None] | None = None
    resumed: bool = False
    """Whether the jobs left by the last process have been looked for (see `resume`)."""

    @property
    def lease(self) -> dt.timedelta:
        """How long a claim lasts without renewal."""
        return dt.timedelta(seconds=self.runtime.settings.export_lease_seconds)

    def start(self, job_id: str) -> None:
        """Run the job in the background if this worker can claim it (once at a time per job;
        never once deleted)."""
        if job_id in self.cancelled:
            return
        if job_id in self.tasks and not self.tasks[job_id].done():
            return
        task = asyncio.create_task(self._run(job_id), name=f"export {job_id}")
        self.tasks[job_id] = task

        def forget(ended: asyncio.Task[None]) -> None:
            # A long-running server looks for claimable jobs all day: keep only live tasks.
            if self.tasks.get(job_id) is ended:
                del self.tasks[job_id]

        task.add_done_callback(forget)

    async def cancel(self, job_id: str) -> None:
        """Stop the job for good and wait until its run has ended: a running batch stops at
        its next progress report (between chunks), and its unfinished output is discarded."""
        self.cancelled.add(job_id)
        task = self.tasks.pop(job_id, None)
        if task is not None and not task.done():
            # `wait`, not `await task`: should the deleting request be cancelled, the run's
            # task must not be cancelled with it (its thread would go on unwatched).
            await asyncio.wait({task})

    def keep_sweeping(self) -> None:
        """Remove expired jobs once a day from now on (see `sweep_expired`), and take over
        jobs whose worker died, as their leases expire."""
        if self.sweeper is None or self.sweeper.done():
            self.sweeper = asyncio.create_task(self._sweep_daily(), name="export retention")
        if self.watcher is None or self.watcher.done():
            self.watcher = asyncio.create_task(self._take_over(), name="export leases")

    async def _sweep_daily(self) -> None:
        while True:
            await asyncio.sleep(_SWEEP_EVERY)
            try:
                await sweep_expired(self.runtime, dt.datetime.now(dt.UTC))
            except Exception:  # the database away for a moment, say: tomorrow's sweep retries
                _log.exception("export retention sweep failed")

    async def _take_over(self) -> None:
        # Every half lease: a job whose worker died is run again within 1.5 leases of its
        # last renewal.
        orphans_looked = time.monotonic()
        while True:
            await asyncio.sleep(self.lease.total_seconds() / 2)
            try:
                await self._take_over_once()
                if time.monotonic() - orphans_looked >= _ORPHAN_EVERY:
                    await sweep_orphans(self.runtime, dt.datetime.now(dt.UTC))
                    orphans_looked = time.monotonic()
            except Exception as exc:  # the database away: the next look retries
                _log.warning("looking for export jobs to take over failed: %r", exc)

    async def _take_over_once(self) -> None:
        """Run the jobs whose leases have expired (their workers died); and, if the start-up
        could not resume jobs (the database away), those too."""
        await self._start_claimable(unclaimed=not self.resumed)

    async def resume(self) -> None:
        """Run again every job left queued or running by the last process whose lease is not
        held (a job a live worker runs is left to it; one whose worker died is taken over by
        the lease watcher once its lease expires)."""
        await self._start_claimable(unclaimed=True)
        self.resumed = True

    async def _start_claimable(self, *, unclaimed: bool) -> None:
        now = dt.datetime.now(dt.UTC)
        expired = col(ExportJob.lease_expires_at) < now
        free = sa.or_(col(ExportJob.lease_owner).is_(None), expired) if unclaimed else expired
        async with self.runtime.sessions() as session:
            pending = (
                await session.exec(
                    select(ExportJob.id).where(col(ExportJob.status).in_(_RESUMABLE), free)
                )
            ).all()
        for job_id in pending:
            self.start(job_id)

    async def stop(self) -> None:
        """Ask running jobs to stop and wait for them (they stay `running`, their leases
        given up, to be resumed by another worker or at the next start); stop the sweep and
        the lease watcher."""
        self.stopping.set()
        for task in (self.sweeper, self.watcher):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        if self.tasks:
            await asyncio.gather(*self.tasks.values(), return_exceptions=True)

    async def _claim(self, job_id: str) -> bool:
        """Take the job's lease if it is free (never claimed, or expired): a compare-and-set
        on the owner and the expiry, so of workers racing for a job exactly one wins."""
        now = dt.datetime.now(dt.UTC)
        claim = (
            sa.update(ExportJob)
            .where(
                col(ExportJob.id) == job_id,
                col(ExportJob.status).in_(_RESUMABLE),
                sa.or_(
                    col(ExportJob.lease_owner).is_(None),
                    col(ExportJob.lease_expires_at).is_(None),
                    col(ExportJob.lease_expires_at) < now,
                ),
            )
            .values(
                lease_owner=self.owner,
                lease_expires_at=now + self.lease,
                attempts=col(ExportJob.attempts) + 1,
                status="running",
                rows_done=0,
                error=None,
                updated_at=now,
            )
        )
        async with self.runtime.engine.begin() as connection:
            return (await connection.execute(claim)).rowcount == 1

    async def _held(self, job_id: str, *, renew: bool, **changes: Any) -> bool | None:
        """Write `changes` (and a renewed lease) if this worker still holds the job: True if
        it does, False if another worker has it now, None if the row is gone (deleted)."""
        now = dt.datetime.now(dt.UTC)
        values: dict[str, Any] = {"updated_at": now, **changes}
        if renew:
            values["lease_expires_at"] = now + self.lease
        update = (
            sa.update(ExportJob)
            .where(col(ExportJob.id) == job_id, col(ExportJob.lease_owner) == self.owner)
            .values(**values)
        )
        async with self.runtime.engine.begin() as connection:
            if (await connection.execute(update)).rowcount == 1:
                return True
            found = await connection.execute(
                sa.select(col(ExportJob.id)).where(col(ExportJob.id) == job_id)
            )
            return False if found.first() is not None else None

    async def _end(self, job_id: str, folder: Path, **changes: Any) -> bool | None:
        """Record how the run ended and give the lease up; the register is removed, as nothing
        will read it again (a failed job is not re-run: a new upload is a new job)."""
        held = await self._held(job_id, renew=False, lease_expires_at=None, **changes)
        if held:
            for name in (f"input{suffix}" for suffix in INPUT_FORMATS):
                (folder / name).unlink(missing_ok=True)
            (folder / SNAPSHOT_FILE).unlink(missing_ok=True)
        return held

    async def _run(self, job_id: str) -> None:
        if job_id in self.cancelled:
            return  # deleted before its task got going: not even its input is opened
        if not await self._claim(job_id):
            return  # another worker runs it, or it is finished or gone
        async with self.runtime.sessions() as session:
            job = await session.get(ExportJob, job_id)
        if job is None or job.input_path is None:
            return
        _log.info("export %s: run %d by %s", job_id, job.attempts, self.owner)
        folder = self.runtime.settings.export_dir / job.id
        # A run cut short (killed, or stopped while writing) left temporary files: start clean.
        stale = clear_leftovers(folder, {job.input_path, OPTIONS_FILE})
        if stale:
            _log.info("export %s: removed %s left by an earlier run", job_id, ", ".join(stale))
        if not (folder / job.input_path).is_file():
            await self._end(job_id, folder, status="failed", error=_INPUT_GONE)
            return
        saved = job_options(folder)
        regions: list[str] = msgspec.json.decode(job.regions, type=list[str])
        options = BatchOptions(
            as_of=job.as_of or dt.date.today(),
            programmes=None if job.programmes is None else msgspec.json.decode(job.programmes),
            region_default=saved.region_default,
            lang=saved.lang,
            reasons=saved.reasons,
            row_check=outside_regions(tuple(regions), saved.lang) if regions else None,
        )
        output = f"result.{job.output_format}"
        progress: dict[str, int | None] = {"done": 0, "total": job.rows_total}
        notes: list[str] = []

        def report(done: int, total: int | None) -> None:
            # Raised in the batch's thread, this aborts `run_batch`, which then removes its
            # temporary output: a stopped or cancelled run leaves no file behind.
            if job_id in self.cancelled:
                raise _Cancelled
            if job_id in self.lost:
                raise _LeaseLost
            if self.stopping.is_set():
                raise _Stopped
            progress["done"], progress["total"] = done, total

        work = asyncio.create_task(
            asyncio.to_thread(
                run_batch,
                folder / job.input_path,
                folder / output,
                options,
                policies=self.runtime.policies.current,
                progress=report,
                notes=notes.append,
                write_summary_csv=False,
            )
        )
        await self._watch(job_id, work, progress, job.rows_total)
        try:
            result = work.result()
        except _Cancelled:
            return  # the deleter removes the folder and the row
        except _LeaseLost:
            self.lost.discard(job_id)
            return  # another worker runs it now
        except _Stopped:
            # Left `running` with its lease expired at once: another worker, or the next
            # start, runs it again.
            await self._quietly(self._held(job_id, renew=False, lease_expires_at=_EPOCH))
            return
        except BatchInputError as exc:
            await self._quietly(self._end(job_id, folder, status="failed", error=str(exc)))
            return
        except Exception as exc:  # a job's failure is reported on the job, not raised
            error = f"{type(exc).__name__}: {exc}"
            await self._quietly(self._end(job_id, folder, status="failed", error=error))
            return
        if job_id in self.cancelled:
            return  # deleted as the last chunk was written: it must not turn `done`
        try:
            write_private(folder / "notes.json", msgspec.json.encode(notes))
            if result.legend is not None and job.output_format != "xlsx":
                # No sheet to carry it: the codes are spelled out beside the download.
                write_side_csv(folder / LEGEND_FILE, result.legend)
        except (FileNotFoundError, BatchInputError):
            return  # the folder was removed: deleted through another worker process
        finished = await self._quietly(
            self._end(
                job_id,
                folder,
                status="done",
                rows_done=result.rows,
                rows_total=result.rows,
                output_path=output,
            )
        )
        if finished is None:
            remove_folder(folder)  # deleted meanwhile through another worker: leave nothing

    async def _watch(
        self,
        job_id: str,
        work: asyncio.Task[Any],
        progress: dict[str, int | None],
        total: int | None,
    ) -> None:
        """While the batch runs: write its progress, renew the lease a third of the way
        through it, and tell the batch to stop if the job was deleted or its lease lost (by
        another worker's claim, or by failing to renew it before it ran out)."""
        shown = (0, total)
        renewed = time.monotonic()
        deadline = renewed + self.lease.total_seconds()
        while not work.done():
            await asyncio.wait({work}, timeout=_PROGRESS_EVERY)
            if work.done():
                break
            now = (progress["done"] or 0, progress["total"])
            renew = time.monotonic() - renewed >= self.lease.total_seconds() / 3
            if now == shown and not renew:
                continue
            try:
                held = await self._held(job_id, renew=renew, rows_done=now[0], rows_total=now[1])
            except Exception as exc:  # the database away: try again at the next tick
                _log.warning("export %s: could not record progress: %r", job_id, exc)
                if time.monotonic() >= deadline:
                    self.lost.add(job_id)  # another worker may have taken it over by now
                continue
            shown = now
            if renew:
                renewed = time.monotonic()
                deadline = renewed + self.lease.total_seconds()
            if held is None:
                self.cancelled.add(job_id)  # deleted through another worker process
            elif not held:
                self.lost.add(job_id)

    async def _quietly(self, write: Awaitable[bool | None]) -> bool | None:
        """A final write of a run; if the database is away it is logged, and the job, left
        `running` under a lease nobody renews, is run again once that lease expires."""
        try:
            return await write
        except Exception as exc:
            _log.warning("export: could not record the end of a run: %r", exc)
            return False


def job_runner(app: Litestar) -> Runner:
    """The app's job runner, made on first use."""
    runner = getattr(app.state, "export_jobs", None)
    if runner is None:
        runner = app.state.export_jobs = Runner(app.state.runtime)
    assert isinstance(runner, Runner)
    return runner


@contextlib.asynccontextmanager
async def running_jobs(app: Litestar) -> AsyncIterator[None]:
    """The app's lifespan for export jobs: at start-up, remove the expired jobs and the
    folders without a job, run again every job left queued or running by a stop, and sweep
    daily from then on (folders without a job every ten minutes); at shut-down,
    stop the jobs under way (they are resumed at the next start) and the sweep.

    A lifespan listed after the runtime's, not start-up and shut-down hooks: Litestar runs
    shut-down hooks only after every lifespan has ended, when the runtime's engine is already
    disposed, and a job's last progress write would then open a connection nobody closes.
    """
    runner = job_runner(app)
    try:
        await sweep_expired(runner.runtime, dt.datetime.now(dt.UTC))
        await sweep_orphans(runner.runtime, dt.datetime.now(dt.UTC))
        await runner.resume()
    except Exception as exc:
        if not is_unavailable(exc):
            raise
        # Serve all the same (503 until the database is back); the lease watcher resumes.
        _log.warning("export jobs not resumed at start-up, retried shortly: %r", exc)
    runner.keep_sweeping()
    try:
        yield
    finally:
        await runner.stop()
