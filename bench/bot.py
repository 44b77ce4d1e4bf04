"""How many households the bot serves per second: simulated users, each running a whole
questionnaire at the same time, against the local stand-in of the Bot API.

The real python-telegram-bot Application polls the stand-in over HTTP (127.0.0.1) and keeps its
state in a migrated SQLite file (or `--database-url`).  Each user presses a button or types an
answer (a few "不清楚") until the results come.  Prints users served per second, updates per
second, the per-step time inside the handlers (loading and saving the conversation, deciding,
writing the replies; network excluded), and the user-side latency per step (network included).
Numbers are from one run on this machine; nothing here is asserted.

    .venv/bin/python bench/bot.py [--users 50] [--concurrency 1] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import multiprocessing
import os
import random
import statistics
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.application import build_application
from bot.ratelimit import RateLimiter
from bot.store import SqlConversationStore
from bot.texts import ZH
from db.engine import create_engine
from db.migrate import upgrade_async
from eligibility.policy import load_bundled
from eligibility.programme import PolicySet
from tests.bot.fake_bot_api import TOKEN, FakeBotApi, FakeUser

OUTRO = ZH["results_outro"]
INT_RANGES = {
    "person.age": (18, 70),
    "person.employment.months_continuous": (1, 12),
    "household.per_capita_net_income": (3000, 20000),
    "household.per_capita_net_income_previous": (3000, 20000),
    "household.microloan_outstanding": (0, 50000),
    "household.size": (1, 8),
}
REGIONS = ["140821", "230124", "620823", "520181", "451226", "410581", "510121"]


def _question(user: FakeUser, seen: int) -> tuple[int, dict[str, object]] | None:
    """The newest message past `seen` that is a question or the closing line."""
    messages = user.messages()
    for index in range(len(messages) - 1, seen - 1, -1):
        message = messages[index]
        if message["text"] == OUTRO or message.get("reply_markup"):
            return index, message
    return None


async def household(
    api: FakeBotApi, user: FakeUser, policies: PolicySet, rng: random.Random
) -> list[float]:
    """One user's whole questionnaire; the seconds each step took, as the user saw it."""
    paths = list(policies.facts)
    latencies: list[float] = []
    seen = 0
    started = time.perf_counter()
    user.send("/start")
    while True:
        found: list[tuple[int, dict[str, object]]] = []

        def arrived(seen: int = seen, found: list[tuple[int, dict[str, object]]] = found) -> bool:
            question = _question(user, seen)
            if question is not None:
                found.append(question)
            return question is not None

        await api.wait_until(arrived, timeout=120)
        latencies.append(time.perf_counter() - started)
        index, message = found[0]
        seen = index + 1
        if message["text"] == OUTRO:
            return latencies
        buttons = [
            (b["text"], b["callback_data"])
            for row in message["reply_markup"]["inline_keyboard"]  # type: ignore[index]
            for b in row
        ]
        skip = next(data for _, data in buttons if data.startswith("s|"))
        key = skip.split("|")[1]
        started = time.perf_counter()
        choices = [data for _, data in buttons if data.startswith(("a|", "b|", "p|"))]
        if key.startswith("q"):  # a combined question: one of its buttons
            user.press_data(rng.choice(choices) if choices else skip)
            continue
        fact = paths[int(key[1:])]
        spec = policies.facts[fact]
        if rng.random() < 0.1:
            user.press_data(skip)
        elif choices:
            user.press_data(rng.choice(choices))
        elif spec.kind == "int":
            low, high = INT_RANGES.get(fact, (1, 10))
            user.send(str(rng.randint(low, high)))
        elif spec.kind == "region":
            user.send(rng.choice(REGIONS))
        else:
            user.press_data(skip)


