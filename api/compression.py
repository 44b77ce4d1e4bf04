"""Compression of answers: Litestar's gzip middleware, reading `Accept-Encoding` cheaply.

Litestar's `CompressionMiddleware` builds the request's whole `Headers` mapping (every header
decoded into a case-insensitive multidict) to read that one header: about 2.5 µs of every
request, a tenth of `/healthz`.  Here the header is found in the scope's raw list; what is done
with it is Litestar's own.  An answer that comes with its `content-encoding` already (the
checks' fast lane gzips its answers with their larger part compressed once,
`api.responses.gzipped`) is sent as it is: Litestar's compressor is made only for an answer
that has none.  Where an answer would be gzipped, the scope says so (`gzip_of`), for a route
that gzips its answer itself.  Whether the client accepts a coding is read with its q-values
by one parser (`accepts`): `gzip;q=0`, `identity` alone or `*;q=0` get no gzip, from the
checks' fast lane or from Litestar's compressor.
"""

from __future__ import annotations

import functools
import re
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
        if accepts(accept_encoding, config.compression_facade.encoding):
            if config.compression_facade.encoding == CompressionEncoding.GZIP:
                _asks_gzip(scope, config.gzip_compress_level, config.minimum_size)
            wrapped = self._compressing(send, config.compression_facade.encoding, scope)
            await self.app(scope, receive, wrapped)
            return
        if config.gzip_fallback and accepts(accept_encoding, CompressionEncoding.GZIP):
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


@functools.lru_cache(maxsize=256)
def accepts(accept_encoding: str, coding: str) -> bool:
    """Whether an `Accept-Encoding` value accepts `coding` (RFC 9110, 12.5.3): named with a
    q-value above 0 (`x-gzip` is `gzip`), or not named and `*` has one above 0.  A coding
    named with `q=0` is refused even where `*` would allow it, and a q-value that is not one
    (`q=high`) is read as 0: never compress for a client that may not want it.  No header, or
    an empty one, accepts nothing here (answers are sent as they are).  Kept per value: a
    client sends the same few."""
    wanted = coding.lower()
    named: float | None = None
    anything: float | None = None
    for element in accept_encoding.split(","):
        name, _, parameters = element.partition(";")
        name = name.strip().lower()
        if name == "x-gzip":
            name = "gzip"
        if name != wanted and name != "*":
            continue
        q = _q_value(parameters)
        if name == "*":
            anything = q if anything is None else min(anything, q)
        else:
            named = q if named is None else min(named, q)
    if named is not None:
        return named > 0
    return anything is not None and anything > 0


_Q_VALUE = re.compile(r"(?:0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?)")


def _q_value(parameters: str) -> float:
    """The `q` of an element's parameters (1 when it has none; 0 when it is not a q-value)."""
    for parameter in parameters.split(";"):
        key, _, value = parameter.partition("=")
        if key.strip().lower() == "q":
            value = value.strip()
            return float(value) if _Q_VALUE.fullmatch(value) else 0.0
    return 1.0


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
