"""Benchmark: `POST /v1/checks` against `/healthz` on a real server (uvicorn, SQLite).

Starts `eligibility serve` on 127.0.0.1 with a fresh data folder, creates a caseworker key,
then sends a bounded load (N requests, C at a time) to each endpoint and prints throughput and
p50/p99 latency, and the ratio between the two (how much a decision costs over a bare request).

    .venv/bin/python bench/api_checks.py [--requests 2000] [--concurrency 32] [--workers 1]
"""

from __future__ import annotations

import argparse
import asyncio
import os
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

APPLICANT = {
    "region_code": "510121",
    "as_of": "2024-03-01",
    "household": {"category": "poverty_alleviated", "size": 4, "microloan_outstanding": 0},
    "person": {"age": 40, "labor_capacity": "full", "full_civil_capacity": True},
    "loan_request": {"amount": 30000, "term_months": 36, "purpose": "production"},
}
ELIGIBILITY = str(Path(sys.executable).with_name("eligibility"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


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


async def _bench(base: str, key: str, requests: int, concurrency: int) -> None:
    headers = {"Authorization": f"Bearer {key}"}

    async def check(client: httpx.AsyncClient) -> int:
        response = await client.post(base + "/v1/checks", json=APPLICANT, headers=headers)
        return response.status_code

    async def health(client: httpx.AsyncClient) -> int:
        return (await client.get(base + "/healthz")).status_code

    health_rate = _report("GET /healthz", *await _load(requests, concurrency, health))
    check_rate = _report("POST /v1/checks", *await _load(requests, concurrency, check))
    print(f"checks/s : healthz/s = {check_rate / health_rate:.2f}")


def main() -> int:
    """Start the server, measure, stop it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-api-") as folder:
        env = {
            **os.environ,
            "DATA_DIR": folder,
            "DATABASE_URL": f"sqlite+aiosqlite:///{folder}/bench.db",
            "ID_HASH_KEY": "bench",
        }
        created = subprocess.run(
            [ELIGIBILITY, "keys", "create", "--role", "caseworker", "--region", "51"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        key = created.stdout.strip().splitlines()[-1]
        port = _free_port()
        server = subprocess.Popen(
            [
                ELIGIBILITY,
                "serve",
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
            print(
                f"server: uvicorn, {args.workers} worker(s), SQLite; "
                f"{args.requests} requests per endpoint, concurrency {args.concurrency}"
            )
            asyncio.run(_bench(base, key, args.requests, args.concurrency))
        finally:
            server.terminate()
            server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
