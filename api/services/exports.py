"""Export jobs: creating them from an upload or the stored households, reading their state,
deleting them, and removing them when their time is up (the `/v1/exports` routes are a thin
door onto this; the wire structs are in `api.schemas`, the runs in `api.services.export_runner`).

A deleted job leaves nothing: its row goes, and so does its folder (input, partial or finished
output, notes).  A finished or failed job is removed the same way `EXPORT_RETENTION_DAYS` after
its last change, at start-up and then daily.

Personal data is kept no longer than the work needs: the uploaded register (ID numbers in
clear) or the households' snapshot is written 0600 in a 0700 folder and removed as soon as a
run of the job has ended, done or failed; until then it is what a run cut short by a crash
resumes from.  A job whose register is gone when it is resumed fails, saying so.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import shutil
from pathlib import Path
from typing import Any, Protocol, TypeVar

import msgspec
import polars as pl
import sqlalchemy as sa
from litestar import Request
from litestar.datastructures import UploadFile
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.problems import FieldError, ProblemError, check_as_of, invalid
from api.runtime import Runtime
from api.schemas import ExportCreate, ExportRead, Lang
from api.security import Principal
from api.services import audit
from api.services.assessments import applicant_for
from api.services.households import category_condition, deny, not_found, record_id
from api.settings import Settings
from batch.run import INPUT_FORMATS, REASONS
from db.engine import utc
from db.models import ExportJob, Household, Member
from eligibility.columnar import Reasons
from eligibility.facts import applicant_paths
from eligibility.programme import PolicySet
from eligibility.regions import RegionCode, RegionCodeError, known_region_code
from eligibility.stored import decidable

MEDIA_TYPES: dict[str, str] = {
    "csv": "text/csv",  # Litestar adds "; charset=utf-8" to every text/ type
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "parquet": "application/vnd.apache.parquet",
    "ndjson": "application/x-ndjson",
}
MAX_SELECTION = 64 * 1024  # bytes of a JSON selection: a few fields, never more
SNAPSHOT_FILE = "households.parquet"  # the input of a job over stored households
# A job over stored households: the member's stored facts set aside to decide the row, and why
# (`eligibility.stored`); carried through to the output as an identifying column.
SET_ASIDE_COLUMN = "set_aside"
OPTIONS_FILE = "options.json"  # the job's `JobOptions`
LEGEND_FILE = (
    "legend.csv"  # the reason codes spelled out, beside a download that has no sheet for it
)
_ORPHAN_AGE = 10 * 60.0  # seconds a folder without a job row is left (its request may be
# between saving the upload and storing the job)
_FINISHED = ("done", "failed")
_log = logging.getLogger(__name__)
_LANGS: tuple[Lang, ...] = ("zh", "en")
_Choice = TypeVar("_Choice", bound=str)


class JobOptions(msgspec.Struct, frozen=True, kw_only=True):
    """How a job writes its rows, beyond what its row holds: saved with its input as
    `options.json` (the one record of them), read by each run and by the job's reads.

    A job saved before an option existed reads as that option's default."""

    lang: Lang = "zh"
    region_default: RegionCode | None = None
    reasons: Reasons = "text"


def _save_options(folder: Path, options: JobOptions) -> None:
    write_private(folder / OPTIONS_FILE, msgspec.json.encode(options))


def job_options(folder: Path) -> JobOptions:
    """The options saved in a job's folder (the defaults if the file is gone)."""
    path = folder / OPTIONS_FILE
    return (
        msgspec.json.decode(path.read_bytes(), type=JobOptions) if path.is_file() else JobOptions()
    )


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
    check_as_of(policies, {"$.as_of": as_of}, dt.date.today())
    programmes = [p for value in form.getall("programme", []) for p in str(value).split(",") if p]
    for i, programme in enumerate(programmes):
        if programme not in policies.programmes:
            raise _bad(f"$.programme[{i}]", f"unknown programme {programme!r}")
    region_default = _text(form, "region_default")
    if region_default is not None:
        try:
            region_default = known_region_code(region_default)
        except RegionCodeError as exc:
            raise _bad("$.region_default", str(exc)) from None
        if not principal.sees(region_default):
            raise _bad("$.region_default", f"{region_default} is outside this key's regions")
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    # The register holds ID numbers in clear: readable by the service only, and removed as
    # soon as a run of the job has ended (see `export_runner.Runner._end`).
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
        # Stored facts today's checks refuse (a region code retired since, an age the birth
        # date contradicts) are set aside, as an assessment sets them aside, and said in the
        # row's own column: the row is decided on the rest, never refused for them.
        applicant, set_aside = decidable(
            applicant_for(household, member, as_of=as_of, loan_request=None), as_of
        )
        row: dict[str, Any] = {
            "household_id": household.id,
            "member_id": member.id,
            "name": member.name,
            "id_number_masked": member.id_number_masked,
            SET_ASIDE_COLUMN: "; ".join(f"{a.path}: {a.message}" for a in set_aside) or None,
        }
        row.update(applicant_paths(applicant))
        row.pop("as_of", None)  # the job's date, not a fact of the member
        rows.append(row)
        seen.append((member.id, household.id))
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    snapshot = folder / SNAPSHOT_FILE
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
        input_path=SNAPSHOT_FILE,
        output_format=data.format,
        programmes=msgspec.json.encode(data.programmes).decode() if data.programmes else None,
        as_of=as_of,
    )


def _snapshot(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """The members as a register: identifying columns, then facts by glossary name, as text
    (the batch reads them as it reads any register)."""
    columns = ["household_id", "member_id", "name", "id_number_masked", SET_ASIDE_COLUMN]
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
    path = folder / LEGEND_FILE
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


class JobCanceller(Protocol):
    """What deleting a job needs of the runner (`export_runner.Runner`): to stop it if it runs."""

    runtime: Runtime

    async def cancel(self, job_id: str) -> None:
        """Stop the job if it runs here, and never run it again."""


async def delete_job(
    session: AsyncSession, principal: Principal, runner: JobCanceller, export_id: str
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
    remove_folder(runner.runtime.settings.export_dir / job.id)
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
            remove_folder(runtime.settings.export_dir / job_id)
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
        remove_folder(candidates[name])
    if orphans:
        _log.warning("removed %d export folder(s) without a job: %s", len(orphans), orphans)
    return orphans


def remove_folder(folder: Path) -> None:
    # Already gone is fine: another worker's sweep or delete may have been first.
    with contextlib.suppress(FileNotFoundError):
        shutil.rmtree(folder)


def write_private(path: Path, content: bytes) -> None:
    """Write a file readable by the service's user only (0600)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as target:
        target.write(content)


def clear_leftovers(folder: Path, keep: set[str]) -> list[str]:
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
