"""The fast lane of `POST /v1/checks` (`api.routes.checks.fast_lane`): it reads only a check
spelled the plainest way, and answers it byte for byte as the documented, Litestar-validated
handler does; anything else it leaves to the handler, the body still there to be read."""

from __future__ import annotations

import datetime as dt
import zlib
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient
from litestar.types import HTTPRequestEvent

from api import responses
from api.problems import ProblemError, StrictRequest
from api.responses import gzipped
from api.routes.checks import CheckQuery, fast_lane, plain_query
from tests.api.conftest import id_number

BASE: dict[str, Any] = {
    "region_code": "140821",
    "as_of": "2024-06-01",
    "household": {"category": "poverty_alleviated", "size": 4, "microloan_outstanding": 0},
    "person": {
        "age": 40,
        "labor_capacity": "full",
        "full_civil_capacity": True,
        "employment": {"status": "employed", "work_region_code": "330102", "months_continuous": 6},
    },
    "loan_request": {"amount": 30000, "term_months": 36, "purpose": "production"},
}
# Applicants that decode: answered, or refused by the check itself (a place name that names no
# place, a birth date after `as_of`): the fast lane gives those problems too.
APPLICANTS: dict[str, dict[str, Any]] = {
    "typical": BASE,
    "nothing said": {},
    "by place names": {
        "region_name": "临猗",
        "person": {"age": 30, "employment": {"status": "employed", "work_region_name": "广东"}},
    },
    "by ID number": {
        **BASE,
        "person": {"id_number": id_number(region="140821", birth="19800115")},
    },
    "one month short": {
        "region_code": "230124",
        "as_of": "2026-12-05",
        "household": {"category": "poverty_alleviated"},
        "person": {
            "age": 30,
            "employment": {
                "status": "employed",
                "work_scope": "other_province",
                "months_continuous": 2,
            },
        },
    },
    "unknown place": {"region_name": "不存在县"},
    "born after as_of": {**BASE, "as_of": "2022-01-01", "person": {"birth_date": "2023-01-01"}},
    "dated out of range": {**BASE, "as_of": "9999-01-01"},
}
JSON = {"Content-Type": "application/json"}
PLAIN_QUERIES = [
    "",
    "programme=microloan",
    "programme=transport_subsidy&programme=microloan&suggest=true",
    "lang=en&detail=summary",
    "suggest=false&lang=zh",
    "as_of=2026-12-05&detail=full",
]
# Spelled another way than the plainest (Litestar reads or refuses each as it always has).
OTHER_QUERIES = [
    "suggest=1",
    "suggest=True",
    "lang=EN",
    "lang=en&lang=zh",
    "detail=summary&detail=full",
    "as_of=2024-02-30",
    "as_of=20240101",
    "as_of=2024-06-01T00:00:00",
    "programme=lottery",
    "programme=",
    "programme",
    "lang=%65n",
    "programme=microloan+",
    "other=1",
    "&",
]


def test_plain_query_reads_every_parameter_in_its_canonical_spelling() -> None:
    assert plain_query(b"") == CheckQuery()
    query = b"programme=microloan&lang=en&programme=yulu_plan&as_of=2024-02-29"
    assert plain_query(query + b"&suggest=true&detail=summary") == CheckQuery(
        programmes=("microloan", "yulu_plan"),
        lang="en",
        as_of=dt.date(2024, 2, 29),
        suggest=True,
        detail="summary",
    )
    assert plain_query(b"suggest=false&detail=full") == CheckQuery()


@pytest.mark.parametrize("query", OTHER_QUERIES)
def test_plain_query_leaves_any_other_spelling_to_the_handler(query: str) -> None:
    assert plain_query(query.encode()) is None


def _check_handler(app: Litestar) -> Any:
    for route in app.routes:
        if isinstance(route, HTTPRoute) and route.path == "/v1/checks":
            return next(h for h in route.route_handlers if "POST" in h.http_methods)
    raise AssertionError("no POST /v1/checks")


def _request(
    app: Litestar, query: str, body: bytes, headers: list[tuple[bytes, bytes]]
) -> StrictRequest:
    scope: Any = {
        "type": "http",
        "method": "POST",
        "path": "/v1/checks",
        "query_string": query.encode(),
        "headers": headers,
        "litestar_app": app,
        "app": app,
        "route_handler": _check_handler(app),
        "path_params": {},
        "state": {},
    }

    async def receive() -> HTTPRequestEvent:
        return {"type": "http.request", "body": body, "more_body": False}

    return StrictRequest(scope, receive)


async def _validated(
    client: AsyncTestClient[Litestar], query: str, body: bytes, headers: dict[str, str]
) -> Any:
    # A charset parameter keeps the fast lane out: the handler reads the same JSON.
    typed = {**headers, "Content-Type": "application/json; charset=utf-8"}
    return await client.post(f"/v1/checks?{query}", content=body, headers=typed)


