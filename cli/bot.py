"""`eligibility bot`: the households' Telegram bot by long polling (or setting its webhook).

Reads `TELEGRAM_BOT_TOKEN`, `TELEGRAM_BOT_API_URL` and `DATABASE_URL` (see `api.settings`);
applies the migrations, then polls until Ctrl-C.  `--set-webhook URL` instead tells Telegram to
deliver updates to `URL` (our `POST /telegram/webhook`) with `TELEGRAM_WEBHOOK_SECRET`, and exits.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from typing import Any

from telegram import Bot
from telegram.error import TelegramError

from api.settings import Settings, get_settings
from bot.application import build_application
from bot.store import SqlConversationStore
from db.engine import create_engine
from db.migrate import upgrade_async
from eligibility.policy import load_bundled
from eligibility.policy_file import PolicyError


def register(commands: Any) -> None:
    """Add `bot`."""
    bot = commands.add_parser(
        "bot",
        help="run the households' Telegram bot by long polling",
        description="Runs the Telegram bot by long polling (TELEGRAM_BOT_TOKEN required). "
        "For webhook mode, serve the API with the token set and use --set-webhook once.",
    )
    bot.add_argument(
        "--set-webhook",
        metavar="URL",
        help="register URL (https://…/telegram/webhook) with Telegram and exit",
    )
    bot.add_argument(
        "--delete-webhook",
        action="store_true",
        help="remove the webhook (back to polling) and exit",
    )
    bot.add_argument(
        "--concurrency",
        type=int,
        default=1,
        metavar="N",
        help="handle up to N updates at once (one user's updates stay in order; default 1)",
    )
    bot.set_defaults(run=run_bot)


def _fail(message: str) -> int:
    print(f"eligibility bot: {message}", file=sys.stderr)
    return 2


def run_bot(args: argparse.Namespace) -> int:
    """Poll until interrupted, or set/delete the webhook; 2 when a setting is missing."""
    settings = get_settings()
    if not settings.telegram_bot_token:
        return _fail("set TELEGRAM_BOT_TOKEN (from @BotFather) first")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # httpx logs every request URL, and a Bot API URL contains the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if args.set_webhook or args.delete_webhook:
        if args.set_webhook and not settings.telegram_webhook_secret:
            return _fail("set TELEGRAM_WEBHOOK_SECRET first: the webhook refuses calls without it")
        try:
            asyncio.run(_webhook(settings, args.set_webhook))
        except TelegramError as exc:
            return _fail(_reason(exc, settings.telegram_bot_token))
        return 0
    try:
        policies = load_bundled()
    except PolicyError as exc:
        return _fail(f"policy refused: {exc}")
    try:
        asyncio.run(_poll(settings, policies, max(1, args.concurrency)))
    except TelegramError as exc:
        return _fail(_reason(exc, settings.telegram_bot_token))
    return 0


def _reason(exc: Exception, token: str) -> str:
    # python-telegram-bot puts a rejected token in its message: never print it.
    return f"Telegram refused: {str(exc).replace(token, '<token>')}"


async def _webhook(settings: Settings, url: str | None) -> None:
    assert settings.telegram_bot_token is not None
    api = settings.telegram_bot_api_url.rstrip("/")
    async with Bot(settings.telegram_bot_token, base_url=f"{api}/bot") as bot:
        if url:
            await bot.set_webhook(url, secret_token=settings.telegram_webhook_secret)
            print(f"webhook set: {url}")
        else:
            await bot.delete_webhook()
            print("webhook deleted")


async def _poll(settings: Settings, policies: Any, concurrency: int) -> None:
    assert settings.telegram_bot_token is not None
    engine = create_engine(settings.database_url)
    try:
        await upgrade_async(engine)
        application, household_bot = build_application(
            settings.telegram_bot_token,
            store=SqlConversationStore(engine),
            policies=policies,
            api_url=settings.telegram_bot_api_url,
            concurrent_updates=concurrency if concurrency > 1 else False,
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        async with application:
            await household_bot.prepare(application)
            await application.start()
            assert application.updater is not None
            await application.updater.start_polling()
            logging.getLogger(__name__).info("bot polling; Ctrl-C to stop")
            await stop.wait()
            await application.updater.stop()
            await application.stop()
    finally:
        await engine.dispose()
