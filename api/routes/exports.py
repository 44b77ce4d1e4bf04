"""`/v1/exports`: batch evaluation jobs, over an uploaded register or the stored households.

`POST /v1/exports` starts a job and answers 202 with it: a multipart upload (`file`, the
register as CSV, XLSX or Parquet, and optional `format`, `programme`, `as_of`, `lang`,
`region_default` fields), or a JSON body that picks stored households in the caller's regions
(`filter`) and says how to write them.  `GET /v1/exports/{id}` shows its progress;
`GET /v1/exports/{id}/download` gives the file once it is done.

Jobs live in the `export_jobs` table and their files in `EXPORT_DIR/<id>/`, so they survive a
restart: a job found queued or running at start-up is run again from its saved input (the
output is written atomically, so a run cut short left nothing behind).  A job is region-scoped
like everything else: it belongs to the regions of the key that made it, rows outside them get
an error instead of a verdict, and another region's job answers 404.
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from litestar import Controller, Litestar, Request, get, post
from litestar.params import FromPath
from litestar.response import File, Response

from api.dependencies import PoliciesDep, PrincipalDep, RuntimeDep, SessionDep, require_key
from api.problems import ProblemError, field_error, invalid
from api.routes import SECURITY, protected
from api.services import audit, exports
from api.services.exports import ExportRead


class ExportsController(Controller):
    """Export jobs of the caller's regions."""

    path = "/v1/exports"
    tags = ("exports",)
    security = SECURITY
    guards = [require_key]  # noqa: RUF012  (Litestar reads a list)

    def __init__(self, owner: Any) -> None:
        super().__init__(owner)
        if isinstance(owner, Litestar) and not hasattr(owner.state, "export_jobs"):
            # The app's start-up and shut-down reach the job runner from here, so that jobs
            # resume after a restart with no more than this controller in `api.app.ROUTES`.
            owner.state.export_jobs = None
            owner.on_startup.append(exports.start_runner)
            owner.on_shutdown.append(exports.stop_runner)

    @post(
        "/",
        status_code=202,
        responses=protected(413, 415),
        summary="Start an export job",
        request_max_body_size=exports.MAX_UPLOAD,
    )
    async def create(
        self,
        request: Request[Any, Any, Any],
        session: SessionDep,
        principal: PrincipalDep,
        policies: PoliciesDep,
        runtime: RuntimeDep,
    ) -> Response[ExportRead]:
        """A register upload (multipart) or a JSON selection of stored households; 202."""
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        job_id = str(uuid.uuid4())
        folder = runtime.settings.export_dir / job_id
        if content_type == "multipart/form-data":
            job = await exports.from_upload(request, principal, policies, job_id, folder)
        elif content_type in ("application/json", ""):
            body = await request.body()
            try:
                data = msgspec.json.decode(body or b"{}", type=exports.ExportCreate, strict=True)
            except msgspec.ValidationError as exc:
                raise invalid([field_error(exc)]) from None
            except msgspec.DecodeError:
                raise ProblemError(400, "The body is not valid JSON.") from None
            job = await exports.from_households(session, principal, data, job_id, folder)
        else:
            raise ProblemError(
                415, "Send a register as multipart/form-data, or a selection as JSON."
            )
        session.add(job)
        audit.record(session, principal, "create", "export", [(job.id, None)])
        await session.commit()
        exports.job_runner(request.app).start(job.id)
        return Response(
            exports.describe(job, folder),
            status_code=202,
            headers={"Location": f"/v1/exports/{job.id}"},
        )

    @get("/{export_id:str}", responses=protected(404), summary="Read an export job")
    async def read(
        self,
        export_id: FromPath[str],
        session: SessionDep,
        principal: PrincipalDep,
        runtime: RuntimeDep,
    ) -> ExportRead:
        """The job's status and progress (404 if missing or another region's)."""
        job = await exports.find_job(session, principal, export_id)
        return exports.describe(job, runtime.settings.export_dir / job.id)

    @get(
        "/{export_id:str}/download",
        responses=protected(404, 409),
        summary="Download an export",
        media_type="application/octet-stream",
    )
    async def download(
        self,
        export_id: FromPath[str],
        session: SessionDep,
        principal: PrincipalDep,
        runtime: RuntimeDep,
    ) -> File:
        """The result file of a finished job (409 while it is not done)."""
        job = await exports.find_job(session, principal, export_id)
        if job.status != "done" or job.output_path is None:
            raise ProblemError(409, f"The export is {job.status}, not done yet.")
        path = runtime.settings.export_dir / job.id / job.output_path
        if not path.is_file():
            raise ProblemError(409, "The export's file is gone; start the export again.")
        audit.record(session, principal, "read", "export", [(job.id, None)])
        await session.commit()
        return File(
            path=path,
            filename=f"export-{job.id[:8]}.{job.output_format}",
            media_type=exports.MEDIA_TYPES[job.output_format],
        )
