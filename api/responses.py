"""`EncodedJSON`: a 200 answer whose JSON is already encoded (the fast lane of checks).

A `Response` of bytes still costs Litestar a header mapping built and read back (`content-type`
and `content-length` set through `MutableScopeHeaders.setdefault`), cookies and type encoders
normalised: about a tenth of a check around its decision.  This one carries only what a 200
JSON answer needs and sends the two headers as they go on the wire.
"""

from __future__ import annotations

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

    def __init__(self, body: bytes) -> None:
        # What `Response.__init__` would make of these arguments, without normalising the
        # cookies, headers and type encoders this answer does not have.
        self.content = body
        self.background = None
        self.cookies = []
        self.encoding = "utf-8"
        self.headers = {}
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
        return _EncodedBody(self.content)


class _EncodedBody(ASGIResponse):
    """An `ASGIResponse` for a 200 JSON body, its headers given as they are sent."""

    __slots__ = ()

    def __init__(self, body: bytes) -> None:
        # The attributes `ASGIResponse.__init__` sets for such a body (its `__call__` reads
        # them), without a header mapping written and read back.
        self.background = None
        self.body = body
        self.content_length = len(body)
        self.encoding = "utf-8"
        self.headers = MutableScopeHeaders(
            {
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode("latin-1")),
                ]
            }
        )
        self._encoded_cookies = ()
        self.is_head_response = False
        self.status_code = 200
