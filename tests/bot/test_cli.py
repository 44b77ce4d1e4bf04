"""`eligibility bot` as a process: long polling against the stand-in, stopped by a signal."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from bot.texts import ZH
from tests.bot.fake_bot_api import TOKEN, FakeBotApi, FakeUser

ROOT = Path(__file__).resolve().parents[2]


def _environment(api: FakeBotApi, database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_BOT_API_URL=api.url,
        TELEGRAM_WEBHOOK_SECRET="cli-secret",
        DATABASE_URL=database_url,
    )
    return env


async def _eligibility(*args: str, env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "cli.main",
        *args,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_polls_until_interrupted(fake_api: FakeBotApi, database_url: str) -> None:
    process = await _eligibility("bot", env=_environment(fake_api, database_url))
    try:
        await fake_api.wait_until(lambda: bool(fake_api.sent(method="getUpdates")), timeout=30)
        user = FakeUser(fake_api, 880_001)
        user.send("/start")
        await fake_api.wait_until(lambda: len(user.messages()) >= 2, timeout=30)
        assert user.messages()[0]["text"] == ZH["greeting"]
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, stderr.decode()
    assert TOKEN not in stderr.decode()  # the token is in every Bot API URL: never logged


async def test_set_webhook(fake_api: FakeBotApi, database_url: str) -> None:
    env = _environment(fake_api, database_url)
    url = "https://example.org/telegram/webhook"
    process = await _eligibility("bot", "--set-webhook", url, env=env)
    stdout, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, stderr.decode()
    assert stdout.decode().strip() == f"webhook set: {url}"
    call = fake_api.sent(method="setWebhook")[-1]
    assert call.params["url"] == url and call.params["secret_token"] == "cli-secret"


async def test_needs_a_token(fake_api: FakeBotApi, database_url: str) -> None:
    env = _environment(fake_api, database_url)
    env["TELEGRAM_BOT_TOKEN"] = ""
    process = await _eligibility("bot", env=env)
    _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 2
    assert "TELEGRAM_BOT_TOKEN" in stderr.decode()


async def test_a_rejected_token_is_not_printed(fake_api: FakeBotApi, database_url: str) -> None:
    env = _environment(fake_api, database_url)
    env["TELEGRAM_BOT_TOKEN"] = "999:WRONG-TOKEN"  # the stand-in answers 401 Unauthorized
    process = await _eligibility("bot", env=env)
    stdout, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 2
    assert "Telegram refused" in stderr.decode()
    assert "WRONG-TOKEN" not in (stdout + stderr).decode()
