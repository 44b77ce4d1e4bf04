"""Building the python-telegram-bot `Application`: for long polling, or for our webhook route.

`TELEGRAM_BOT_API_URL` points the bot at another Bot API server (a local one, or the stand-in
the tests use): the bot calls `{url}/bot{token}/{method}`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from telegram.ext import Application, ApplicationBuilder

from bot import redaction
from bot.handlers import HouseholdBot
from bot.questionnaire import Questionnaire
from bot.ratelimit import RateLimiter
from bot.store import ConversationStore
from eligibility.programme import PolicySet

DEFAULT_API_URL = "https://api.telegram.org"

BotApplication = Application[Any, Any, Any, Any, Any, Any]


def build_application(
    token: str,
    *,
    store: ConversationStore,
    policies: PolicySet,
    api_url: str = DEFAULT_API_URL,
    today: Callable[[], dt.date] = dt.date.today,
    webhook: bool = False,
    limiter: RateLimiter | None = None,
    concurrent_updates: int | bool = False,
) -> tuple[BotApplication, HouseholdBot]:
    """The application with the households' bot installed, and the bot itself.

    With `webhook=True` there is no updater: updates arrive through `update_queue` (our
    Litestar route puts them there).  After `initialize()`, call `household_bot.prepare()` to
    publish the command menu and purge expired conversations.
    """
    redaction.install()
    household_bot = HouseholdBot(
        store,
        Questionnaire(policies, today),
        limiter=limiter,
    )

    api = api_url.rstrip("/")
    builder = (
        ApplicationBuilder()
        .token(token)
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        .concurrent_updates(concurrent_updates)
    )
    if webhook:
        builder = builder.updater(None)
    application: BotApplication = builder.build()
    household_bot.install(application)
    return application, household_bot
