"""Webhook mode: the bot as a route of our Litestar app, fed by `POST /telegram/webhook`."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import pytest_asyncio
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.app import create_app
from api.settings import Settings
from bot.application import BotApplication
from bot.texts import ZH
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
    assert "您家户口在哪个县" in user.messages()[-1]["text"]
    assert await _post(webhook_client, user.send("510121")) == 200
    assert "已回答 2 项" in user.messages()[-1]["text"]
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
