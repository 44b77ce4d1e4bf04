"""Webhook mode: the bot as a route of our Litestar app, fed by `POST /telegram/webhook`."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import secrets
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import pytest_asyncio
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from api.app import create_app
from api.routes.telegram import MAX_UPDATE_BODY
from api.services.telegram_updates import REMEMBER, HandledUpdates
from api.settings import Settings
from bot.application import BotApplication
from bot.texts import ZH
from db.models import TelegramUpdate
from tests.bot.fake_bot_api import TOKEN, FakeBotApi, FakeUser

SECRET = "webhook-secret-for-tests"
HEADER = "X-Telegram-Bot-Api-Secret-Token"


@pytest.fixture
def threaded_api() -> Iterator[FakeBotApi]:
    """The stand-in Bot API on its own thread and loop.

    Litestar's test client runs the app on a thread of its own (a blocking portal) and waits
    for it; a stand-in on the test's loop could not answer the bot meanwhile.
    """
    api = FakeBotApi()
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(api.start(), loop).result(10)
    yield api
    asyncio.run_coroutine_threadsafe(api.stop(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()


@pytest_asyncio.fixture
async def webhook_client(
    settings: Settings, threaded_api: FakeBotApi
) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """The app with a bot token, pointed at the stand-in Bot API."""
    app = create_app(
        dataclasses.replace(
            settings,
            telegram_bot_token=TOKEN,
            telegram_webhook_secret=SECRET,
            telegram_bot_api_url=threaded_api.url,
        )
    )
    async with AsyncTestClient(app=app) as client:
        yield client


def _bot(client: AsyncTestClient[Litestar]) -> BotApplication:
    application: BotApplication = client.app.state.telegram
    assert application is not None
    return application


async def _post(
    client: AsyncTestClient[Litestar], update: dict[str, Any], secret: str | None = SECRET
) -> int:
    headers = {HEADER: secret} if secret is not None else {}
    response = await client.post("/telegram/webhook", json=update, headers=headers)
    # The bot runs on the app's loop: wait there until it has handled the update.
    client.blocking_portal.call(_bot(client).update_queue.join)
    return response.status_code


async def test_right_secret_runs_the_conversation(
    webhook_client: AsyncTestClient[Litestar], threaded_api: FakeBotApi
) -> None:
    user = FakeUser(threaded_api, 777_001)
    user.deliver = threaded_api.number  # updates come by webhook, not by getUpdates
    assert await _post(webhook_client, user.send("/start")) == 200
    texts = [m["text"] for m in user.messages()]
    assert texts[0].startswith("您好") and "您家是哪一类户" in texts[-1]
    assert await _post(webhook_client, user.press("脱贫户")) == 200
    assert "您家户口在哪个县" in user.messages()[-1]["text"]  # 2026 policies (#9)
    assert await _post(webhook_client, user.send("临猗")) == 200
    assert "第3题" in user.messages()[-1]["text"]
    # Webhook mode never polls.
    assert not threaded_api.sent(method="getUpdates")
    assert threaded_api.sent(method="setMyCommands")


@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET + "x"], ids=repr)
async def test_wrong_or_missing_secret_is_refused(
    webhook_client: AsyncTestClient[Litestar], threaded_api: FakeBotApi, secret: str | None
) -> None:
    user = FakeUser(threaded_api, 777_002)
    user.deliver = threaded_api.number
    assert await _post(webhook_client, user.send("/start"), secret=secret) == 403
    assert user.messages() == []


async def test_a_body_that_is_not_an_update_is_refused(
    webhook_client: AsyncTestClient[Litestar],
) -> None:
    headers = {HEADER: SECRET}
    response = await webhook_client.post("/telegram/webhook", content=b"{", headers=headers)
    assert response.status_code == 400
    response = await webhook_client.post("/telegram/webhook", json=[1], headers=headers)
    assert response.status_code == 400
    broken = {"update_id": 5, "message": {"text": "no chat, no date"}}
    response = await webhook_client.post("/telegram/webhook", json=broken, headers=headers)
    assert response.status_code == 400


async def test_no_secret_configured_refuses_everything(
    settings: Settings, threaded_api: FakeBotApi
) -> None:
    app = create_app(
        dataclasses.replace(
            settings, telegram_bot_token=TOKEN, telegram_bot_api_url=threaded_api.url
        )
    )
    async with AsyncTestClient(app=app) as client:
        user = FakeUser(threaded_api, 777_003)
        user.deliver = threaded_api.number
        response = await client.post("/telegram/webhook", json=user.send("/start"))
        assert response.status_code == 403
        response = await client.post(
            "/telegram/webhook", json=user.send("/start"), headers={HEADER: ""}
        )
        assert response.status_code == 403


async def test_route_is_absent_without_a_token(client: AsyncTestClient[Litestar]) -> None:
    response = await client.post("/telegram/webhook", json={"update_id": 1}, headers={HEADER: "x"})
    assert response.status_code == 404
    schema = (await client.get("/schema/openapi.json")).json()
    assert "/telegram/webhook" not in schema["paths"]


async def test_group_message_by_webhook(
    webhook_client: AsyncTestClient[Litestar], threaded_api: FakeBotApi
) -> None:
    user = FakeUser(threaded_api, 777_004, group_id=-100777)
    user.deliver = threaded_api.number
    assert await _post(webhook_client, user.send("/start")) == 200
    assert user.messages()[-1]["text"].startswith(ZH["private_only"])


async def test_api_still_serves_when_telegram_is_unreachable(settings: Settings) -> None:
    app = create_app(
        dataclasses.replace(
            settings,
            telegram_bot_token=TOKEN,
            telegram_webhook_secret=SECRET,
            telegram_bot_api_url="http://127.0.0.1:9",  # nothing listens there
        )
    )
    async with AsyncTestClient(app=app) as client:
        assert (await client.get("/healthz")).status_code == 200
        response = await client.post(
            "/telegram/webhook", json={"update_id": 1}, headers={HEADER: SECRET}
        )
        assert response.status_code == 503


# Issue 11, finding 14: malformed updates, oversized bodies and replays.

# Well authenticated, JSON, with an update id, but not what Telegram sends: each answered 500
# before (python-telegram-bot's parser raised AttributeError or OverflowError).
MALFORMED = [
    {"update_id": 11, "message": "hello"},
    {"update_id": 12, "message": 7},
    {"update_id": 13, "message": {"message_id": 1, "date": 1, "chat": {"id": 1, "type": "private"},
                                  "entities": "x"}},
    {"update_id": 14, "message": {"message_id": 1, "date": 1, "chat": {"id": 1, "type": "private"},
                                  "entities": [1]}},
    {"update_id": 15, "message": {"message_id": 1, "date": 10**20,
                                  "chat": {"id": 1, "type": "private"}}},
    {"update_id": 10**30},
    {"update_id": -1},
    {"update_id": True},
]  # fmt: skip


@pytest.mark.parametrize("update", MALFORMED, ids=lambda u: repr(u)[:60])
async def test_a_malformed_update_is_400_not_500(
    webhook_client: AsyncTestClient[Litestar], threaded_api: FakeBotApi, update: dict[str, Any]
) -> None:
    response = await webhook_client.post("/telegram/webhook", json=update, headers={HEADER: SECRET})
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["errors"][0]["path"] == "$"
    assert not threaded_api.sent()


async def test_an_oversized_body_is_413(
    webhook_client: AsyncTestClient[Litestar], threaded_api: FakeBotApi
) -> None:
    # It was 400: the "not JSON" branch swallowed the framework's 413.
    user = FakeUser(threaded_api, 777_010)
    user.deliver = threaded_api.number
    update = user.send("/start")
    for size in (12_000_000, MAX_UPDATE_BODY):
        update["message"]["text"] = "/start " + "字" * (size // 3)
        response = await webhook_client.post(
            "/telegram/webhook", json=update, headers={HEADER: SECRET}
        )
        assert response.status_code == 413, response.text[:200]
        assert response.headers["content-type"].startswith("application/problem+json")
    assert user.messages() == []


async def test_a_replayed_update_is_acknowledged_and_skipped(
    webhook_client: AsyncTestClient[Litestar], threaded_api: FakeBotApi
) -> None:
    # Three replays of /start gave three more greetings before.
    user = FakeUser(threaded_api, 777_011)
    user.deliver = threaded_api.number
    start = user.send("/start")
    assert await _post(webhook_client, start) == 200
    answered = len(user.messages())
    assert answered >= 1
    for _ in range(3):
        assert await _post(webhook_client, start) == 200
    assert len(user.messages()) == answered
    # The next update (a new id) is answered as usual.
    assert await _post(webhook_client, user.press("脱贫户")) == 200
    assert len(user.messages()) > answered


async def test_a_replay_to_another_worker_is_skipped_too(
    settings: Settings, webhook_client: AsyncTestClient[Litestar], threaded_api: FakeBotApi
) -> None:
    # A second app on the same database stands for a second server worker.
    other = create_app(
        dataclasses.replace(
            settings,
            telegram_bot_token=TOKEN,
            telegram_webhook_secret=SECRET,
            telegram_bot_api_url=threaded_api.url,
        )
    )
    user = FakeUser(threaded_api, 777_012)
    user.deliver = threaded_api.number
    start = user.send("/start")
    async with AsyncTestClient(app=other) as second:
        assert await _post(webhook_client, start) == 200
        answered = len(user.messages())
        assert await _post(second, start) == 200
        assert await _post(webhook_client, start) == 200
        assert len(user.messages()) == answered


async def test_handled_ids_are_remembered_for_two_days(
    db_sessions: async_sessionmaker[AsyncSession],
) -> None:
    now = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
    update_id = 900_000_000 + secrets.randbelow(10**8)  # not one the stand-in gives
    first = HandledUpdates(db_sessions, now=lambda: now)
    assert await first.claim(update_id)
    assert not await first.claim(update_id)
    # Another worker, a day later: still a replay.
    a_day_later = HandledUpdates(db_sessions, now=lambda: now + dt.timedelta(days=1))
    assert not await a_day_later.claim(update_id)
    # Past REMEMBER the id is deleted (the table stays small) and would be handled again.
    later = now + REMEMBER + dt.timedelta(minutes=1)
    assert await HandledUpdates(db_sessions, now=lambda: later).claim(update_id + 1)
    async with db_sessions() as session:
        assert await session.get(TelegramUpdate, update_id) is None
        assert await session.get(TelegramUpdate, update_id + 1) is not None
