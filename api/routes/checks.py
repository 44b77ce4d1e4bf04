"""`POST /v1/checks` and `/v1/checks/batch`: decide applicants now, store nothing."""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Sequence
from typing import Annotated, Any, NamedTuple, get_args

import anyio
import msgspec
from litestar import Controller, Request, post
from litestar.params import JSONBody, QueryParameter
from litestar.types import Receive, ReceiveMessage

from api.compression import gzip_of
from api.dependencies import (
    LangQuery,
    lang_of,
    lang_of_accept_language,
    policies_of,
    require_key,
)
from api.problems import (
    FieldError,
    ProblemError,
    as_of_errors,
    check_as_of,
    field_error,
    invalid,
)
from api.responses import EncodedJSON, gzipped
from api.routes import SECURITY, DetailQuery, protected
from api.schemas import (
    BatchCheckItem,
    BatchCheckRequest,
    BatchCheckResult,
    CheckInput,
    CheckResult,
    Lang,
    ProgrammeId,
    applicant_of_input,
    check_result,
)
from api.services.assessments import check_programmes
from eligibility.answer import Determination
from eligibility.derive import FactError
from eligibility.determination import determine
from eligibility.facts import Applicant
from eligibility.programme import PolicySet
from eligibility.reply import (
    DETAILS,
    Detail,
    Prepared,
    basis,
    prepare,
    prepared_tables,
    reply,
    reply_parts,
)

Programmes = Annotated[
    list[ProgrammeId] | None,
    QueryParameter(description="only these programmes (repeatable)"),
]
Suggest = Annotated[
    bool,
    QueryParameter(
        description="with each determination, what would change it (`suggestions`): for a "
        "programme not eligible, the smallest sets of fact changes that make it eligible, or "
        "one to apply for where only the bank's or county's checks at application are left "
        "(the suggestion's `verdict` is then `needs_info`; for a fact that changes with time, "
        "the day it does), each citing the criteria and sources it satisfies; for an eligible "
        "one, the changes that raise the amount.  Off by default: "
        "they make the answer larger, and working them out adds 30–45 % to the decision."
    ),
]
AsOf = Annotated[
    dt.date | None,
    QueryParameter(description="date for applicants that give none (default today)"),
]


def decided(
    policies: PolicySet,
    data: CheckInput | Applicant,
    lang: Lang,
    programmes: Sequence[ProgrammeId] | None,
    as_of: dt.date | None,
    suggest: bool,
) -> list[Determination]:
    """The determinations of `POST /v1/checks` once its query and body are read (by the handler
    or by the fast lane): 400 naming a programme the policies do not know or a fact the core
    refuses, 400 naming a date no answer may be asked for.  `data` is the body as `CheckInput`
    reads it, or the core's `Applicant` where the fast lane read it so (it names no place)."""
    check_programmes(policies, programmes, "query.programme")
    today = dt.date.today()
    check_as_of(policies, {"query.as_of": as_of, "$.as_of": data.as_of}, today)
    applicant = applicant_of_input(data) if isinstance(data, CheckInput) else data
    try:
        return determine(
            applicant,
            policies,
            programmes=programmes,
            lang=lang,
            today=as_of or today,
            suggest=suggest,
        )
    except FactError as exc:
        raise invalid([FieldError(path=f"$.{exc.path}", message=exc.message)]) from None


def check_one(
    policies: PolicySet,
    data: CheckInput,
    lang: Lang,
    programmes: Sequence[ProgrammeId] | None,
    as_of: dt.date | None,
    suggest: bool,
    detail: Detail,
) -> CheckResult:
    """The answer to `POST /v1/checks` (see `decided`), as the handler returns it."""
    determinations = decided(policies, data, lang, programmes, as_of, suggest)
    return check_result(reply(determinations, policies, lang, detail))


def check_parts(
    policies: PolicySet,
    data: CheckInput | Applicant,
    lang: Lang,
    programmes: Sequence[ProgrammeId] | None,
    as_of: dt.date | None,
    suggest: bool,
    detail: Detail,
) -> tuple[bytes, bytes]:
    """`check_one`'s answer encoded in two parts (joined, the same bytes), as the fast lane
    sends it: the second is kept with the shown determinations (`eligibility.reply.reply_parts`),
    so what is made of it can be kept too."""
    determinations = decided(policies, data, lang, programmes, as_of, suggest)
    return reply_parts(determinations, policies, lang, detail)


