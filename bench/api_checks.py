"""Benchmark: `POST /v1/checks` against `/healthz` on a real server, loaded by `wrk` (#10).

Starts `eligibility serve` (uvicorn, one worker by default, SQLite in a fresh data folder) on
127.0.0.1 and loads it with `wrk` in a separate process, so the load generator is not what
saturates (the Python client this script used before did, and reported ratios of 0.5-0.7 where
wrk found 0.19).  `wrk` is Debian's package of that name; when it is missing the script installs
it with apt-get and says so.  Only if it cannot be installed does it fall back to the old
Python client, and says that its figures then understate the server.

It prints, from one run:

- the answer size in bytes of `POST /v1/checks` for one typical applicant, all programmes
  (`detail=full`: the only form of the answer today);
- throughput of both endpoints as the number of connections steps up (1, 2, 4, ...), the
  saturating load (the highest throughput reached; the fewest connections reaching 95 % of it),
  and the ratio checks/s : healthz/s at saturation;
- p50/p99 latency of `POST /v1/checks` at half of its saturating load, the load paced by wrk's
  `delay()` hook (calibrated until the achieved rate is within 5 % of the target; the load used
  is printed).

Two options show what the service around the decision allows, apart from the decision's own
cost: `--programme ID` (repeatable) asks for those programmes only (`?programme=`), and
`--memoised-core` starts the server with the decision replaced by its first answer for the same
programmes, language and date (the answer's bytes are the same; only the decision's time goes).

    .venv/bin/python bench/api_checks.py [--duration 5] [--workers 1] [--max-connections 64]
        [--programme monitoring_referral ...] [--memoised-core]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import httpx

# A typical applicant: a 临猗县 (140821) 脱贫户 of four, the person 40 and working in another
# province, asking for a production loan; all five programmes are decided.  The date is one when
# 临猗's own transport table is in force (the issue's "1,500 元 cites six regions" answer).
APPLICANT = {
    "region_code": "140821",
    "as_of": "2024-06-01",
    "household": {
        "category": "poverty_alleviated",
        "size": 4,
        "per_capita_net_income": 9000,
        "microloan_outstanding": 0,
    },
    "person": {
        "age": 40,
        "labor_capacity": "full",
        "full_civil_capacity": True,
        "employment": {
            "status": "employed",
            "work_region_code": "330102",
            "months_continuous": 6,
            "organized_transfer": True,
        },
    },
    "loan_request": {"amount": 30000, "term_months": 36, "purpose": "production"},
}
ELIGIBILITY = str(Path(sys.executable).with_name("eligibility"))
# `eligibility serve` with the decision memoised (`--memoised-core`): uvicorn runs the app in
# this same process when there is one worker, so the replaced function is the one it calls.
# (The bench folder goes last on the path: its batch.py must not hide the `batch` package.)
MEMOISED_SERVER = f"""
import sys
sys.path.append({str(Path(__file__).resolve().parent)!r})
from api_overhead import memoise_the_decision
memoise_the_decision()
from cli.main import main
sys.exit(main(sys.argv[1:]))
"""
CONNECTION_STEPS = (1, 2, 4, 8, 16, 32, 64, 128, 256)
# Saturated: the fewest connections giving this share of the highest throughput seen.
SATURATED_SHARE = 0.95
# Connections (at least) for the run at half load.
PACED_CONNECTIONS = 8

# wrk's Lua hooks: the request, an optional pacing delay (random around its mean, so the
# connections do not march in step), and the figures as one JSON line at the end.
LUA = """
wrk.method = "{method}"
wrk.headers["Authorization"] = "Bearer {key}"
{body}
local pause = {delay_ms}
if pause > 0 then
  delay = function() return math.random(0, 2 * pause) end
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {{"requests": %d, "duration_us": %d, "status_errors": %d, '
    .. '"socket_errors": %d, "p50_us": %d, "p99_us": %d, "mean_us": %.1f}}\\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99), latency.mean))
end
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def ensure_wrk() -> str | None:
    """The path of `wrk`, installing Debian's package with apt-get if it is missing."""
    found = shutil.which("wrk")
    if found:
        return found
    prefix = [] if os.geteuid() == 0 else ["sudo", "-n"]
    if prefix and not shutil.which("sudo"):
        print("wrk is not installed and apt-get needs root (no sudo): cannot install it")
        return None
    print("wrk is not installed: installing the Debian package `wrk` with apt-get", flush=True)

    def apt(*command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*prefix, "apt-get", *command],
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )

    done = apt("install", "-y", "--no-install-recommends", "wrk")
    if done.returncode != 0:
        # The package lists may be missing or stale (a fresh container): fetch them once.
        apt("update")
        done = apt("install", "-y", "--no-install-recommends", "wrk")
    if done.returncode != 0:
        print(f"apt-get could not install wrk: {done.stderr.strip()[-300:]}")
        return None
    return shutil.which("wrk")


def _wrk(
    wrk: str,
    url: str,
    script: str,
    connections: int,
    seconds: int,
    folder: Path,
) -> dict[str, float]:
    """One wrk run (one thread: wrk's event loop is far from saturating on one core); its
    figures, with `rate` in requests/s.  Raises if any answer was not 2xx/3xx."""
    path = folder / "bench.lua"
    path.write_text(script)
    done = subprocess.run(
        [
            wrk,
            "--threads",
            "1",
            "--connections",
            str(connections),
            "--duration",
            f"{seconds}s",
            "--timeout",
            "10s",
            "--script",
            str(path),
            url,
        ],
        check=False,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed: {done.stderr.strip() or done.stdout.strip()}")
    line = next(x for x in done.stdout.splitlines() if x.startswith("WRK_RESULT "))
    result: dict[str, float] = json.loads(line.removeprefix("WRK_RESULT "))
    if result["status_errors"] or result["socket_errors"]:
        raise RuntimeError(f"wrk saw errors at {connections} connections: {result}")
    result["rate"] = result["requests"] / (result["duration_us"] / 1e6)
    return result


def _script(method: str, key: str, body: str | None, delay_ms: float = 0) -> str:
    if body is None:
        lines = ""
    else:
        # A long bracket holds the JSON as it is (no escaping); the body has no "]==]".
        lines = 'wrk.headers["Content-Type"] = "application/json"\n'
        lines += f"wrk.body = [==[{body}]==]"
    return LUA.format(method=method, key=key, body=lines, delay_ms=round(delay_ms))


def _steps(
    name: str,
    run: Callable[[int], dict[str, float]],
    max_connections: int,
) -> tuple[float, int, dict[str, float]]:
    """Throughput as connections step up, until it stops growing; (highest rate, saturating
    connections, that run's figures)."""
    results: dict[int, dict[str, float]] = {}
    flat = 0
    for connections in (c for c in CONNECTION_STEPS if c <= max_connections):
        result = run(connections)
        best = max((r["rate"] for r in results.values()), default=0.0)
        results[connections] = result
        print(
            f"  {name:<16} {connections:4d} connections  {result['rate']:8.0f} req/s"
            f"   p50 {result['p50_us'] / 1000:7.2f} ms   p99 {result['p99_us'] / 1000:7.2f} ms"
        )
        # Two steps in a row without 5 % more: saturated (more connections only queue).
        flat = flat + 1 if result["rate"] < best * 1.05 else 0
        if flat == 2:
            break
    top = max(r["rate"] for r in results.values())
    saturating = min(c for c, r in results.items() if r["rate"] >= SATURATED_SHARE * top)
    return top, saturating, results[saturating]


def _paced(
    run: Callable[[int, float], dict[str, float]], connections: int, target: float
) -> dict[str, float]:
    """A run at about `target` requests/s on `connections`: the per-request delay is corrected
    from the rate achieved until within 5 % (at most four tries); the last run's figures."""
    delay_ms = connections * 1000 / target
    result: dict[str, float] = {}
    for _ in range(4):
        result = run(connections, delay_ms)
        if abs(result["rate"] - target) <= 0.05 * target:
            break
        # Each connection's cycle is its delay plus the answer's time: move the delay by the
        # difference between the cycle wanted and the cycle seen.
        delay_ms = max(
            0.0, delay_ms + connections * 1000 / target - connections * 1000 / result["rate"]
        )
    return result


async def _wait_ready(base: str, deadline: float) -> None:
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            try:
                if (await client.get(base + "/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("the server did not become ready")


def _checks_path(programmes: list[str]) -> str:
    """`/v1/checks`, asking for `programmes` only when any are named."""
    query = "&".join(f"programme={p}" for p in programmes)
    return "/v1/checks" + (f"?{query}" if query else "")


def _answer_size(base: str, key: str, path: str) -> int:
    response = httpx.post(
        base + path, json=APPLICANT, headers={"Authorization": f"Bearer {key}"}, timeout=30
    )
    if response.status_code != 200:
        raise RuntimeError(f"POST {path} answered {response.status_code}: {response.text}")
    determinations = response.json()["determinations"]
    print(
        f"answer: POST {path}, one applicant, {len(determinations)} programmes, "
        f"detail=full, not compressed: {len(response.content):,} bytes"
    )
    return len(response.content)


def _bench_wrk(
    wrk: str, base: str, key: str, path: str, args: argparse.Namespace, folder: Path
) -> None:
    body = json.dumps(APPLICANT, ensure_ascii=False, separators=(",", ":"))

    def checks(connections: int, delay_ms: float = 0) -> dict[str, float]:
        script = _script("POST", key, body, delay_ms)
        return _wrk(wrk, base + path, script, connections, args.duration, folder)

    def health(connections: int) -> dict[str, float]:
        script = _script("GET", key, None)
        return _wrk(wrk, base + "/healthz", script, connections, args.duration, folder)

    # Warm-up: imports, caches, SQLite pages, the key cache.
    _wrk(wrk, base + path, _script("POST", key, body), 4, 2, folder)
    print(f"load: wrk, 1 thread, {args.duration} s per step")
    health_top, health_conns, _ = _steps("GET /healthz", health, args.max_connections)
    check_top, check_conns, _ = _steps("POST /v1/checks", checks, args.max_connections)
    print(f"saturated: GET /healthz   {health_top:8.0f} req/s (from {health_conns} connections)")
    print(f"saturated: POST /v1/checks {check_top:7.0f} req/s (from {check_conns} connections)")
    print(f"checks/s : healthz/s = {check_top / health_top:.2f}")

    # Paced over a few connections, so each waits long between requests (the delay's 1 ms
    # steps are then fine enough) and arrivals are spread rather than one queue.
    paced = max(check_conns, PACED_CONNECTIONS)
    half = _paced(checks, paced, check_top / 2)
    print(
        f"POST /v1/checks at half its saturating load: target {check_top / 2:.0f} req/s, "
        f"load used {half['rate']:.0f} req/s on {paced} connections: "
        f"p50 {half['p50_us'] / 1000:.2f} ms, p99 {half['p99_us'] / 1000:.2f} ms"
    )


# --- fallback: the Python client (only when wrk cannot be installed) -------------------------


async def _load(
    requests: int, concurrency: int, send: Callable[[httpx.AsyncClient], Coroutine[Any, Any, int]]
) -> tuple[float, list[float]]:
    """Run `requests` calls of `send`, `concurrency` at a time; (seconds, latencies)."""
    latencies: list[float] = []
    remaining = iter(range(requests))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def worker(client: httpx.AsyncClient) -> None:
        for _ in remaining:
            started = time.perf_counter()
            status = await send(client)
            latencies.append(time.perf_counter() - started)
            if status != 200:
                raise RuntimeError(f"unexpected status {status}")

    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        await send(client)  # warm-up
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        return time.perf_counter() - started, latencies


def _report(name: str, seconds: float, latencies: list[float]) -> float:
    rate = len(latencies) / seconds
    cuts = statistics.quantiles(latencies, n=100)
    print(
        f"{name:<16} {rate:9.0f} req/s   p50 {cuts[49] * 1000:7.2f} ms   "
        f"p99 {cuts[98] * 1000:7.2f} ms   ({len(latencies)} requests)"
    )
    return rate


async def _bench_python(base: str, key: str, path: str, requests: int, concurrency: int) -> None:
    headers = {"Authorization": f"Bearer {key}"}

    async def check(client: httpx.AsyncClient) -> int:
        response = await client.post(base + path, json=APPLICANT, headers=headers)
        return response.status_code

    async def health(client: httpx.AsyncClient) -> int:
        return (await client.get(base + "/healthz")).status_code

    print(
        f"FALLBACK load: the Python client, {requests} requests, concurrency {concurrency}; it "
        "saturates before the server, so these figures understate it (ratios too high)"
    )
    health_rate = _report("GET /healthz", *await _load(requests, concurrency, health))
    check_rate = _report("POST /v1/checks", *await _load(requests, concurrency, check))
    print(f"checks/s : healthz/s = {check_rate / health_rate:.2f}")


def main() -> int:
    """Start the server, measure, stop it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--max-connections", type=int, default=256)
    parser.add_argument("--requests", type=int, default=2000, help="fallback client only")
    parser.add_argument("--concurrency", type=int, default=32, help="fallback client only")
    parser.add_argument(
        "--programme",
        action="append",
        default=[],
        help="ask for this programme only (repeatable; default all)",
    )
    parser.add_argument(
        "--memoised-core",
        action="store_true",
        help="serve with the decision memoised: what the service around it allows",
    )
    args = parser.parse_args()
    if args.memoised_core and args.workers != 1:
        parser.error("--memoised-core needs one worker (the app must run in the started process)")
    path = _checks_path(args.programme)

    wrk = ensure_wrk()
    with tempfile.TemporaryDirectory(prefix="bench-api-") as name:
        folder = Path(name)
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
        key = created.stdout.strip().splitlines()[-1]
        port = _free_port()
        command = [sys.executable, "-c", MEMOISED_SERVER] if args.memoised_core else [ELIGIBILITY]
        server = subprocess.Popen(
            [
                *command,
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(args.workers),
                "--log-level",
                "warning",
            ],
            env=env,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            asyncio.run(_wait_ready(base, time.monotonic() + 60))
            core = "the decision MEMOISED (only the service around it measured)"
            print(
                f"server: eligibility serve (uvicorn), {args.workers} worker(s), SQLite, {base}; "
                + (core if args.memoised_core else "the decision as it is")
            )
            _answer_size(base, key, path)
            if wrk is not None:
                _bench_wrk(wrk, base, key, path, args, folder)
            else:
                asyncio.run(_bench_python(base, key, path, args.requests, args.concurrency))
        finally:
            server.terminate()
            server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
