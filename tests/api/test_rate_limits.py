"""`rate_limits.take`: a rolling limit (GCRA) in the database, on SQLite and PostgreSQL.

Every test passes `now` itself, so none depends on how fast the machine runs.  With the
default allowance of 30 a minute (MEMBER_SEARCH_PER_MINUTE) each use costs 2 s and a key may
owe at most 60 s.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from api.services import rate_limits
from db.engine import create_engine, session_factory

ALLOWANCE = 30
COST = dt.timedelta(seconds=2)  # 60 s / 30
# Just before a minute boundary, so a test that crosses it would renew a fixed window.
START = dt.datetime(2026, 12, 1, 10, 0, 59, 900_000, tzinfo=dt.UTC)


def _key() -> str:
    return f"k-{uuid.uuid4().hex[:20]}"


async def _take(
    sessions: async_sessionmaker[AsyncSession],
    key: str,
    at: dt.datetime,
    allowance: int = ALLOWANCE,
) -> int | None:
    async with sessions() as session:
        answer = await rate_limits.take(session, key, "member_search", allowance, at)
        await session.commit()
    return answer


async def test_the_allowance_comes_back_to_back_then_one_use_per_cost(
    db_sessions: async_sessionmaker[AsyncSession],
) -> None:
    key = _key()
    assert [await _take(db_sessions, key, START) for _ in range(ALLOWANCE)] == [None] * 30
    assert await _take(db_sessions, key, START) == 2  # refused: one use comes back in 2 s
    assert await _take(db_sessions, key, START + COST) is None
    assert await _take(db_sessions, key, START + COST) == 2  # and only one


@pytest.mark.parametrize("before", [0, 1, 15, 29, 30])
async def test_no_second_allowance_across_a_minute_boundary(
    db_sessions: async_sessionmaker[AsyncSession], before: int
) -> None:
    """However a sweep splits itself between 10:00:59.9 and 10:01:00.1, it gets 30 in those
    0.2 s, not the 60 a fixed window gave (30 in each minute)."""
    key = _key()
    after = START + dt.timedelta(milliseconds=200)
    answers = [await _take(db_sessions, key, START) for _ in range(before)]
    answers += [await _take(db_sessions, key, after) for _ in range(2 * ALLOWANCE - before)]
    assert sum(a is None for a in answers) == ALLOWANCE
    assert answers[:ALLOWANCE] == [None] * ALLOWANCE  # the first 30, wherever they fall


async def test_a_refused_use_counts_so_a_sweep_that_keeps_trying_gets_nothing(
    db_sessions: async_sessionmaker[AsyncSession],
) -> None:
    """After its burst, a sweep trying every second (faster than the 2 s a use costs) is
    refused for as long as it keeps trying, across several minute boundaries; the first
    attempt after it pauses for Retry-After is allowed."""
    key = _key()
    for _ in range(ALLOWANCE):
        assert await _take(db_sessions, key, START) is None
    tries = [await _take(db_sessions, key, START + dt.timedelta(seconds=s)) for s in range(180)]
    assert tries == [2] * 180
    assert await _take(db_sessions, key, START + dt.timedelta(seconds=179) + COST) is None


@pytest.mark.parametrize(("allowance", "retry_after"), [(1, 60), (7, 9), (30, 2), (45, 2)])
async def test_retry_after_is_the_first_whole_second_a_use_is_allowed(
    db_sessions: async_sessionmaker[AsyncSession], allowance: int, retry_after: int
) -> None:
    """Retry-After rounds the wait up (60 s / 7 = 8.57 s -> 9; 60 s / 45 = 1.33 s -> 2): a
    client that waits that long is served; one that comes back a second early is not."""
    honest, early = _key(), _key()
    for key in (honest, early):
        for _ in range(allowance):
            assert await _take(db_sessions, key, START, allowance) is None
        assert await _take(db_sessions, key, START, allowance) == retry_after
    wait = dt.timedelta(seconds=retry_after)
    assert await _take(db_sessions, honest, START + wait, allowance) is None
    assert await _take(db_sessions, early, START + wait - dt.timedelta(seconds=1), allowance)


async def test_an_idle_key_has_its_whole_allowance_again_a_minute_later(
    db_sessions: async_sessionmaker[AsyncSession],
) -> None:
    key = _key()
    for _ in range(ALLOWANCE + 5):
        await _take(db_sessions, key, START)
    later = START + rate_limits.PERIOD
    assert [await _take(db_sessions, key, later) for _ in range(ALLOWANCE)] == [None] * 30
    assert await _take(db_sessions, key, later) == 2


async def test_keys_and_scopes_have_allowances_of_their_own(
    db_sessions: async_sessionmaker[AsyncSession],
) -> None:
    key, other = _key(), _key()
    async with db_sessions() as session:
        assert await rate_limits.take(session, key, "member_search", 1, START) is None
        assert await rate_limits.take(session, key, "member_search", 1, START) == 60
        assert await rate_limits.take(session, other, "member_search", 1, START) is None
        assert await rate_limits.take(session, key, "another_scope", 1, START) is None
        await session.commit()


async def test_two_workers_taking_at_once_cannot_exceed_the_allowance(
    database_url: str, db_sessions: async_sessionmaker[AsyncSession]
) -> None:
    """Two engines (two server workers), 25 takers each at the same moment: exactly 30 are
    allowed, because each upsert reads the row the other wrote."""
    other_engine = create_engine(database_url)
    other_sessions = session_factory(other_engine)
    key = _key()
    try:
        answers = await asyncio.gather(
            *(
                _take(sessions, key, START)
                for _ in range(25)
                for sessions in (db_sessions, other_sessions)
            )
        )
    finally:
        await other_engine.dispose()
    assert sum(a is None for a in answers) == ALLOWANCE
    assert sorted(a for a in answers if a is not None) == [2] * 20


async def test_an_allowance_below_one_is_refused(
    db_sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with db_sessions() as session:
        with pytest.raises(ValueError, match="allowance"):
            await rate_limits.take(session, _key(), "member_search", 0, START)