@pytest.mark.parametrize("query", PLAIN_QUERIES)
@pytest.mark.parametrize("applicant", list(APPLICANTS))
async def test_the_fast_lane_answers_as_the_handler_does(
    client: AsyncTestClient[Litestar],
    app: Litestar,
    admin_headers: dict[str, str],
    query: str,
    applicant: str,
) -> None:
    body = msgspec.json.encode(APPLICANTS[applicant])
    validated = await _validated(client, query, body, admin_headers)
    request = _request(app, query, body, [(b"content-type", b"application/json")])
    if validated.status_code == 400:  # refused by the check itself: the app answers it
        with pytest.raises(ProblemError):
            await fast_lane(request)
    else:
        assert validated.status_code == 200, validated.text
        answer = await fast_lane(request)
        assert answer is not None, "the fast lane left a plainly spelled check to the handler"
        assert answer.content == validated.content
    # And through the app, with the fast lane's spelling: the same status, type and bytes.
    plain = await client.post(
        f"/v1/checks?{query}", content=body, headers={**admin_headers, **JSON}
    )
    assert (plain.status_code, plain.headers["content-type"], plain.content) == (
        validated.status_code,
        validated.headers["content-type"],
        validated.content,
    )


@pytest.mark.parametrize(
    ("query", "body", "headers"),
    [
        ("suggest=1", msgspec.json.encode(BASE), [(b"content-type", b"application/json")]),
        ("", msgspec.json.encode(BASE), [(b"content-type", b"text/plain")]),
        ("", msgspec.json.encode(BASE), [(b"content-length", b"5")]),
        ("", b'{"household": {"size": "5"}}', []),
        ("", b'{"household": ', [(b"content-type", b"application/json")]),
        ("", b"", []),
        (
            "",
            msgspec.json.encode(BASE),
            [(b"accept-language", b"en"), (b"accept-language", b"zh")],
        ),
    ],
)
async def test_the_fast_lane_leaves_anything_else_with_its_body_to_the_handler(
    client: AsyncTestClient[Litestar],
    app: Litestar,
    query: str,
    body: bytes,
    headers: list[tuple[bytes, bytes]],
) -> None:
    del client  # only needed to have started the app
    request = _request(app, query, body, headers)
    assert await fast_lane(request) is None
    assert await request.body() == body


@pytest.mark.parametrize("query", ["", "lang=fr", "suggest=1"])
async def test_problems_are_the_handlers_whichever_way_a_check_is_spelled(
    client: AsyncTestClient[Litestar], admin_headers: dict[str, str], query: str
) -> None:
    for body in (b'{"household": {"size": "5"}}', b'{"household": ', b"", b"[1]"):
        plain = await client.post(
            f"/v1/checks?{query}", content=body, headers={**admin_headers, **JSON}
        )
        validated = await _validated(client, query, body, admin_headers)
        assert plain.status_code == validated.status_code == 400
        assert plain.json() == validated.json()


QUERY_PAIRS = st.sampled_from(
    [
        *(f"programme={p}" for p in ("microloan", "transport_subsidy", "yulu_plan", "lottery")),
        *(f"lang={v}" for v in ("zh", "en", "fr")),
        *(f"detail={v}" for v in ("full", "summary", "brief")),
        *(f"suggest={v}" for v in ("true", "false", "1")),
        *(f"as_of={v}" for v in ("2023-05-31", "2026-12-05", "2024-02-30")),
        "programme",
        "other=1",
    ]
)
APPLICANT = st.fixed_dictionaries(
    {},
    optional={
        "region_code": st.sampled_from(["140821", "510121", "230124", "99", "1408"]),
        "as_of": st.sampled_from(["2022-03-01", "2024-06-01", "2026-12-05", "2024-02-30"]),
        "household": st.fixed_dictionaries(
            {},
            optional={
                "category": st.sampled_from(["poverty_alleviated", "edge_vulnerable"]),
                "size": st.integers(0, 8),
                "microloan_outstanding": st.integers(0, 60000),
            },
        ),
        "person": st.fixed_dictionaries(
            {},
            optional={
                "age": st.integers(10, 70),
                "labor_capacity": st.sampled_from(["full", "weak", "none"]),
                "employment": st.fixed_dictionaries(
                    {},
                    optional={
                        "status": st.sampled_from(["employed", "unemployed"]),
                        "work_region_name": st.sampled_from(["广东", "临猗", "朝阳"]),
                        "months_continuous": st.integers(0, 12),
                    },
                ),
            },
        ),
    },
)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(applicant=APPLICANT, pairs=st.lists(QUERY_PAIRS, max_size=4))
async def test_any_check_is_answered_alike_in_either_spelling(
    client: AsyncTestClient[Litestar],
    admin_headers: dict[str, str],
    applicant: dict[str, Any],
    pairs: list[str],
) -> None:
    """Whether the fast lane takes a check or leaves it to the handler, its answer (or problem)
    is the one the handler gives to the same check spelled so that the fast lane leaves it."""
    query, body = "&".join(pairs), msgspec.json.encode(applicant)
    plain = await client.post(
        f"/v1/checks?{query}", content=body, headers={**admin_headers, **JSON}
    )
    validated = await _validated(client, query, body, admin_headers)
    assert (plain.status_code, plain.headers["content-type"], plain.content) == (
        validated.status_code,
        validated.headers["content-type"],
        validated.content,
    )


