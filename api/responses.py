"""`EncodedJSON`: a 200 answer whose JSON is already encoded (the fast lane of checks).

A `Response` of bytes still costs Litestar a header mapping built and read back (`content-type`
and `content-length` set through `MutableScopeHeaders.setdefault`), cookies and type encoders
normalised: about a tenth of a check around its decision.  This one carries only what a 200
JSON answer needs and sends the two headers as they go on the wire.

`gzipped`: an answer of two parts gzipped with its larger part compressed once.  Compressing the
typical check's 15 KB (gzip level 1) took more than the rest of the check; the part its
determinations, sources and questions make is the same object for every answer with the same
shown determinations (`eligibility.reply.reply_parts`), so it is compressed once and kept.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from litestar import Response
from litestar.background_tasks import BackgroundTask, BackgroundTasks
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.enums import MediaType
from litestar.response.base import ASGIResponse

if TYPE_CHECKING:
    from litestar import Litestar, Request
    from litestar.types import TypeEncodersMap


class EncodedJSON(Response[bytes]):
    """A 200 `application/json` answer of bytes already encoded.

    A route that adds headers, cookies or background tasks of its own gets Litestar's general
    path (`Response.to_asgi_response`), so nothing it asks for is lost.
    """

    __slots__ = ()

    def __init__(self, body: bytes, *, gzip: bool = False) -> None:
        # What `Response.__init__` would make of these arguments, without normalising the
        # cookies, headers and type encoders this answer does not have.  `gzip`: the body is
        # gzipped already (`gzipped`): sent so, as Litestar's compression would send it.
        self.content = body
        self.background = None
        self.cookies = []
        self.encoding = "utf-8"
        self.headers = _GZIP_HEADERS.copy() if gzip else {}
        self.media_type = MediaType.JSON
        self.status_code = 200
        self.response_type_encoders = {}

    def to_asgi_response(
        self,
        app: Litestar | None,
        request: Request[Any, Any, Any],
        *,
        background: BackgroundTask | BackgroundTasks | None = None,
        cookies: Iterable[Cookie] | None = None,
        encoded_headers: Iterable[tuple[bytes, bytes]] | None = None,
        headers: dict[str, str] | None = None,
        is_head_response: bool = False,
        media_type: MediaType | str | None = None,
        status_code: int | None = None,
        type_encoders: TypeEncodersMap | None = None,
    ) -> ASGIResponse:
        """The ASGI answer: the body as it is, with its type and length."""
        cookies = list(cookies or ())
        if background or cookies or encoded_headers or headers or is_head_response:
            if self.headers:
                headers = {**self.headers, **(headers or {})}
            return super().to_asgi_response(
                app,
                request,
                background=background,
                cookies=cookies,
                encoded_headers=encoded_headers,
                headers=headers,
                is_head_response=is_head_response,
                media_type=media_type,
                status_code=status_code,
                type_encoders=type_encoders,
            )
        return _EncodedBody(self.content, gzip=bool(self.headers))


class _EncodedBody(ASGIResponse):
    """An `ASGIResponse` for a 200 JSON body, its headers given as they are sent."""

    __slots__ = ()

    def __init__(self, body: bytes, *, gzip: bool = False) -> None:
        # The attributes `ASGIResponse.__init__` sets for such a body (its `__call__` reads
        # them), without a header mapping written and read back.
        self.background = None
        self.body = body
        self.content_length = len(body)
        self.encoding = "utf-8"
        raw = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode("latin-1")),
        ]
        if gzip:
            raw.extend(_GZIP_RAW)
        self.headers = MutableScopeHeaders({"headers": raw})
        self._encoded_cookies = ()
        self.is_head_response = False
        self.status_code = 200


# The headers Litestar's compression adds to a gzipped answer.
_GZIP_HEADERS = {"content-encoding": "gzip", "vary": "Accept-Encoding"}
_GZIP_RAW = [(name.encode(), value.encode()) for name, value in _GZIP_HEADERS.items()]


def gzipped(opening: bytes, rest: bytes, level: int, *, keep: bool = True) -> bytes:
    """`opening + rest` gzipped (RFC 1952): one member whose deflate stream is `opening` as a
    stored block, then `rest` compressed at `level` on its own (compressed once per `rest`
    object and level and kept, up to `_GZIPPED_BYTES`, unless `keep` is false: a rest made for
    one answer only).  A stored block ends on a byte boundary and
    `rest`'s blocks refer back only within `rest`, so the two make one valid stream; the
    trailer's CRC-32 and size are those of the whole."""
    length = len(opening)
    if length > 0xFFFF:  # more than one stored block holds: compressed whole
        compressor = zlib.compressobj(level, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        return compressor.compress(opening + rest) + compressor.flush()
    found = _GZIPPED.entries.get((id(rest), level))
    if found is not None and found[0] is rest:
        compressed = found[1]
    else:
        compressor = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS)
        compressed = compressor.compress(rest) + compressor.flush()
        held = len(rest) + len(compressed)
        if keep:
            if _GZIPPED.size + held > _GZIPPED_BYTES:
                _GZIPPED.entries.clear()
                _GZIPPED.size = 0
            # Held with it, the `rest` keeps its id its own while the entry lives.
            _GZIPPED.entries[id(rest), level] = (rest, compressed)
            _GZIPPED.size += held
    crc = zlib.crc32(rest, zlib.crc32(opening))
    return b"".join(
        (
            _GZIP_HEADER,
            # A stored block, not the last: BFINAL 0, BTYPE 00, then LEN and its complement.
            struct.pack("<BHH", 0, length, length ^ 0xFFFF),
            opening,
            compressed,
            struct.pack("<II", crc, (length + len(rest)) & 0xFFFFFFFF),
        )
    )


# ID 1F 8B, deflate, no flags, no time, no extra flags, OS unknown.
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"


class _Gzipped:
    __slots__ = ("entries", "size")

    def __init__(self) -> None:
        self.entries: dict[tuple[int, int], tuple[bytes, bytes]] = {}
        self.size = 0  # bytes held: each rest and its compressed form


_GZIPPED = _Gzipped()
_GZIPPED_BYTES = 24 << 20
