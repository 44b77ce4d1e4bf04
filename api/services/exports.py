"""Export jobs: creating them from an upload or the stored households, running them in the
background, reading their state, deleting them, and removing them when their time is up (the
`/v1/exports` routes are a thin door onto this).

A deleted job leaves nothing: its row goes, and so does its folder (input, partial or finished
output, notes).  A finished or failed job is removed the same way `EXPORT_RETENTION_DAYS` after
its last change, at start-up and then daily.

Personal data is kept no longer than the work needs: the uploaded register (ID numbers in
clear) or the households' snapshot is written 0600 in a 0700 folder and removed as soon as a
run of the job has ended, done or failed; until then it is what a run cut short by a crash
resumes from.  A job whose register is gone when it is resumed fails, saying so.

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
import shutil
import socket
import threading
import time
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import msgspec
import polars as pl
import sqlalchemy as sa
from litestar import Litestar, Request
from litestar.datastructures import UploadFile
from msgspec import Meta
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.problems import FieldError, ProblemError, invalid
from api.runtime import Runtime
from api.schemas import Lang, ProgrammeId
from api.security import Principal
from api.services import audit
from api.services.assessments import applicant_for
from api.services.export_access import outside_regions
from api.services.households import category_condition, deny, not_found, record_id
from api.settings import Settings
from batch.run import INPUT_FORMATS, REASONS, BatchInputError, BatchOptions, run_batch
from batch.writers import write_side_csv
from db.engine import is_unavailable, utc
from db.models import ExportJob, Household, Member
from eligibility.columnar import Reasons
from eligibility.facts import HouseholdCategory, applicant_paths
from eligibility.programme import PolicySet
from eligibility.regions import RegionCode, RegionCodeError, normalise_region_code

OutputFormat = Literal["csv", "xlsx", "parquet", "ndjson"]
JobStatus = Literal["queued", "running", "done", "failed"]
MEDIA_TYPES: dict[str, str] = {
    "csv": "text/csv",  # Litestar adds "; charset=utf-8" to every text/ type
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "parquet": "application/vnd.apache.parquet",
    "ndjson": "application/x-ndjson",
}
MAX_SELECTION = 64 * 1024  # bytes of a JSON selection: a few fields, never more
_PROGRESS_EVERY = 0.5  # seconds between progress writes to the database
_SNAPSHOT = "households.parquet"  # the input of a job over stored households
_OPTIONS = "options.json"  # the job's `JobOptions`
_LEGEND = "legend.csv"  # the reason codes spelled out, beside a download that has no sheet for it
_SWEEP_EVERY = 24 * 60 * 60.0  # seconds between retention sweeps while the server runs
_ORPHAN_AGE = 10 * 60.0  # seconds a folder without a job row is left (its request may be
# between saving the upload and storing the job)
_ORPHAN_EVERY = 10 * 60.0  # seconds between looks for such folders while the server runs
_FINISHED = ("done", "failed")
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)  # an expiry already past
_log = logging.getLogger(__name__)
_LANGS: tuple[Lang, ...] = ("zh", "en")
_Choice = TypeVar("_Choice", bound=str)


REASONS_DESCRIPTION = (
    "how each programme's reasons are written: `text` (worded, the default: a download has no "
    "legend beside it, so the API keeps worded reasons unless asked), `codes` (criterion codes; "
    "an XLSX download carries a legend sheet, other formats a legend at the job's `legend` "
    "link) or `none` (left out)"
)


class JobOptions(msgspec.Struct, frozen=True, kw_only=True):
    """How a job writes its rows, beyond what its row holds: saved with its input as
    `options.json` (the one record of them), read by each run and by the job's reads.

    A job saved before an option existed reads as that option's default."""

    lang: Lang = "zh"
    region_default: RegionCode | None = None
    reasons: Reasons = "text"


def _save_options(folder: Path, options: JobOptions) -> None:
    _write_private(folder / _OPTIONS, msgspec.json.encode(options))


