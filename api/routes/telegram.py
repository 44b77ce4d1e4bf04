"""`POST /telegram/webhook`: the households' bot served by our own app (PTB `customwebhookbot`).

Mounted by `TelegramWebhook(settings)` only when `TELEGRAM_BOT_TOKEN` is set.  The bot's
`Application` is built without an updater, started in the app's lifespan on the app's database
engine and policies, and fed by this route, which checks Telegram's
`X-Telegram-Bot-Api-Secret-Token` header (403 when it is wrong or missing, and always when no
`TELEGRAM_WEBHOOK_SECRET` is configured) before putting the update on `update_queue`.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, Request, post
from litestar.config.app import AppConfig
from litestar.plugins import InitPluginProtocol
from telegram import Update
from telegram.error import TelegramError

from api.problems import ProblemError
from api.runtime import Runtime
from api.settings import Settings
from bot.application import BotApplication, build_application
from bot.store import SqlConversationStore

_LOGGER = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@post("/telegram/webhook", status_code=200, include_in_schema=False)
async def telegram_webhook(request: Request[Any, Any, Any]) -> None:
    """Hand one update from Telegram to the bot (403 without the right secret token)."""
    state = request.app.state
    secret = request.headers.get(SECRET_HEADER)
    expected: str | None = state.telegram_webhook_secret
    if expected is None or secret is None or not hmac.compare_digest(secret, expected):
        raise ProblemError(403, "Wrong or missing secret token.")
    application: BotApplication | None = state.telegram
    if application is None:
        raise ProblemError(503, "The bot is not running.")
    try:
        data = await request.json()
    except Exception as exc:  # any body that is not JSON
        raise ProblemError(400, "The body is not a JSON update.") from exc
    if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
        raise ProblemError(400, "The body is not a Telegram update.")
    try:
        update = Update.de_json(data, application.bot)
    except (KeyError, TypeError, ValueError) as exc:
        raise ProblemError(400, "The body is not a Telegram update.") from exc
    await application.update_queue.put(update)


class TelegramWebhook(InitPluginProtocol):
    """Mounts the webhook route and runs the bot, when a bot token is configured."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        """Add the route and the bot's lifespan (after the runtime's, whose engine it uses)."""
        if not self.settings.telegram_bot_token:
            return app_config
        app_config.route_handlers.append(telegram_webhook)
        app_config.lifespan.append(self._lifespan)
        return app_config

    @asynccontextmanager
    async def _lifespan(self, app: Litestar) -> AsyncIterator[None]:
        settings = self.settings
        assert settings.telegram_bot_token is not None
        runtime: Runtime = app.state.runtime
        app.state.telegram_webhook_secret = settings.telegram_webhook_secret
        if settings.telegram_webhook_secret is None:
            _LOGGER.warning("TELEGRAM_WEBHOOK_SECRET is not set: the webhook refuses every call")
        application, household_bot = build_application(
            settings.telegram_bot_token,
            store=SqlConversationStore(runtime.engine),
            policies=runtime.policies.current,
            api_url=settings.telegram_bot_api_url,
            webhook=True,
        )
        try:
            await application.initialize()
            await household_bot.prepare(application)
            await application.start()
        except TelegramError as exc:
            # The caseworkers' API must not go down with Telegram: the bot stays off.  (PTB puts
            # a rejected token in its message: never log it.)
            reason = str(exc).replace(settings.telegram_bot_token, "<token>")
            _LOGGER.error("the Telegram bot could not start: %s", reason)
            await application.bot.shutdown()
            app.state.telegram = None
            yield
            return
        app.state.telegram = application
        try:
            yield
        finally:
            app.state.telegram = None
            await application.stop()
            await application.shutdown()