@settings(max_examples=200, deadline=None)
@given(
    opening=st.binary(max_size=300) | st.just(b"{" * 70_000),
    rest=st.binary(max_size=3000) | st.text(max_size=2000).map(str.encode),
    level=st.integers(1, 9),
)
def test_gzipped_parts_are_one_gzip_member_of_the_whole(
    opening: bytes, rest: bytes, level: int
) -> None:
    # Twice: the rest compressed, then found kept; and a rest not to be kept (an answer with
    # suggestions, made for one applicant) compressed and left out of what is kept.
    for keep in (True, True, False):
        zipped = gzipped(opening, rest, level, keep=keep)
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        assert inflater.decompress(zipped) == opening + rest
        assert inflater.eof
        assert inflater.unused_data == b""


def test_a_rest_for_one_answer_is_not_kept() -> None:
    rest = b'"determinations":[]}' + bytes(1000)
    before = dict(responses._GZIPPED.entries)
    gzipped(b'{"detail":"full",', rest, 1, keep=False)
    assert responses._GZIPPED.entries.keys() == before.keys()
    gzipped(b'{"detail":"full",', rest, 1)
    assert (id(rest), 1) in responses._GZIPPED.entries


@pytest.mark.parametrize("applicant", ["typical", "by place names", "one month short"])
async def test_a_check_gzipped_by_the_fast_lane_is_the_answer_gzipped(
    client: AsyncTestClient[Litestar], admin_headers: dict[str, str], applicant: str
) -> None:
    body = msgspec.json.encode(APPLICANTS[applicant])
    plain = await client.post(
        "/v1/checks", content=body, headers={**admin_headers, **JSON, "Accept-Encoding": "br"}
    )
    assert plain.status_code == 200, plain.text
    assert "content-encoding" not in plain.headers
    validated = await _validated(client, "", body, {**admin_headers, "Accept-Encoding": "gzip"})
    for _ in range(2):  # made, then from what is kept
        gzip_asked = {**admin_headers, **JSON, "Accept-Encoding": "gzip"}
        zipped = await client.post("/v1/checks", content=body, headers=gzip_asked)
        assert zipped.status_code == 200
        assert zipped.headers["content-encoding"] == "gzip"
        assert zipped.headers["vary"] == "Accept-Encoding"
        assert zipped.headers["content-type"] == "application/json"
        assert int(zipped.headers["content-length"]) == zipped.num_bytes_downloaded
        assert zipped.num_bytes_downloaded < len(plain.content)
        assert zipped.content == plain.content
        # The handler's answer, gzipped by the compression middleware: the same JSON.
        assert validated.headers["content-encoding"] == "gzip"
        assert validated.content == plain.content


@pytest.mark.parametrize(
    ("accept_encoding", "gzip_sent"),
    [
        # RFC 9110, 12.5.3: a coding with q=0 is "not acceptable", and so is any coding `*`
        # covers when `*;q=0`; a coding not named is not acceptable unless `*` says so.
        ("gzip;q=0", False),
        ("GZIP; Q=0.000", False),
        ("identity", False),
        ("*;q=0", False),
        ("gzip;q=0, *", False),
        ("identity, *;q=0", False),
        ("br", False),
        ("gzip;q=0.5", True),
        ("*", True),
        ("br;q=1, gzip;q=0.1", True),
        ("x-gzip", True),
    ],
)
async def test_gzip_only_where_its_q_value_is_above_zero(
    client: AsyncTestClient[Litestar],
    admin_headers: dict[str, str],
    accept_encoding: str,
    gzip_sent: bool,
) -> None:
    body = msgspec.json.encode(APPLICANTS["typical"])
    asked = {**admin_headers, "Accept-Encoding": accept_encoding}
    # The fast lane (`gzip_of`) and the validated path (Litestar's compressor) read it alike.
    fast = await client.post("/v1/checks", content=body, headers={**asked, **JSON})
    validated = await _validated(client, "", body, asked)
    for response in (fast, validated):
        assert response.status_code == 200, response.text
        assert (response.headers.get("content-encoding") == "gzip") is gzip_sent, accept_encoding
        assert response.json()["determinations"]
    assert fast.content == validated.content