def stand_in(conn: Connection, users: int) -> None:
    """Child process: the Bot API stand-in and the simulated users (own process, own GIL)."""

    async def main() -> None:
        policies = load_bundled()
        api = FakeBotApi()
        await api.start()
        conn.send(api.url)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, conn.recv)  # the bot is polling: go
        people = [FakeUser(api, 50_000 + i) for i in range(users)]
        started = time.perf_counter()
        results = await asyncio.gather(
            *(household(api, p, policies, random.Random(i)) for i, p in enumerate(people))
        )
        conn.send((time.perf_counter() - started, list(results), len(api.calls)))
        await loop.run_in_executor(None, conn.recv)  # the bot has stopped
        await api.stop()

    asyncio.run(main())


async def run(users: int, concurrency: int, database_url: str | None) -> None:
    policies = load_bundled()
    folder = tempfile.mkdtemp(prefix="bench-bot-")
    url = database_url or f"sqlite+aiosqlite:///{folder}/bot.db"
    # The stand-in and the simulated users run in another process, so this process does only
    # the bot's work and the handler timings are the bot's.
    parent, child = multiprocessing.get_context("spawn").Pipe()
    process = multiprocessing.get_context("spawn").Process(target=stand_in, args=(child, users))
    process.start()
    loop = asyncio.get_running_loop()
    api_url: str = await loop.run_in_executor(None, parent.recv)
    engine = create_engine(url)
    await upgrade_async(engine)
    application, household_bot = build_application(
        TOKEN,
        store=SqlConversationStore(engine),
        policies=policies,
        api_url=api_url,
        today=lambda: dt.date(2026, 11, 23),
        limiter=RateLimiter(capacity=1e9, rate=1e9),
        concurrent_updates=concurrency if concurrency > 1 else False,
    )
    await application.initialize()
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(timeout=1)
    try:
        parent.send("go")
        wall, results, api_calls = await loop.run_in_executor(None, parent.recv)
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()
        parent.send("stop")
        await loop.run_in_executor(None, process.join, 30)
        await engine.dispose()

    steps = [s * 1000 for s in household_bot.step_seconds]
    seen = [s * 1000 for user in results for s in user]
    updates = len(steps)
    backend = url.split(":", 1)[0]
    print(f"bot benchmark: {users} simulated users, each a full questionnaire, concurrently")
    print(
        f"  database {backend}, PTB concurrent updates {concurrency}, stand-in Bot API on 127.0.0.1"
    )
    print(f"  wall time            {wall:8.2f} s")
    print(f"  users served         {users / wall:8.1f} per second")
    print(
        f"  updates handled      {updates / wall:8.1f} per second ({updates} updates,"
        f" {updates / users:.1f} per user)"
    )
    print(f"  Bot API calls        {api_calls / wall:8.1f} per second")
    print("  per step, inside the handlers (load, decide, save; network excluded), ms:")
    print(
        f"    p50 {_pct(steps, 50):6.2f}   p95 {_pct(steps, 95):6.2f}   p99 {_pct(steps, 99):6.2f}"
        f"   mean {statistics.fmean(steps):6.2f}"
    )
    stored = [s * 1000 for s in household_bot.store_seconds]
    decided = [a - b for a, b in zip(steps, stored, strict=True)]
    print("    of which loading + saving the conversation in the database:")
    print(
        f"    p50 {_pct(stored, 50):6.2f}   p95 {_pct(stored, 95):6.2f}"
        f"   p99 {_pct(stored, 99):6.2f}"
    )
    print("    of which deciding and writing the replies (no I/O):")
    print(
        f"    p50 {_pct(decided, 50):6.2f}   p95 {_pct(decided, 95):6.2f}"
        f"   p99 {_pct(decided, 99):6.2f}"
    )
    print(f"  load average (1 min) {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(
        "  per step, as a user sees it (send -> next question, network and queueing included), ms:"
    )
    print(f"    p50 {_pct(seen, 50):6.2f}   p95 {_pct(seen, 95):6.2f}   p99 {_pct(seen, 99):6.2f}")


def _pct(values: list[float], pct: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=1, help="PTB concurrent updates")
    parser.add_argument("--database-url", help="default: a new SQLite file")
    args = parser.parse_args()
    asyncio.run(run(args.users, args.concurrency, args.database_url))


if __name__ == "__main__":
    main()
