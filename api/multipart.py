"""Reading a multipart/form-data body with every text field bounded.

Litestar's own reader keeps each text field in memory whole, however large, and then decodes
it: a 200 MB `lang` beside a register took the server from 135 MB to 545 MB (and a 500 MB one,
when uploads could be 1 GiB, to 2.2 GB).  Here a file part streams to a spooled temporary file
as before, and a text field stops being read past `MAX_FORM_FIELD` bytes, answered 413 naming
it.  The same parser as Litestar's (`multipart`), the same result type (`FormMultiDict`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

from litestar.datastructures import FormMultiDict, UploadFile
from multipart import (  # type: ignore[import-untyped]
    MultipartSegment,
    ParserError,
    ParserLimitReached,
    PushMultipartParser,
)

from api.problems import VALIDATION_TYPE, FieldError, ProblemError, invalid

# A form's text fields are a format, a date, a code, programme names: a few bytes each.
MAX_FORM_FIELD = 64 * 1024
MAX_FORM_PARTS = 1000  # as Litestar's default


def _too_large(name: str, detail: str) -> ProblemError:
    return ProblemError(
        413,
        "Request Entity Too Large",
        errors=[FieldError(path=f"$.{name}" if name else "$", message=detail)],
        problem_type=VALIDATION_TYPE,
    )


async def read_form(stream: AsyncIterator[bytes], boundary: bytes) -> FormMultiDict:
    """The form's fields and files; 413 for a text field over MAX_FORM_FIELD bytes (or too many
    parts), 400 for a body that is not multipart.  A text field's bytes that are not UTF-8 (or
    its declared charset) raise UnicodeDecodeError, as Litestar's reader does."""
    fields: defaultdict[str, list[Any]] = defaultdict(list)
    segment: MultipartSegment | None = None
    text = bytearray()
    upload: UploadFile | None = None
    first = b""
    async for first in stream:
        if first:
            break
    if not first:
        return FormMultiDict()  # no body at all: no fields (as Litestar reads it)
    try:
        with PushMultipartParser(boundary, max_segment_count=MAX_FORM_PARTS) as parser:
            async for chunk in _prepend(first, stream):
                for part in parser.parse(chunk):
                    if isinstance(part, MultipartSegment):
                        segment = part
                        if part.filename:
                            upload = UploadFile(
                                content_type=part.content_type or "text/plain",
                                filename=part.filename,
                                headers=dict(part.headerlist),
                            )
                    elif part:
                        if upload is not None:
                            await upload.write(part)
                        else:
                            text.extend(part)
                            if len(text) > MAX_FORM_FIELD:
                                name = segment.name if segment else ""
                                raise _too_large(
                                    name, f"a form field is at most {MAX_FORM_FIELD} bytes"
                                )
                    else:  # the end of a part
                        if segment is None:
                            raise invalid([FieldError(path="$", message="invalid multipart")])
                        if upload is not None:
                            await upload.seek(0)
                            fields[segment.name].append(upload)
                            upload = None
                        else:
                            fields[segment.name].append(text.decode(segment.charset or "utf-8"))
                            text = bytearray()
                        segment = None
                if parser.closed:
                    break
    except ParserLimitReached:
        await _close(upload, fields)
        raise _too_large("", f"a form has at most {MAX_FORM_PARTS} parts") from None
    except ParserError:
        await _close(upload, fields)
        raise invalid([FieldError(path="$", message="invalid multipart/form-data")]) from None
    except BaseException:
        await _close(upload, fields)
        raise
    return FormMultiDict.from_form_data({k: v if len(v) > 1 else v[0] for k, v in fields.items()})


async def _prepend(first: bytes, rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    yield first
    async for chunk in rest:
        yield chunk


async def _close(upload: UploadFile | None, fields: dict[str, list[Any]]) -> None:
    """Close every temporary file of a form that will not be returned."""
    if upload is not None:
        await upload.close()
    for values in fields.values():
        for value in values:
            if isinstance(value, UploadFile):
                await value.close()
