"""`EncodedJSON`: a 200 answer whose JSON is already encoded (the fast lane of checks)."""

from __future__ import annotations

from litestar import Response
from litestar.enums import MediaType


class EncodedJSON(Response[bytes]):
    """A 200 `application/json` answer of bytes already encoded."""

    def __init__(self, body: bytes) -> None:
        super().__init__(body, media_type=MediaType.JSON, status_code=200)
