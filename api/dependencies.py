"""Dependencies handlers ask for by name (`Provide`): runtime, session, caller, language."""

from __future__ import annotations

import functools
from collections.abc import AsyncGenerator
from typing import Annotated, Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter
from litestar.types import ASGIApp, Receive, Scope, Send
from sqlmodel.ext.asyncio.session import AsyncSession

from api.problems import ProblemError, http_exception_handler
from api.runtime import Runtime
from api.schemas import Lang
from api.security import Principal, authenticate, bearer_key, hash_key, unauthorized
from eligibility.programme import PolicySet

RuntimeDep = NamedDependency[Runtime]
SessionDep = NamedDependency[AsyncSession]
PrincipalDep = NamedDependency[Principal]
PoliciesDep = NamedDependency[PolicySet]
LangDep = NamedDependency[Lang]


def runtime_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Runtime:
    """The runtime built at start-up.

    Read from the app's own state: a `state` parameter would be a fresh copy per request.
    """
    runtime: Runtime = connection.app.state.runtime
    return runtime


def provide_runtime(request: Request[Any, Any, Any]) -> Runtime:
    """The runtime built at start-up (see `runtime_of`)."""
    return runtime_of(request)


async def provide_session(runtime: RuntimeDep) -> AsyncGenerator[AsyncSession, None]:
    """One session per request, closed (and rolled back if uncommitted) afterwards."""
    async with runtime.sessions() as session:
        yield session


def provide_policies(runtime: RuntimeDep) -> PolicySet:
    """The policy set in force."""
    return runtime.policies.current


def policies_of(connection: ASGIConnection[Any, Any, Any, Any]) -> PolicySet:
    """The policy set in force, read without the dependency machinery (see `api.routes.checks`)."""
    return runtime_of(connection).policies.current


def require_key(app: ASGIApp) -> ASGIApp:
    """Middleware of the keyed routes: 401 before anything else (even body parsing) without a
    valid key; the caller is kept in the connection's state for `provide_principal`.

    A middleware rather than a guard: Litestar copies the route handler for every guard call,
    which cost each keyed request more than the key check itself.
    """

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        try:
            principal = await _principal(scope)
        except ProblemError as exc:
            # The 401 is answered here, through the `send` this middleware was given: raised
            # on, it would be answered by the app's outermost handling, past the middleware
            # wrapped around this one (the `Allow` of OPTIONS answers, `api.allow`).
            request: Request[Any, Any, Any] = Request(scope, receive, send)
            answer = http_exception_handler(request, exc).to_asgi_response(None, request)
            await answer(scope, receive, send)
            return
        scope.setdefault("state", {})["principal"] = principal
        await app(scope, receive, send)

    return middleware


async def _principal(scope: Scope) -> Principal:
    """The caller a request's bearer key stands for (`PrincipalCache`, else the database)."""
    # ASGI servers give header names in lower case; the first Authorization counts.
    authorization = None
    for name, value in scope["headers"]:
        if name == b"authorization":
            authorization = value.decode("latin-1")
            break
    key_hash = hash_key(bearer_key(authorization))
    runtime: Runtime = scope["litestar_app"].state.runtime
    principal = runtime.keys.get(key_hash)
    if principal is None:
        async with runtime.sessions() as session:
            principal = await authenticate(session, authorization)
        runtime.keys.put(key_hash, principal)
    return principal


def provide_principal(request: Request[Any, Any, Any]) -> Principal:
    """The caller, as established by the `require_key` middleware."""
    principal = request.state.get("principal")
    if not isinstance(principal, Principal):
        raise unauthorized("Send an API key as `Authorization: Bearer <key>`.")
    return principal


def provide_admin(principal: PrincipalDep) -> Principal:
    """The caller, who must hold an admin key (403 otherwise)."""
    if not principal.is_admin:
        raise ProblemError(403, "This needs an admin key.")
    return principal


# `?lang=`, declared once for the `lang` dependency and for the handlers that choose the
# language themselves (`lang_of`).
LangQuery = Annotated[
    Lang | None,
    QueryParameter(name="lang", description="zh or en; overrides Accept-Language"),
]


def lang_of(connection: ASGIConnection[Any, Any, Any, Any], lang_query: Lang | None) -> Lang:
    """`?lang=` if given, else the best of `Accept-Language`, else zh."""
    if lang_query is not None:
        return lang_query
    return lang_of_accept_language(connection.headers.get("accept-language", ""))


def provide_lang(request: Request[Any, Any, Any], lang_query: LangQuery = None) -> Lang:
    """The answer's language (see `lang_of`)."""
    return lang_of(request, lang_query)


@functools.lru_cache(maxsize=256)
def lang_of_accept_language(header: str) -> Lang:
    """The best of zh and en by an `Accept-Language` header (its q-values), else zh.

    Remembered per header text (a client sends the same one every time): a browser's
    (`zh-CN,zh;q=0.9,en;q=0.8`) took about 2 µs to parse, more than a check's key lookup.
    """
    best: tuple[float, Lang] = (0.0, "zh")
    for part in header.split(","):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip().lower()
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        lang: Lang | None = "en" if tag.startswith("en") else "zh" if tag.startswith("zh") else None
        if lang is not None and quality > best[0]:
            best = (quality, lang)
    return best[1]


DEPENDENCIES = {
    "runtime": Provide(provide_runtime, sync_to_thread=False),
    "session": Provide(provide_session),
    "policies": Provide(provide_policies, sync_to_thread=False),
    "principal": Provide(provide_principal, sync_to_thread=False),
    "admin": Provide(provide_admin, sync_to_thread=False),
    "lang": Provide(provide_lang, sync_to_thread=False),
}
