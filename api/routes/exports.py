"""`/v1/exports`: batch evaluation jobs, over an uploaded register or the stored households.

`POST /v1/exports` starts a job and answers 202 with it: a multipart upload (`file`, the
register as CSV, XLSX or Parquet, and optional `format`, `programme`, `as_of`, `lang`,
`reasons`, `region_default` fields), or a JSON body that picks stored households in the
caller's regions (`filter`) and says how to write them.  `GET /v1/exports/{id}` shows its progress;
`GET /v1/exports/{id}/download` gives the file once it is done; `GET /v1/exports/{id}/legend`
spells out the reason codes of a job written with `reasons=codes` in a format other than XLSX
(an XLSX download has them as a sheet); `DELETE /v1/exports/{id}` cancels a job under way and
removes any job with its files.

Jobs live in the `export_jobs` table and their files in `EXPORT_DIR/<id>/`, so they survive a
restart: a job found queued or running at start-up is run again from its saved input (the
output is written atomically, so a run cut short left nothing behind).  A job is region-scoped
like everything else: it belongs to the regions of the key that made it, rows outside them get
an error instead of a verdict, and another region's job answers 404.  Finished and failed jobs
are removed `EXPORT_RETENTION_DAYS` after their last change (`expires_at` says when).

The create handler reads the raw request (it takes either body), so Litestar cannot describe
the body from its signature: `_RegisterOrSelection` writes both alternatives into the OpenAPI
operation, the JSON one derived from `ExportCreate` itself so the two cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

import msgspec
from litestar import Controller, Request, delete, get, post
from litestar.openapi.spec import (
    OpenAPIFormat,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    RequestBody,
    Schema,
)
from litestar.params import FromPath
from litestar.response import File, Response

from api.dependencies import PoliciesDep, PrincipalDep, RuntimeDep, SessionDep, require_key
from api.problems import (
    VALIDATION_TYPE,
    FieldError,
    ProblemError,
    check_as_of,
    field_error,
    invalid,
)
from api.routes import SECURITY, protected
from api.schemas import REASONS_DESCRIPTION, ExportCreate, ExportRead, Lang, ProgrammeId
from api.services import audit, export_runner, exports
from batch.run import REASONS
from eligibility.regions import REGION_CODE_PATTERN


def _openapi_schema(node: Any, definitions: dict[str, Any]) -> Any:
    """msgspec's JSON Schema as Litestar's spec objects, references resolved in place (the
    document has no components for these Structs: no other operation names them)."""
    if isinstance(node, list):
        return [_openapi_schema(item, definitions) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return _openapi_schema(definitions[node["$ref"].rsplit("/", 1)[-1]], definitions)
    fields: dict[str, Any] = {}
    for key, value in node.items():
        name = re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()  # anyOf -> any_of
        if key == "properties":
            fields[name] = {k: _openapi_schema(v, definitions) for k, v in value.items()}
        elif key == "type":
            fields[name] = OpenAPIType(value)
        elif key == "format":
            fields[name] = OpenAPIFormat(value)
        else:
            fields[name] = _openapi_schema(value, definitions)
    return Schema(**fields)


def _selection_schema() -> Schema:
    (root,), definitions = msgspec.json.schema_components([ExportCreate])
    schema = _openapi_schema(root, definitions)
    assert isinstance(schema, Schema)
    return schema


# The multipart fields as `exports.from_upload` reads them.
_REGISTER_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    required=["file"],
    properties={
        "file": Schema(
            type=OpenAPIType.STRING,
            format=OpenAPIFormat.BINARY,
            description="the register: a .csv, .xlsx or .parquet file",
        ),
        "format": Schema(
            type=OpenAPIType.STRING,
            enum=list(exports.MEDIA_TYPES),
            default="xlsx",
            description="the result's format",
        ),
        "programme": Schema(
            type=OpenAPIType.ARRAY,
            items=Schema(type=OpenAPIType.STRING, enum=list(get_args(ProgrammeId))),
            description="programmes to decide (the field may repeat); all when absent",
        ),
        "as_of": Schema(
            type=OpenAPIType.STRING,
            format=OpenAPIFormat.DATE,
            description="the date decided for; today when absent",
        ),
        "lang": Schema(type=OpenAPIType.STRING, enum=list(get_args(Lang)), default="zh"),
        "reasons": Schema(
            type=OpenAPIType.STRING,
            enum=list(REASONS),
            default="text",
            description=REASONS_DESCRIPTION,
        ),
        "region_default": Schema(
            type=OpenAPIType.STRING,
            pattern=REGION_CODE_PATTERN,
            description="GB/T 2260 code for rows without one (within the key's regions)",
        ),
    },
)
_CREATE_BODY = RequestBody(
    description="A register upload, or a selection of stored households (an empty body "
    "selects all of the caller's, written as XLSX).",
    content={
        "multipart/form-data": OpenAPIMediaType(schema=_REGISTER_SCHEMA),
        "application/json": OpenAPIMediaType(schema=_selection_schema()),
    },
    required=False,
)


async def _small_body(request: Request[Any, Any, Any], limit: int) -> bytes:
    """The body, refused with 413 once it passes `limit` bytes (the route's own limit is the
    upload's, far too large for a JSON selection to be read into memory)."""
    too_large = ProblemError(
        413,
        "Request Entity Too Large",
        errors=[FieldError(path="$", message=f"a JSON selection is at most {limit} bytes")],
        problem_type=VALIDATION_TYPE,
    )
    if (request.content_length or 0) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


@dataclass
class _RegisterOrSelection(Operation):
    """The create operation, with the two bodies its handler reads (see the module docs)."""

    def __post_init__(self) -> None:
        self.request_body = _CREATE_BODY


@dataclass
class _OneOfTheFormats(Operation):
    """The download operation: its file comes in the job's format, each with its media type
    (Litestar would document the handler's one `media_type`)."""

    def __post_init__(self) -> None:
        done = (self.responses or {}).get("200")
        if isinstance(done, OpenAPIResponse):
            done.content = {
                media_type: OpenAPIMediaType(
                    schema=Schema(type=OpenAPIType.STRING, content_media_type=media_type)
                )
                for media_type in exports.MEDIA_TYPES.values()
            }


class ExportsController(Controller):
    """Export jobs of the caller's regions."""

    path = "/v1/exports"
    tags = ("exports",)
    security = SECURITY
    middleware = [require_key]  # noqa: RUF012  (Litestar reads a list)

    @post(
        "/",
        status_code=202,
        responses=protected(413, 415),
        summary="Start an export job",
        operation_class=_RegisterOrSelection,
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
            body = await _small_body(request, exports.MAX_SELECTION)
            try:
                data = msgspec.json.decode(body or b"{}", type=ExportCreate, strict=True)
            except msgspec.ValidationError as exc:
                raise invalid([field_error(exc)]) from None
            except msgspec.DecodeError:
                raise ProblemError(400, "The body is not valid JSON.") from None
            check_as_of(policies, {"$.as_of": data.as_of}, dt.date.today())
            job = await exports.from_households(session, principal, data, job_id, folder)
        else:
            raise ProblemError(
                415, "Send a register as multipart/form-data, or a selection as JSON."
            )
        session.add(job)
        audit.record(session, principal, "create", "export", [(job.id, None)])
        await session.commit()
        export_runner.job_runner(request.app).start(job.id)
        return Response(
            exports.describe(job, runtime.settings),
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
        return exports.describe(job, runtime.settings)

    @delete("/{export_id:str}", responses=protected(404), summary="Cancel or delete an export")
    async def remove(
        self,
        request: Request[Any, Any, Any],
        export_id: FromPath[str],
        session: SessionDep,
        principal: PrincipalDep,
    ) -> None:
        """Cancel the job if it is under way, and remove it with its files; 204."""
        await exports.delete_job(
            session, principal, export_runner.job_runner(request.app), export_id
        )

    @get(
        "/{export_id:str}/download",
        responses=protected(404, 409),
        summary="Download an export",
        operation_class=_OneOfTheFormats,
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
        path = exports.result_file(job, runtime.settings)
        return await _served(session, principal, job.id, path, job.output_format, "")

    @get(
        "/{export_id:str}/legend",
        responses=protected(404, 409),
        summary="Download an export's legend of reason codes",
        media_type="text/csv",
    )
    async def legend(
        self,
        export_id: FromPath[str],
        session: SessionDep,
        principal: PrincipalDep,
        runtime: RuntimeDep,
    ) -> File:
        """The reason codes of a finished job written with `reasons=codes` (not XLSX), spelled
        out as CSV in the job's language: programme, code, the reason in zh and in en, and
        where a wording applies (404 if it has none, 409 while not done)."""
        job = await exports.find_job(session, principal, export_id)
        path = exports.legend_file(job, runtime.settings)
        return await _served(session, principal, job.id, path, "csv", ".legend")


async def _served(
    session: SessionDep, principal: PrincipalDep, job_id: str, path: Path, kind: str, part: str
) -> File:
    """A job's file as a download (`export-<id>{part}.{kind}`), its reading audited first."""
    audit.record(session, principal, "read", "export", [(job_id, None)])
    await session.commit()
    return File(
        path=path,
        filename=f"export-{job_id[:8]}{part}.{kind}",
        media_type=exports.MEDIA_TYPES[kind],
    )