# --- the fast lane of `POST /v1/checks` --------------------------------------------------------
#
# Litestar reading a check the documented way (its kwargs and signature models, the body decoded
# to builtins and converted twice, the query validated, the answer's `Response` and headers
# built) cost more than the HTTP work a check needs.  The fast lane, a `before_request` hook of
# the handler, reads the request itself when it is spelled the plainest way: each query
# parameter one the handler declares, with a value in its canonical spelling (`suggest=true`,
# not `suggest=1`), the scalar ones at most once; the body `application/json` (or sent without
# a type), decoded straight into the core's `Applicant` (into `CheckInput` where it names a
# place), exactly as strictly as `StrictRequest` converts it.  Anything else (an unknown or
# repeated parameter, another spelling, a body that does not decode) it leaves to the
# handler: Litestar reads it there and answers its problems, so every
# error is the documented one, and both answer through `decided` (the fast lane's bytes by
# `check_parts`, the handler's answer by `check_one`: the same bytes).  It reads no more than the
# handler would: 415 and 413 come in the same order, and a body it declines is put back for the
# handler to read.  A query naming a parameter added to the handler is left to it
# until `plain_query` and `CheckQuery` read it too (`check_parts` taking it, the type checker
# sees that the fast lane passes it); `tests/api/test_api_checks_fast_lane.py` holds both ways
# to the same answers.  (Litestar runs only the nearest layer's `before_request`: one set on
# the app or the controller would not run for this handler.)

