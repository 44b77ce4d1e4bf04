"""Compression of answers: Litestar's gzip middleware, reading `Accept-Encoding` cheaply.

Litestar's `CompressionMiddleware` builds the request's whole `Headers` mapping (every header
decoded into a case-insensitive multidict) to read that one header: about 2.5 µs of every
request, a tenth of `/healthz`.  Here the header is found in the scope's raw list; what is done
with it is Litestar's own.
"""

from __future__ import annotations

from litestar.enums import CompressionEncoding
from litestar.middleware.compression import CompressionMiddleware
from litestar.types import Receive, Scope, Send


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
            wrapped = self.create_compression_send_wrapper(
                send=send, compression_encoding=config.compression_facade.encoding, scope=scope
            )
            await self.app(scope, receive, wrapped)
            return
        if config.gzip_fallback and CompressionEncoding.GZIP in accept_encoding:
            wrapped = self.create_compression_send_wrapper(
                send=send, compression_encoding=CompressionEncoding.GZIP, scope=scope
            )
            await self.app(scope, receive, wrapped)
            return
        await self.app(scope, receive, send)