def job_options(folder: Path) -> JobOptions:
    """The options saved in a job's folder (the defaults if the file is gone)."""
    path = folder / _OPTIONS
    return (
        msgspec.json.decode(path.read_bytes(), type=JobOptions) if path.is_file() else JobOptions()
    )


class ExportFilter(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Which stored households: all of the caller's regions, or narrower."""

    region: RegionCode | None = None
    category: HouseholdCategory | None = None


class ExportCreate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """An export of stored households (the JSON form of `POST /v1/exports`)."""

    format: OutputFormat = "xlsx"
    programmes: Annotated[list[ProgrammeId], Meta(min_length=1, max_length=32)] | None = None
    as_of: dt.date | None = None
    lang: Lang = "zh"
    reasons: Annotated[Reasons, Meta(description=REASONS_DESCRIPTION)] = "text"
    filter: ExportFilter = msgspec.field(default_factory=ExportFilter)


class ExportRead(msgspec.Struct, frozen=True, kw_only=True):
    """A job: what it does, how far it is, and where to fetch the result."""

    id: str
    status: JobStatus
    format: OutputFormat
    rows_total: int | None
    rows_done: int
    progress: float | None
    programmes: list[str] | None
    as_of: dt.date | None
    reasons: Reasons
    notes: list[str]
    error: str | None
    download: str | None
    legend: str | None
    """Where the reason codes are spelled out: for a done job written with `reasons=codes` in
    a format other than XLSX (an XLSX download has the legend as a sheet); None otherwise."""
    created_at: dt.datetime
    updated_at: dt.datetime
    expires_at: dt.datetime | None
    """When a finished or failed job (its row and its file) will be removed; None while it
    runs, or when `EXPORT_RETENTION_DAYS` is 0."""


# ---------------------------------------------------------------------------------------------
# Creating jobs


def _regions(principal: Principal) -> str:
    return msgspec.json.encode([] if principal.is_admin else list(principal.regions)).decode()


def _bad(path: str, message: str) -> ProblemError:
    return invalid([FieldError(path=path, message=message)])


async def from_upload(
    request: Request[Any, Any, Any],
    principal: Principal,
    policies: PolicySet,
    job_id: str,
    folder: Path,
) -> ExportJob:
    """A job over an uploaded register, saved into the job's folder."""
    try:
        form = await request.form()
    except UnicodeDecodeError:
        # Litestar decodes the text fields as it parses; bytes that are not UTF-8 are the
        # client's mistake, not the server's.
        raise _bad("$", "the form's text fields must be UTF-8") from None
    try:
        return await _save_upload(form, principal, policies, job_id, folder)
    finally:
        # Every uploaded part is a spooled temporary file: closed whatever happened.
        for _, value in form.multi_items():
            if isinstance(value, UploadFile):
                await value.close()


async def _save_upload(
    form: Any, principal: Principal, policies: PolicySet, job_id: str, folder: Path
) -> ExportJob:
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise _bad("$.file", "attach the register as the `file` field")
    suffix = Path(upload.filename or "").suffix.lower()
    if suffix not in INPUT_FORMATS:
        raise _bad("$.file", f"the register must be {', '.join(INPUT_FORMATS)}")
    output_format = _text(form, "format") or "xlsx"
    if output_format not in MEDIA_TYPES:
        raise _bad("$.format", f"format must be one of {', '.join(MEDIA_TYPES)}")
    lang = _choice(_LANGS, _text(form, "lang") or "zh")
    if lang is None:
        raise _bad("$.lang", "lang must be zh or en")
    reasons = _choice(REASONS, _text(form, "reasons") or "text")
    if reasons is None:
        raise _bad("$.reasons", f"reasons must be one of {', '.join(REASONS)}")
    as_of = _date(_text(form, "as_of"))
    programmes = [p for value in form.getall("programme", []) for p in str(value).split(",") if p]
    for i, programme in enumerate(programmes):
        if programme not in policies.programmes:
            raise _bad(f"$.programme[{i}]", f"unknown programme {programme!r}")
    region_default = _text(form, "region_default")
    if region_default is not None:
        try:
            region_default = normalise_region_code(region_default)
        except RegionCodeError as exc:
            raise _bad("$.region_default", str(exc)) from None
        if not principal.sees(region_default):
            raise _bad("$.region_default", f"{region_default} is outside this key's regions")
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    # The register holds ID numbers in clear: readable by the service only, and removed as
    # soon as a run of the job has ended (see `_Runner._end`).
    fd = os.open(folder / f"input{suffix}", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as target:
        while block := await upload.read(1 << 20):
            target.write(block)
    _save_options(folder, JobOptions(lang=lang, region_default=region_default, reasons=reasons))
    return ExportJob(
        id=job_id,
        created_by=principal.key_id,
        regions=_regions(principal),
        input_path=f"input{suffix}",
        output_format=output_format,
        programmes=msgspec.json.encode(programmes).decode() if programmes else None,
        as_of=as_of,
    )


def _choice(choices: tuple[_Choice, ...], text: str) -> _Choice | None:
    """The one of `choices` that `text` is (typed as the choices are), or None."""
    return next((choice for choice in choices if choice == text), None)


def _text(form: Any, name: str) -> str | None:
    value = form.get(name)
    if value is None or isinstance(value, UploadFile):
        return None
    text = str(value).strip()
    return text or None


def _date(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise _bad("$.as_of", "as_of must be a date, YYYY-MM-DD") from None


async def from_households(
    session: AsyncSession, principal: Principal, data: ExportCreate, job_id: str, folder: Path
) -> ExportJob:
    """A job over the stored members of the caller's households, snapshotted now."""
    as_of = data.as_of or dt.date.today()
    query = select(Household, Member).join(Member, col(Member.household_id) == Household.id)
    if not principal.is_admin:
        query = query.where(
            sa.or_(*(col(Household.region_code).startswith(r) for r in principal.regions))
        )
    if data.filter.region is not None:
        query = query.where(col(Household.region_code).startswith(data.filter.region))
    if data.filter.category is not None:
        query = query.where(category_condition(data.filter.category))
    query = query.order_by(col(Household.region_code), col(Household.id), col(Member.id))
    rows: list[dict[str, Any]] = []
    seen: list[tuple[str, str | None]] = []
    for household, member in (await session.exec(query)).all():
        applicant = applicant_for(household, member, as_of=as_of, loan_request=None)
        row: dict[str, Any] = {
            "household_id": household.id,
            "member_id": member.id,
            "name": member.name,
            "id_number_masked": member.id_number_masked,
        }
        row.update(applicant_paths(applicant))
        row.pop("as_of", None)  # the job's date, not a fact of the member
        rows.append(row)
        seen.append((member.id, household.id))
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    snapshot = folder / _SNAPSHOT
    os.close(os.open(snapshot, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    _snapshot(rows).write_parquet(snapshot)
    snapshot.chmod(0o600)  # whatever the writer did: the members' facts are for the service
    _save_options(folder, JobOptions(lang=data.lang, reasons=data.reasons))
    # Reading the members' facts into a file is a read of their personal data.
    audit.record(session, principal, "read", "member", seen)
    return ExportJob(
        id=job_id,
        created_by=principal.key_id,
        regions=_regions(principal),
        rows_total=len(rows),
        input_path=_SNAPSHOT,
        output_format=data.format,
        programmes=msgspec.json.encode(data.programmes).decode() if data.programmes else None,
        as_of=as_of,
    )


def _snapshot(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """The members as a register: identifying columns, then facts by glossary name, as text
    (the batch reads them as it reads any register)."""
    columns = ["household_id", "member_id", "name", "id_number_masked"]
    for row in rows:
        columns.extend(c for c in row if c not in columns)

    def cell(value: object) -> str | None:
        if value is None:
            return None
        return ("true" if value else "false") if isinstance(value, bool) else str(value)

    return pl.DataFrame(
        [{c: cell(row.get(c)) for c in columns} for row in rows],
        schema=dict.fromkeys(columns, pl.String),
    )


# ---------------------------------------------------------------------------------------------
# Reading jobs


async def find_job(session: AsyncSession, principal: Principal, export_id: str) -> ExportJob:
    """The job if it is the caller's regions' (the same 404 otherwise, audited as `denied`)."""
    job = await session.get(ExportJob, record_id(export_id, "export"))
    if job is None:
        raise not_found("export")
    if not _visible(job, principal):
        # Audited like an attempt on another region's household (a job has none of its own).
        await deny(session, principal, "export", job.id, None)
        raise not_found("export")
    return job


def _visible(job: ExportJob, principal: Principal) -> bool:
    regions: list[str] = msgspec.json.decode(job.regions, type=list[str])
    if principal.is_admin:
        return True
    # A job made for all regions (an admin's) is not a caseworker's; one of theirs is if every
    # region it was made for is within the caller's.
    return bool(regions) and all(principal.sees(r) for r in regions)


def _notes(folder: Path) -> list[str]:
    path = folder / "notes.json"
    return msgspec.json.decode(path.read_bytes(), type=list[str]) if path.is_file() else []


def describe(job: ExportJob, settings: Settings) -> ExportRead:
    """The job as the API shows it: status, progress, notes, where to download it and until
    when."""
    folder = settings.export_dir / job.id
    total = job.rows_total
    done = job.status == "done"
    options = job_options(folder)
    days = settings.export_retention_days
    expires_at = (
        utc(job.updated_at) + dt.timedelta(days=days)
        if job.status in _FINISHED and days > 0
        else None
    )
    return ExportRead(
        id=job.id,
        status=job.status,  # type: ignore[arg-type]
        format=job.output_format,  # type: ignore[arg-type]
        rows_total=total,
        rows_done=job.rows_done,
        progress=(1.0 if done else None if not total else min(job.rows_done / total, 1.0)),
        programmes=None if job.programmes is None else msgspec.json.decode(job.programmes),
        as_of=job.as_of,
        reasons=options.reasons,
        notes=_notes(folder),
        error=job.error,
        download=f"/v1/exports/{job.id}/download" if done else None,
        legend=f"/v1/exports/{job.id}/legend" if _legend_of(job, folder) else None,
        created_at=utc(job.created_at),
        updated_at=utc(job.updated_at),
        expires_at=expires_at,
    )


def _legend_of(job: ExportJob, folder: Path) -> Path | None:
    path = folder / _LEGEND
    return path if job.status == "done" and path.is_file() else None


def result_file(job: ExportJob, settings: Settings) -> Path:
    """The result file of a finished job (409 while it is not done, or if its file is gone)."""
    if job.status != "done" or job.output_path is None:
        raise ProblemError(409, f"The export is {job.status}, not done yet.")
    path = settings.export_dir / job.id / job.output_path
    if not path.is_file():
        raise ProblemError(409, "The export's file is gone; start the export again.")
    return path


def legend_file(job: ExportJob, settings: Settings) -> Path:
    """The legend CSV of a finished job written with reason codes in a format other than XLSX
    (409 while it is not done; 404 if it has none: worded reasons, none, or an XLSX download,
    whose legend is a sheet of its own)."""
    if job.status != "done":
        raise ProblemError(409, f"The export is {job.status}, not done yet.")
    path = _legend_of(job, settings.export_dir / job.id)
    if path is None:
        raise ProblemError(404, "This export has no separate legend.")
    return path


# ---------------------------------------------------------------------------------------------
# Removing jobs


async def delete_job(
    session: AsyncSession, principal: Principal, runner: _Runner, export_id: str
) -> None:
    """Cancel the job if it is queued or running, then remove its folder and its row.

    The row is deleted, not marked: a deleted job answers 404 like one that never was, and
    nothing is left for the next start-up to resume.  The folder goes first and the row last,
    so a failure in between leaves a row without files (a resumed run fails for want of its
    input; a done job's download answers 409), which the retention sweep removes in time,
    never a folder that nothing points at.
    """
    job = await find_job(session, principal, export_id)
    await runner.cancel(job.id)
    _remove_folder(runner.runtime.settings.export_dir / job.id)
    await session.exec(sa.delete(ExportJob).where(col(ExportJob.id) == job.id))
    audit.record(session, principal, "delete", "export", [(job.id, None)])
    await session.commit()


async def sweep_expired(runtime: Runtime, now: dt.datetime) -> list[str]:
    """Remove the finished and failed jobs (folder, then row) whose last change is more than
    `EXPORT_RETENTION_DAYS` before `now` (an aware time); the ids removed.  Queued and running
    jobs are never touched, however old."""
    days = runtime.settings.export_retention_days
    if days <= 0:
        return []
    cutoff = now.astimezone(dt.UTC) - dt.timedelta(days=days)
    expired = (col(ExportJob.status).in_(_FINISHED), col(ExportJob.updated_at) < cutoff)
    async with runtime.sessions() as session:
        found = list((await session.exec(select(ExportJob.id).where(*expired))).all())
        for job_id in found:
            _remove_folder(runtime.settings.export_dir / job_id)
        if found:
            await session.exec(sa.delete(ExportJob).where(col(ExportJob.id).in_(found), *expired))
            await session.commit()
    if found:
        _log.info("removed %d export job(s) past %d days", len(found), days)
    return found


async def sweep_orphans(runtime: Runtime, now: dt.datetime) -> list[str]:
    """Remove the folders under `EXPORT_DIR` that no job row names and that have not changed
    for `_ORPHAN_AGE`: an upload saved by a request whose job could not be stored (the
    database away at that moment) would otherwise keep its ID numbers for good.  The names
    removed."""
    root = runtime.settings.export_dir
    cutoff = now.timestamp() - _ORPHAN_AGE
    candidates = {
        path.name: path
        for path in (root.iterdir() if root.is_dir() else ())
        if path.is_dir() and path.stat().st_mtime < cutoff
    }
    if not candidates:
        return []
    async with runtime.sessions() as session:
        known = set(
            (
                await session.exec(
                    select(ExportJob.id).where(col(ExportJob.id).in_(list(candidates)))
                )
            ).all()
        )
    orphans = sorted(set(candidates) - known)
    for name in orphans:
        _remove_folder(candidates[name])
    if orphans:
        _log.warning("removed %d export folder(s) without a job: %s", len(orphans), orphans)
    return orphans


def _remove_folder(folder: Path) -> None:
    # Already gone is fine: another worker's sweep or delete may have been first.
    with contextlib.suppress(FileNotFoundError):
        shutil.rmtree(folder)


# ---------------------------------------------------------------------------------------------
# Running jobs


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


def _write_private(path: Path, content: bytes) -> None:
    """Write a file readable by the service's user only (0600)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as target:
        target.write(content)


def _clear_leftovers(folder: Path, keep: set[str]) -> list[str]:
    """Remove from a job's folder everything but `keep`: a killed run's temporary output
    (`.result.*.part`), the XLSX writer's temporary row files, an earlier run's notes.  The
    names removed."""
    removed = []
    for path in folder.iterdir() if folder.is_dir() else ():
        if path.name in keep:
            continue
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        removed.append(path.name)
    return removed


_RESUMABLE = ("queued", "running")
_INPUT_GONE = (
    "the register is no longer on the server (it is removed when a run ends, and this job's "
    "run ended or was cut short after that); upload it again"
)


@dataclass
class _Runner:
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
            (folder / _SNAPSHOT).unlink(missing_ok=True)
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
        stale = _clear_leftovers(folder, {job.input_path, _OPTIONS})
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
            _write_private(folder / "notes.json", msgspec.json.encode(notes))
            if result.legend is not None and job.output_format != "xlsx":
                # No sheet to carry it: the codes are spelled out beside the download.
                write_side_csv(folder / _LEGEND, result.legend)
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
            _remove_folder(folder)  # deleted meanwhile through another worker: leave nothing

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


def job_runner(app: Litestar) -> _Runner:
    """The app's job runner, made on first use."""
    runner = getattr(app.state, "export_jobs", None)
    if runner is None:
        runner = app.state.export_jobs = _Runner(app.state.runtime)
    assert isinstance(runner, _Runner)
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