_PROGRAMMES: dict[bytes, ProgrammeId] = {p.encode(): p for p in get_args(ProgrammeId)}
_LANGS: dict[bytes, Lang] = {lang.encode(): lang for lang in get_args(Lang)}
_DETAILS: dict[bytes, Detail] = {d.encode(): d for d in DETAILS}
_SUGGEST = {b"true": True, b"false": False}
_DATE = re.compile(rb"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_BODY = msgspec.json.Decoder(CheckInput, strict=True)
# A body that names no place (`region_name`, `work_region_name`) is the core's `Applicant` as it
# is: read straight into it, the body is not read as `CheckInput` and then converted (a few µs).
# `CheckInput` accepts every body `Applicant` does, and reads it to the same applicant.
_APPLICANT_BODY = msgspec.json.Decoder(Applicant, strict=True)


class CheckQuery(NamedTuple):
    """The query of a check as the handler's parameters take it."""

    programmes: tuple[ProgrammeId, ...] | None = None
    lang: Lang | None = None
    as_of: dt.date | None = None
    suggest: bool = False
    detail: Detail = "full"


_NO_QUERY = CheckQuery()


@functools.lru_cache(maxsize=256)
def plain_query(raw: bytes) -> CheckQuery | None:
    """The check's query string read, or None where it is not spelled the plainest way (see
    above): the handler's validation reads it then.  Remembered per query string, which is all
    it depends on (a client sends the same few)."""
    if not raw:
        return _NO_QUERY
    programmes: list[ProgrammeId] = []
    lang: Lang | None = None
    as_of: dt.date | None = None
    suggest: bool | None = None
    detail: Detail | None = None
    for pair in raw.split(b"&"):
        name, _, value = pair.partition(b"=")
        if name == b"programme" and value in _PROGRAMMES:
            programmes.append(_PROGRAMMES[value])
        elif name == b"lang" and lang is None and value in _LANGS:
            lang = _LANGS[value]
        elif name == b"detail" and detail is None and value in _DETAILS:
            detail = _DETAILS[value]
        elif name == b"suggest" and suggest is None and value in _SUGGEST:
            suggest = _SUGGEST[value]
        elif name == b"as_of" and as_of is None and _DATE.fullmatch(value):
            try:
                as_of = dt.date.fromisoformat(value.decode())
            except ValueError:
                return None
        else:
            return None
    return CheckQuery(
        programmes=tuple(programmes) or None,
        lang=lang,
        as_of=as_of,
        suggest=bool(suggest),
        detail=detail or "full",
    )


async def fast_lane(request: Request[Any, Any, Any]) -> EncodedJSON | None:
    """The answer to a check spelled the plainest way, or None to leave it to the handler."""
    query = plain_query(request.scope["query_string"])
    if query is None:
        return None
    content_type = language = length = None
    for name, value in request.scope["headers"]:
        if name == b"content-type":
            if content_type is not None:
                return None
            content_type = value
        elif name == b"accept-language":
            if language is not None:
                return None
            language = value
        elif name == b"content-length":
            if length is not None:
                return None
            length = value
    if content_type is not None and content_type != b"application/json":
        return None
    # The body in one message, within the limit and as long as announced, is read here without
    # `Request.body`'s async generator (a few µs); otherwise, or when the body does not decode,
    # the message is put back for the handler's reading, with its limit and its errors.
    message = await request.receive()
    data = _whole_body(request, message, length)
    if data is None:
        request.receive = _put_back(message, request.receive)
        return None
    lang = query.lang or lang_of_accept_language(language.decode("latin-1") if language else "")
    opening, rest = check_parts(
        policies_of(request), data, lang, query.programmes, query.as_of, query.suggest, query.detail
    )
    # Gzipped here, where the compression middleware would gzip it: its larger part compressed
    # once (`api.responses.gzipped`), not the whole answer every time.
    gzip = gzip_of(request.scope)
    if gzip is not None and len(opening) + len(rest) >= gzip[1]:
        # An answer with suggestions is made for one applicant (its rest is never kept, and
        # neither is its compressed form, which would only push out the shared ones).
        return EncodedJSON(gzipped(opening, rest, gzip[0], keep=not query.suggest), gzip=True)
    return EncodedJSON(opening + rest)


def _whole_body(
    request: Request[Any, Any, Any], message: ReceiveMessage, length: bytes | None
) -> CheckInput | Applicant | None:
    if message["type"] != "http.request" or message.get("more_body", False):
        return None
    body = message["body"]
    limit = request.route_handler.resolve_request_max_body_size()
    if (limit is not None and len(body) > limit) or (
        length is not None and length != str(len(body)).encode()
    ):
        return None
    try:
        return _APPLICANT_BODY.decode(body)
    except (msgspec.DecodeError, RecursionError):
        pass  # a place named, or a body that is not an applicant: as `CheckInput` reads it
    try:
        return _BODY.decode(body)
    except (msgspec.DecodeError, RecursionError):
        return None


def _put_back(message: ReceiveMessage, receive: Receive) -> Receive:
    """`receive`, giving `message` first."""
    given = False

    async def receive_again() -> ReceiveMessage:
        nonlocal given
        if given:
            return await receive()
        given = True
        return message

    return receive_again


class ChecksController(Controller):
    """Checks: one applicant or many, decided against the policies in force.

    The hottest door of the service, so its handlers take no dependencies: they read the policies
    and the language themselves (`policies_of`, `lang_of`).  Litestar resolves two or more
    dependencies of one level concurrently in an anyio task group, which cost a check about
    70 µs, more than the decision itself; even one costs a few µs.  Any valid key may check
    (`require_key` sees to it), so no principal is taken.  A check spelled the plainest way is
    answered by the `fast_lane` before Litestar reads the handler's parameters at all.
    """

    path = "/v1/checks"
    tags = ("checks",)
    security = SECURITY
    middleware = [require_key]  # noqa: RUF012  (Litestar reads a list)

    @post(
        "/",
        status_code=200,
        responses=protected(),
        summary="Check one applicant",
        before_request=fast_lane,
    )
    async def check(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[CheckInput],
        lang_query: LangQuery = None,
        programme: Programmes = None,
        as_of: AsOf = None,
        suggest: Suggest = False,
        detail: DetailQuery = "full",
    ) -> CheckResult:
        """One determination per programme (all, or those asked for) for the applicant, each
        with what would change it when `suggest=true`."""
        lang = lang_of(request, lang_query)
        return check_one(policies_of(request), data, lang, programme, as_of, suggest, detail)

    @post("/batch", status_code=200, responses=protected(), summary="Check many applicants")
    async def check_batch(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[BatchCheckRequest],
        lang_query: LangQuery = None,
        programme: Programmes = None,
        as_of: AsOf = None,
        suggest: Suggest = False,
        detail: DetailQuery = "full",
    ) -> BatchCheckResult:
        """One result per applicant, in order; a bad applicant gets its errors, not the call."""
        policies, lang = policies_of(request), lang_of(request, lang_query)
        check_programmes(policies, programme, "query.programme")
        now = dt.date.today()
        check_as_of(policies, {"query.as_of": as_of}, now)
        today = as_of or now

        def run() -> BatchCheckResult:
            results = []
            everything: list[Prepared] = []
            for index, raw in enumerate(data.applicants):
                try:
                    applicant = applicant_of_input(
                        msgspec.convert(raw, CheckInput), f"$.applicants[{index}]"
                    )
                except msgspec.ValidationError as exc:
                    error = field_error(exc, prefix=f"$.applicants[{index}]")
                    results.append(BatchCheckItem(index=index, ok=False, errors=[error]))
                    continue
                except ProblemError as exc:
                    results.append(BatchCheckItem(index=index, ok=False, errors=exc.errors))
                    continue
                errors = as_of_errors(
                    policies, {f"$.applicants[{index}].as_of": applicant.as_of}, now
                )
                if errors:
                    results.append(BatchCheckItem(index=index, ok=False, errors=errors))
                    continue
                try:
                    determinations = determine(
                        applicant,
                        policies,
                        programmes=programme,
                        lang=lang,
                        today=today,
                        suggest=suggest,
                    )
                except FactError as exc:
                    path = f"$.applicants[{index}].{exc.path}"
                    error = FieldError(path=path, message=exc.message)
                    results.append(BatchCheckItem(index=index, ok=False, errors=[error]))
                    continue
                sent = [prepare(d, detail) for d in determinations]
                everything.extend(sent)
                on = basis(determinations)
                results.append(
                    BatchCheckItem(
                        index=index,
                        ok=True,
                        as_of=on.as_of,
                        region_code=on.region_code,
                        facts_hash=on.facts_hash,
                        determinations=[s.determination for s in sent],
                    )
                )
            sources, questions = prepared_tables(everything, policies, lang)
            return BatchCheckResult(
                detail=detail,
                policy_version=policies.version,
                results=results,
                sources=sources,
                questions=questions,
            )

        # Up to 1,000 decisions: off the event loop, so other requests keep being served.
        return await anyio.to_thread.run_sync(run)
