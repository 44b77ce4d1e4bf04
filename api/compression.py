"""Compression of answers: Litestar's gzip middleware, reading `Accept-Encoding` cheaply.

Litestar's `CompressionMiddleware` builds the request's whole `Headers` mapping (every header
decoded into a case-insensitive multidict) to read that one header: about 2.5 µs of every
request, a tenth of `/healthz`.  Here the header is found in the scope's raw list; what is done
with it is Litestar's own.  An answer that comes with its `content-encoding` already (the
checks' fast lane gzips its answers with their larger part compressed once,
`api.responses.gzipped`) is sent as it is: Litestar's compressor is made only for an answer
that has none.  Where an answer would be gzipped, the scope says so (`gzip_of`), for a route
that gzips its answer itself.
"""

from __future__ import annotations

from typing import Any, cast

from litestar.enums import CompressionEncoding
from litestar.middleware.compression import CompressionMiddleware
from litestar.types import Message, Receive, Scope, Send


class RawHeaderCompression(CompressionMiddleware):
    """`CompressionMiddleware`, its `Accept-Encoding` read from the raw headers (the first one,
    as `Headers.get` gives it)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Compress the answer with the app's backend, or gzip, if the client accepts it."""
        accept_encoding = ""
        for name, value in scope["headers"]:
            if name.lower() == b"accept-encoding":
                accept_encoding = value.decode("latin-1")
                break
        config = self.config
        if config.compression_facade.encoding in accept_encoding:
            if config.compression_facade.encoding == CompressionEncoding.GZIP:
                _asks_gzip(scope, config.gzip_compress_level, config.minimum_size)
            wrapped = self._compressing(send, config.compression_facade.encoding, scope)
            await self.app(scope, receive, wrapped)
            return
        if config.gzip_fallback and CompressionEncoding.GZIP in accept_encoding:
            _asks_gzip(scope, config.gzip_compress_level, config.minimum_size)
            wrapped = self._compressing(send, CompressionEncoding.GZIP, scope)
            await self.app(scope, receive, wrapped)
            return
        await self.app(scope, receive, send)

    def _compressing(self, send: Send, encoding: str, scope: Scope) -> Send:
        """`send` through Litestar's compressor, made at the answer's start unless the answer
        has a `content-encoding` of its own (then sent as it is)."""
        chosen: Send | None = None

        async def send_compressed(message: Message) -> None:
            nonlocal chosen
            if chosen is None:
                encoded = message["type"] == "http.response.start" and any(
                    name.lower() == b"content-encoding" for name, _ in message.get("headers", ())
                )
                chosen = (
                    send
                    if encoded
                    else self.create_compression_send_wrapper(
                        send=send, compression_encoding=encoding, scope=scope
                    )
                )
            await chosen(message)

        return send_compressed


# Said in the request's own scope (not its `state`, which a server may share between requests
# or copy from the lifespan's): one request's gzip is never another's.
_GZIP = "api.compression.gzip"


def _asks_gzip(scope: Scope, level: int, minimum_size: int) -> None:
    cast("dict[str, Any]", scope)[_GZIP] = (level, minimum_size)


def gzip_of(scope: Scope) -> tuple[int, int] | None:
    """The gzip level and the least size compressed, where this request's answer would be
    gzipped (the client accepts it, the path is not excluded); else None."""
    found: tuple[int, int] | None = cast("dict[str, Any]", scope).get(_GZIP)
    return found
