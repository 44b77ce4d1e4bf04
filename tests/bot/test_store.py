"""The conversation store on the real database: round trip, per-user rows, expiry, /forget."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.questionnaire import Conversation
from bot.store import SqlConversationStore
from db.engine import create_engine
from db.models import utcnow


@pytest_asyncio.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on the session's migrated database."""
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


async def test_round_trip_and_replace(engine: AsyncEngine) -> None:
    store = SqlConversationStore(engine)
    conversation = Conversation(
        chat_id=9_000_000_001,  # chat ids exceed 32 bits
        lang="en",
        state="ask:person.age",
        answers={"household.category": "ordinary", "person.birth_date": "1980-01-15"},
        skipped=["region_code"],
    )
    assert await store.save(900_001, conversation)
    assert await store.load(900_001) == conversation
    conversation.answers["person.age"] = 44
    conversation.state = "results"
    assert await store.save(900_001, conversation)
    assert await store.load(900_001) == conversation
    assert await store.load(900_002) is None


async def test_a_row_changed_since_loading_is_not_overwritten(engine: AsyncEngine) -> None:
    """As when two webhook workers handle one user's two quick answers at once."""
    store = SqlConversationStore(engine)
    assert await store.save(900_030, Conversation(chat_id=900_030))
    first = await store.load(900_030)
    second = await store.load(900_030)
    assert first is not None and second is not None
    first.answers["person.age"] = 40
    second.answers["household.size"] = 3
    assert await store.save(900_030, first)
    assert not await store.save(900_030, second)  # told, not silently lost
    again = await store.load(900_030)
    assert again is not None and again.answers == {"person.age": 40}
    again.answers["household.size"] = 3
    assert await store.save(900_030, again)
    # Two processes creating the same user's first row: the second is told too.
    new_a, new_b = Conversation(chat_id=900_031), Conversation(chat_id=900_031)
    assert await store.save(900_031, new_a)
    assert not await store.save(900_031, new_b)


async def test_expired_rows_are_deleted(engine: AsyncEngine) -> None:
    store = SqlConversationStore(engine, retention=dt.timedelta(days=30))
    await store.save(900_010, Conversation(chat_id=900_010))
    await store.save(900_011, Conversation(chat_id=900_011))
    # Thirty-one days later both are past the retention period.
    later = utcnow() + dt.timedelta(days=31)
    assert await store.purge(now=later) >= 2
    assert await store.load(900_010) is None
    # On load, too: a store with no retention sees every row as expired.
    await store.save(900_012, Conversation(chat_id=900_012))
    assert await SqlConversationStore(engine, retention=dt.timedelta(0)).load(900_012) is None
    assert await store.load(900_012) is None


async def test_delete_only_the_user(engine: AsyncEngine) -> None:
    store = SqlConversationStore(engine)
    await store.save(900_020, Conversation(chat_id=900_020))
    await store.save(900_021, Conversation(chat_id=900_021))
    assert await store.delete(900_020) is True
    assert await store.delete(900_020) is False
    assert await store.load(900_020) is None
    assert await store.load(900_021) is not None
