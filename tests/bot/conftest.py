"""The bot under test: the real python-telegram-bot Application, polling the stand-in Bot API
over HTTP, on a real (migrated) database from the shared `database_url` fixture."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from bot.application import BotApplication, build_application
from bot.handlers import HouseholdBot
from bot.ratelimit import RateLimiter
from bot.store import SqlConversationStore
from db.engine import create_engine
from eligibility.policy import load_bundled
from eligibility.programme import PolicySet
from tests.bot.fake_bot_api import TOKEN, FakeBotApi, FakeUser

_user_ids = itertools.count(10_001)


class Clock:
    """Today's date as the bot sees it; a test moves it to an example's `as_of`."""

    def __init__(self, today: dt.date) -> None:
        self.today = today

    def __call__(self) -> dt.date:
        return self.today


class BotUnderTest:
    """Starts, stops and restarts the bot; plays users and waits for the bot's answers."""

    def __init__(self, api: FakeBotApi, database_url: str, policies: PolicySet) -> None:
        self.api = api
        self.database_url = database_url
        self.policies = policies
        self.clock = Clock(dt.date(2026, 11, 23))
        self.limiter = RateLimiter(capacity=1000, rate=1000)
        self.application: BotApplication | None = None
        self.bot: HouseholdBot | None = None
        self.engine = create_engine(database_url)
        self.store = SqlConversationStore(self.engine)

    async def start(self) -> None:
        """Build a fresh application on the same database and start polling."""
        self.application, self.bot = build_application(
            TOKEN,
            store=self.store,
            policies=self.policies,
            api_url=self.api.url,
            today=self.clock,
            limiter=self.limiter,
        )
        await self.application.initialize()
        await self.bot.prepare(self.application)
        await self.application.start()
        assert self.application.updater is not None
        await self.application.updater.start_polling(timeout=1)

    async def stop(self) -> None:
        """Stop polling and shut the application down (the database stays)."""
        application = self.application
        assert application is not None and application.updater is not None
        await application.updater.stop()
        await application.stop()
        await application.shutdown()
        self.application = None

    async def restart(self) -> None:
        """As after a crash or a deploy: a new application, a new store, the same database."""
        await self.stop()
        await self.engine.dispose()
        self.engine = create_engine(self.database_url)
        self.store = SqlConversationStore(self.engine)
        await self.start()

    async def settle(self) -> None:
        """Until the bot has fetched and fully handled every update queued so far."""
        assert self.application is not None
        await self.api.wait_fetched(self.api.last_update_id)
        await self.application.update_queue.join()

    def user(self, **kwargs: Any) -> FakeUser:
        """A new user (a fresh id, so no test sees another's conversation)."""
        return FakeUser(self.api, next(_user_ids), **kwargs)

    async def say(self, user: FakeUser, text: str) -> list[str]:
        """The user types `text`; the texts the bot sent back."""
        before = len(user.messages())
        user.send(text)
        await self.settle()
        return [m["text"] for m in user.messages()[before:]]

    async def press(self, user: FakeUser, label: str) -> list[str]:
        """The user presses a button; the texts the bot sent back."""
        before = len(user.messages())
        user.press(label)
        await self.settle()
        return [m["text"] for m in user.messages()[before:]]


@pytest.fixture(scope="session")
def policies() -> PolicySet:
    """The bundled policies."""
    return load_bundled()


@pytest_asyncio.fixture
async def fake_api() -> AsyncIterator[FakeBotApi]:
    """The stand-in Bot API, served on a free local port."""
    api = FakeBotApi()
    await api.start()
    yield api
    await api.stop()


@pytest_asyncio.fixture
async def bot(
    fake_api: FakeBotApi, database_url: str, policies: PolicySet
) -> AsyncIterator[BotUnderTest]:
    """The bot, polling `fake_api`, on the session's database."""
    under_test = BotUnderTest(fake_api, database_url, policies)
    await under_test.start()
    yield under_test
    if under_test.application is not None:
        await under_test.stop()
    await under_test.engine.dispose()
