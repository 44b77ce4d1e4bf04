"""Benchmark: the app's own time on `POST /v1/checks` around the decision, against `/healthz`.

`bench/api_checks.py` measures the whole server under wrk; on a shared machine its figures move
with the load.  This one calls the app's ASGI callable directly, in this process, with no server
and no network: what is left is the app's own time per request (routing, the key check, reading
and converting the body, the query, encoding the answer).  It prints, from one run, the best of
many short rounds (about `--round-ms` each: short enough to fall between the scheduler's turns
to other processes on a busy machine), the cases taken in turn:

- µs per `GET /healthz`;
- µs per `POST /v1/checks` (the typical applicant of `bench/api_checks.py`, all programmes, and
  one programme only, and all programmes for a client that accepts gzip), with the decision as
  it is and with the decision memoised (its first answer returned again: same bytes, no
  decision time);
- the ratios: checks / healthz, and the part of a check that is not the decision (#10).

    .venv/bin/python bench/api_overhead.py [--rounds 200] [--round-ms 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Run as a script, this folder comes first on the path, where its batch.py would hide the
# `batch` package the app imports: the repository first, this folder last.
HERE = Path(__file__).resolve().parent
sys.path[:] = [str(HERE.parent), *(p for p in sys.path if Path(p).resolve() != HERE), str(HERE)]

from bench.api_checks import APPLICANT, ELIGIBILITY  # noqa: E402

ONE_PROGRAMME = "monitoring_referral"  # the quickest to decide


class Caller:
    """ASGI calls straight into an app: one request, its status checked, its body dropped."""

    def __init__(self, app: Any, key: str) -> None:
        self._app = app
        self._key = f"Bearer {key}".encode()

    async def __call__(
        self,
        method: str,
        path: str,
        query: str = "",
        body: bytes = b"",
        extra: tuple[tuple[bytes, bytes], ...] = (),
    ) -> None:
        headers = [(b"host", b"bench"), (b"authorization", self._key), *extra]
        if body:
            headers += [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ]
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": query.encode(),
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 1),
            "server": ("127.0.0.1", 80),
            "state": {},
        }
        sent = False

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:  # nothing more will come: the app must not wait for it
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        status: list[int] = []

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])

        await self._app(scope, receive, send)
        if status != [200]:
            raise RuntimeError(f"{method} {path}?{query} answered {status}")


def memoise_the_decision() -> None:
    """Replace the checks' decision by its first answer for the same programmes, language and
    date (`bench/api_checks.py --memoised-core` serves with it too)."""
    import api.routes.checks as checks
    from eligibility.determination import determine as decide  # the one `checks` calls

    answers: dict[tuple[Any, ...], Any] = {}

    def memoised(applicant: Any, policies: Any, *, programmes: Any = None, **rest: Any) -> Any:
        key = (tuple(programmes or ()), *sorted(rest.items()))
        if key not in answers:
            answers[key] = decide(applicant, policies, programmes=programmes, **rest)
        return answers[key]

    vars(checks)["determine"] = memoised


async def measure(app: Any, key: str, rounds: int, round_seconds: float) -> dict[str, float]:
    """Best µs per request of each case over `rounds` rounds of about `round_seconds` each."""
    call = Caller(app, key)
    body = json.dumps(APPLICANT, ensure_ascii=False, separators=(",", ":")).encode()
    cases: dict[str, Callable[[], Any]] = {
        "GET /healthz": lambda: call("GET", "/healthz"),
        "POST /v1/checks": lambda: call("POST", "/v1/checks", body=body),
        f"POST /v1/checks?programme={ONE_PROGRAMME}": lambda: call(
            "POST", "/v1/checks", f"programme={ONE_PROGRAMME}", body
        ),
        # What most clients send (browsers, httpx, requests): the answer then goes gzipped.
        "POST /v1/checks, Accept-Encoding: gzip": lambda: call(
            "POST", "/v1/checks", body=body, extra=((b"accept-encoding", b"gzip"),)
        ),
    }
    calls = {}
    for name, request in cases.items():  # warm, and how many calls fill a round
        started = time.perf_counter()
        for _ in range(20):
            await request()
        calls[name] = max(1, round(round_seconds * 20 / (time.perf_counter() - started)))
    best = dict.fromkeys(cases, float("inf"))
    for _ in range(rounds):
        for name, request in cases.items():
            started = time.perf_counter()
            for _ in range(calls[name]):
                await request()
            seconds = (time.perf_counter() - started) / calls[name]
            best[name] = min(best[name], seconds * 1e6)
    return best


async def run(rounds: int, round_seconds: float) -> dict[str, float]:
    """Start the app (its lifespan: migrations, policies), measure, stop it."""
    from api.app import create_app
    from api.settings import Settings

    app = create_app(Settings.from_env())
    # ASGI messages as plain dicts (the app's TypedDicts are for the server's side).
    inbox: asyncio.Queue[Any] = asyncio.Queue()
    outbox: asyncio.Queue[Any] = asyncio.Queue()
    scope: Any = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
    lifespan = asyncio.create_task(app(scope, inbox.get, outbox.put))
    await inbox.put({"type": "lifespan.startup"})
    started = await outbox.get()
    if started["type"] != "lifespan.startup.complete":
        raise RuntimeError(f"the app did not start: {started}")
    try:
        return await measure(app, os.environ["BENCH_KEY"], rounds, round_seconds)
    finally:
        await inbox.put({"type": "lifespan.shutdown"})
        await outbox.get()
        await lifespan


def main() -> int:
    """Measure in two child processes (the decision as it is, then memoised); print both."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--round-ms", type=float, default=2.0, help="length of one round")
    parser.add_argument("--child", choices=("real", "memoised"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        if args.child == "memoised":
            memoise_the_decision()
        result = asyncio.run(run(args.rounds, args.round_ms / 1000))
        print(json.dumps(result))
        return 0

    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-api-overhead-") as name:
        env = {
            **os.environ,
            "DATA_DIR": name,
            "DATABASE_URL": f"sqlite+aiosqlite:///{name}/bench.db",
            "ID_HASH_KEY": "bench",
        }
        created = subprocess.run(
            [ELIGIBILITY, "keys", "create", "--role", "caseworker", "--region", "14"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        env["BENCH_KEY"] = created.stdout.strip().splitlines()[-1]
        for child in ("real", "memoised"):
            done = subprocess.run(
                [
                    *(sys.executable, __file__, "--child", child),
                    *("--rounds", str(args.rounds), "--round-ms", str(args.round_ms)),
                ],
                env=env,
                check=True,
                capture_output=True,
                text=True,
            )
            results[child] = json.loads(done.stdout.strip().splitlines()[-1])

    print(
        f"in-process ASGI calls, no server, no network; best of {args.rounds} rounds of "
        f"about {args.round_ms:g} ms per case, µs per request"
    )
    health = results["real"]["GET /healthz"]
    print(f"  {'GET /healthz':<48} {health:8.1f}")
    for case in results["real"]:
        if case == "GET /healthz":
            continue
        real, memo = results["real"][case], results["memoised"][case]
        print(
            f"  {case:<48} {real:8.1f}  (decision memoised: {memo:6.1f}; around the decision "
            f"{memo - health:5.1f} µs more than /healthz)"
        )
        print(
            f"    checks : healthz time = {real / health:5.1f}  (memoised {memo / health:4.1f}); "
            f"decision share of a check {1 - memo / real:4.0%}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
