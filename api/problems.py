"""Errors as `application/problem+json` (RFC 9457), each naming the offending fields.

Every 4xx carries `type`, `title`, `status`, `detail` and an `errors` list of `{path, message}`
where `path` is a JSON path into the request body (`$.person.id_number`) or `query.<name>` /
`path.<name>` for parameters.  Unexpected failures become a 500 problem without internals.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import AsyncGenerator, Mapping
from http import HTTPStatus
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.connection import Request as BaseRequest
from litestar.datastructures import FormMultiDict
from litestar.di import Provide
from litestar.enums import RequestEncodingType
from litestar.exceptions import HTTPException, InternalServerException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.types import ReceiveMessage

from eligibility.as_of_range import as_of_range
from eligibility.identity import IDENTITY_NUMBER_TEXT_PATTERN
from eligibility.programme import PolicySet
from eligibility.regions import REGION_CODE_MESSAGE, REGION_CODE_PATTERN

PROBLEM_MEDIA_TYPE = "application/problem+json"
VALIDATION_TYPE = "urn:rural-support:problem:invalid-request"

_log = logging.getLogger(__name__)
_AT = re.compile(r"^(?P<message>.*?)(?: - at `(?P<path>\$[^`]*)`)?$", re.DOTALL)
_NAMED_FIELD = re.compile(r"(?:unknown|missing required) field `(?P<name>[^`]+)`")
# Litestar reports a parameter left out in its detail only ("Missing required query parameter
# 'against' for path …"): the problem names it as `query.against`.
_MISSING_PARAMETER = re.compile(r"Missing required (?P<source>\w+) parameter '(?P<name>[^']+)'")
_PREFIXED_FIELD = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*): (?P<rest>.*)$", re.DOTALL)


# Problems quote what was sent ("Invalid enum value 'xyz'", an unknown field's name): a value is
# echoed up to MAX_ECHO characters, a whole text up to MAX_TEXT, so a huge value never makes a
# huge answer (enough of it to recognise what was sent).
MAX_ECHO = 64
MAX_TEXT = 500
_ELLIPSIS = "…"
_QUOTED = re.compile(
    rf"(?P<q>['\"`])(?P<value>(?:(?!(?P=q)).){{{MAX_ECHO + 1},}})(?P=q)", re.DOTALL
)


def bounded(text: str) -> str:
    """`text` with each quoted value longer than MAX_ECHO characters cut (marked with …), and
    the whole cut to MAX_TEXT characters."""
    if len(text) <= MAX_ECHO:
        return text
    text = _QUOTED.sub(lambda m: m["q"] + m["value"][: MAX_ECHO - 1] + _ELLIPSIS + m["q"], text)
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + _ELLIPSIS


class FieldError(msgspec.Struct, frozen=True, kw_only=True):
    """One thing wrong with the request, and where (both bounded: see `bounded`)."""

    path: str
    message: str

    def __post_init__(self) -> None:
        # The one place every field error passes, whichever door built it.
        msgspec.structs.force_setattr(self, "path", bounded(self.path))
        msgspec.structs.force_setattr(self, "message", bounded(self.message))


class Problem(msgspec.Struct, frozen=True, kw_only=True):
    """An RFC 9457 problem document (its `detail` bounded like a field error's message)."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldError] = []

    def __post_init__(self) -> None:
        msgspec.structs.force_setattr(self, "detail", bounded(self.detail))


class ProblemError(HTTPException):
    """An error the client can fix, answered as a problem document."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        errors: list[FieldError] | None = None,
        problem_type: str = "about:blank",
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail=detail, status_code=status, headers=headers)
        self.errors = errors or []
        self.problem_type = problem_type


# The patterns a validation message quotes, in words: a caseworker who sent "临猗县" reads what a
# code must be and where a name goes, not the regular expression (review #15).
_PATTERN_WORDS: dict[str, str] = {
    REGION_CODE_PATTERN: REGION_CODE_MESSAGE,
    IDENTITY_NUMBER_TEXT_PATTERN: "must be an 18-character ID number (17 digits, then 0-9 or X)",
}
# Where a place's name may stand for its code, by the code's field.
_NAME_FIELDS: dict[str, str] = {
    "region_code": "region_name",
    "work_region_code": "work_region_name",
    "region": "region_name",
}


def _plain(message: str, path: str) -> str:
    """`message` with a quoted pattern said in words (and, for a code, where a name goes)."""
    for pattern, words in _PATTERN_WORDS.items():
        # msgspec quotes a pattern with its backslashes doubled.
        if pattern in message or pattern.replace("\\", "\\\\") in message:
            field = path.rsplit(".", 1)[-1]
            name = _NAME_FIELDS.get(field)
            if pattern == REGION_CODE_PATTERN and name is not None and path.startswith("$"):
                return f"{words}; a place's name goes in {name}"
            return words
    return message


def field_error(exc: msgspec.ValidationError | ValueError, prefix: str = "$") -> FieldError:
    """A msgspec validation error as a field path and a message.

    msgspec reports `... - at `$.person``; a `__post_init__` check reports `id_number: ...` at
    its struct, and unknown or missing fields name themselves: all end up in the path.
    """
    match = _AT.match(str(exc))
    assert match is not None  # the pattern matches any text
    message = match.group("message")
    path = match.group("path") or "$"
    named = _NAMED_FIELD.search(message)
    prefixed = _PREFIXED_FIELD.match(message)
    if named:
        path = f"{path}.{named.group('name')}"
    elif prefixed:
        path = f"{path}.{prefixed.group('name')}"
        message = prefixed.group("rest")
    return FieldError(path=prefix + path[1:], message=_plain(message, path))


def invalid(errors: list[FieldError], detail: str = "The request is not valid.") -> ProblemError:
    """A 400 naming each field that is wrong."""
    return ProblemError(400, detail, errors=errors, problem_type=VALIDATION_TYPE)


def as_of_errors(
    policies: PolicySet, dates: Mapping[str, dt.date | None], today: dt.date
) -> list[FieldError]:
    """Each date of `dates` (by the path that gave it) outside the dates an answer may be asked
    for (`eligibility.as_of_range`), named with why."""
    if all(day is None for day in dates.values()):
        return []
    allowed = as_of_range(policies, today)
    return [
        FieldError(path=path, message=problem)
        for path, day in dates.items()
        if day is not None and (problem := allowed.problem(day)) is not None
    ]


def asked_date(policies: PolicySet, as_of: dt.date | None, path: str = "query.as_of") -> dt.date:
    """`as_of`, or today where none is given; a 400 naming `path` (`check_as_of`) for a date
    no answer may be asked for."""
    today = dt.date.today()
    check_as_of(policies, {path: as_of}, today)
    return as_of or today


def check_as_of(policies: PolicySet, dates: Mapping[str, dt.date | None], today: dt.date) -> None:
    """A 400 naming each date of `dates` that no answer may be asked for (`as_of_errors`): a
    well-formed date the rules cannot answer for."""
    errors = as_of_errors(policies, dates, today)
    if errors:
        raise ProblemError(
            400,
            "The date asked for is outside the dates the rules cover.",
            errors=errors,
            problem_type=VALIDATION_TYPE,
        )


def _problem_response(problem: Problem, headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(
        content=msgspec.json.encode(problem),
        status_code=problem.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _parameter_name(request: BaseRequest[Any, Any, Any], key: str) -> str:
    """The name a parameter is sent under (`lang`), where Litestar reports the handler's or a
    dependency's own name for it (`lang_query`)."""
    try:
        handler = request.route_handler
        signatures = [handler.parsed_fn_signature]
        signatures += [
            provide.parsed_fn_signature
            for provide in handler.resolve_dependencies().values()
            if isinstance(provide, Provide)
        ]
    except Exception:  # a name is only words: never fail an error answer
        return key
    for signature in signatures:
        parameter = signature.parameters.get(key)
        kwarg = None if parameter is None else parameter.kwarg_definition
        for alias in ("query", "header", "cookie", "name"):
            named = getattr(kwarg, alias, None)
            if isinstance(named, str) and named:
                return named
    return key


def _validation_errors(
    exc: ValidationException, request: BaseRequest[Any, Any, Any]
) -> list[FieldError]:
    extra = exc.extra if isinstance(exc.extra, list) else []
    errors = []
    for item in extra:
        if not isinstance(item, dict):
            continue
        message = str(item.get("message", "invalid"))
        key = str(item.get("key", ""))
        raw_source = item.get("source", "body")
        source = str(getattr(raw_source, "value", raw_source))
        if source == "body":
            path = "$" if key in ("", "data") else "$." + key.removeprefix("data.")
            named = _NAMED_FIELD.search(message)
            if named:
                path = f"{path}.{named.group('name')}"
        else:
            key = _parameter_name(request, key) if key else key
            path = f"{source}.{key}" if key else source
        errors.append(FieldError(path=path, message=_plain(message, path)))
    if not errors:
        missing = _MISSING_PARAMETER.match(exc.detail)
        path = "$" if missing is None else f"{missing['source']}.{missing['name']}"
        errors.append(FieldError(path=path, message=exc.detail))
    return errors


def http_exception_handler(
    request: BaseRequest[Any, Any, Any], exc: HTTPException
) -> Response[Any]:
    """Any HTTP error (ours, routing's, validation's) as a problem document."""
    status = exc.status_code
    if isinstance(exc, ProblemError):
        errors, problem_type = exc.errors, exc.problem_type
    elif isinstance(exc, ValidationException):
        errors, problem_type = _validation_errors(exc, request), VALIDATION_TYPE
    elif status in (400, 413, 415, 422):
        # The body itself is unreadable (bad JSON, too large, wrong media type).
        errors, problem_type = [FieldError(path="$", message=exc.detail)], VALIDATION_TYPE
    else:
        errors, problem_type = [], "about:blank"
    if status >= 500:
        _log.error(
            "server error on %s %s: %s", request.method, request.url.path, bounded(exc.detail)
        )
        detail = "The server could not answer this request."
    else:
        detail = exc.detail or _title(status)
    problem = Problem(
        type=problem_type, title=_title(status), status=status, detail=detail, errors=errors
    )
    return _problem_response(problem, exc.headers)


def internal_error_handler(request: BaseRequest[Any, Any, Any], exc: Exception) -> Response[Any]:
    """A bug: logged with its traceback, answered as a bare 500 problem."""
    _log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    problem = Problem(
        type="about:blank",
        title=_title(500),
        status=500,
        detail="The server could not answer this request.",
    )
    return _problem_response(problem)


class ClientDisconnected(Exception):
    """The client went away before its request body was read: not a fault of the server."""


# What nginx logs for a client that closed its connection before the answer: no client reads
# it, and the access log shows a client going away, not a 500.
CLIENT_CLOSED_REQUEST = 499


def client_disconnected_handler(
    request: BaseRequest[Any, Any, Any], exc: ClientDisconnected
) -> Response[Any]:
    """A client gone away mid-request: one INFO line, no traceback, never counted as a 500."""
    del exc
    _log.info("client went away during %s %s", request.method, request.url.path)
    return Response(content=b"", status_code=CLIENT_CLOSED_REQUEST)


def _is_json(media_type: str) -> bool:
    """application/json, or a JSON-based type (application/merge-patch+json ...)."""
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


class StrictRequest(Request[Any, Any, Any]):
    """A request whose JSON body is checked strictly against the handler's `data` type.

    Litestar converts bodies leniently (`"5"` passes as `5`) and reports unknown fields without
    their name; checking here first gives exact types and a path for every error.  A multipart
    form is read with its text fields bounded (Litestar keeps each whole in memory).
    """

    _bounded_form: FormMultiDict | None = None

    async def stream(self) -> AsyncGenerator[bytes, None]:
        """The body's chunks; `ClientDisconnected` if the client goes away first.

        Litestar raises `InternalServerException` ("client disconnected prematurely"), which
        reads as a server error; the ASGI `http.disconnect` message itself tells them apart.
        """
        receive = self.receive
        gone = False

        async def watched() -> ReceiveMessage:
            nonlocal gone
            message = await receive()
            gone = gone or message["type"] == "http.disconnect"
            return message

        self.receive = watched
        try:
            async for chunk in super().stream():
                yield chunk
        except InternalServerException:
            if gone:
                raise ClientDisconnected from None
            raise
        finally:
            self.receive = receive

    async def json(self) -> Any:
        """The body as the declared `data` type, converted strictly (the decoded JSON when the
        handler declares none); 415 for a body sent as another media type (text/plain, XML:
        Litestar would parse it as JSON)."""
        media_type = self.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type and not _is_json(media_type):
            raise ProblemError(
                415,
                "Unsupported Media Type",
                errors=[FieldError(path="$", message="send the body as application/json")],
                problem_type=VALIDATION_TYPE,
            )
        try:
            value = await super().json()
        except RecursionError:
            # msgspec refuses documents nested deeper than the interpreter's stack allows.
            raise invalid([FieldError(path="$", message="nested too deeply")]) from None
        field = self.route_handler.parsed_fn_signature.parameters.get("data")
        if field is None:
            return value
        try:
            # The checked value itself is the handler's `data`: Litestar's own (lenient)
            # conversion then passes it through instead of building it a second time.
            return msgspec.convert(value, field.annotation, strict=True)
        except msgspec.ValidationError as exc:
            raise invalid([field_error(exc)]) from None
        except RecursionError:
            raise invalid([FieldError(path="$", message="nested too deeply")]) from None

    async def form(self) -> FormMultiDict:
        """The form, its text fields bounded when it is multipart (see `api.multipart`)."""
        media_type, options = self.content_type
        if media_type != RequestEncodingType.MULTI_PART:
            return await super().form()
        if self._bounded_form is None:
            boundary = options.get("boundary")
            if not boundary:
                raise invalid([FieldError(path="$", message="multipart boundary missing")])
            # Imported here: api.multipart builds its errors with this module's types.
            from api.multipart import read_form

            self._bounded_form = await read_form(self.stream(), boundary.encode())
        return self._bounded_form


def problem_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI entries for the problem answers a handler can give."""
    return {
        status: ResponseSpec(
            data_container=Problem,
            description=_title(status),
            media_type=PROBLEM_MEDIA_TYPE,
            generate_examples=False,
        )
        for status in statuses
    }
