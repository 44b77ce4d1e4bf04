"""The `Allow` header of OPTIONS answers: every method the path serves.

Litestar (2.25) answers OPTIONS itself, but with the methods of the first handler registered on
a path only (its handler keeps the route it was made for, and the later handlers of the same
path make a new route): `OPTIONS /v1/households/{id}` said `GET, OPTIONS` and left out PATCH
and DELETE.  `AllowEveryMethod` sets the header from the app's final routes instead.
"""

from __future__ import annotations

import re

from litestar import Litestar
from litestar.enums import ScopeType
from litestar.routes import HTTPRoute
from litestar.types import ASGIApp, Message, Receive, Scope, Send

_PARAMETER_TYPE = re.compile(r"\{(\w+):[^}]*\}")


def _template(path: str) -> str:
    """A route path as the router's `path_template` gives it: `{id:str}` -> `{id}`."""
    return _PARAMETER_TYPE.sub(r"{\1}", path)


class AllowEveryMethod:
    """Middleware factory; `learn(app)` once the app's routes are final."""

    def __init__(self) -> None:
        self._allow: dict[str, bytes] = {}

    def learn(self, app: Litestar) -> None:
        """Remember each route path's methods (the app's routes are complete when it is)."""
        self._allow = {
            _template(route.path): ", ".join(sorted(route.methods)).encode()
            for route in app.routes
            if isinstance(route, HTTPRoute)
        }

    def __call__(self, app: ASGIApp) -> ASGIApp:
        """Wrap a route's ASGI app: OPTIONS answers get the path's full `Allow`."""

        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            allow = None
            if scope["type"] == ScopeType.HTTP and scope["method"] == "OPTIONS":
                allow = self._allow.get(_template(scope["path_template"]))
            if allow is None:
                await app(scope, receive, send)
                return

            async def send_with_allow(message: Message) -> None:
                if message["type"] == "http.response.start":
                    headers = [
                        (name, value)
                        for name, value in message.get("headers", [])
                        if name.lower() != b"allow"
                    ]
                    message["headers"] = [*headers, (b"allow", allow)]
                await send(message)

            await app(scope, receive, send_with_allow)

        return middleware
