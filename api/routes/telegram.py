"""`POST /telegram/webhook`: the households' bot served by our own app (PTB `customwebhookbot`).

Mounted by `TelegramWebhook(settings)` only when `TELEGRAM_BOT_TOKEN` is set.  The bot's
`Application` is built without an updater, started in the app's lifespan on the app's database
engine and policies, and fed by this route, which checks Telegram's
`X-Telegram-Bot-Api-Secret-Token` header (403 when it is wrong or missing, and always when no
`TELEGRAM_WEBHOOK_SECRET` is configured) before putting the update on `update_queue`.  A body
that is not an update is a 400, one past `MAX_UPDATE_BODY` a 413, and an update whose id was
handled already (by any worker: `api.services.telegram_updates`) is acknowledged and skipped.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import msgspec
from litestar import Litestar, Request, post
from litestar.config.app import AppConfig
from litestar.plugins import InitPluginProtocol
from telegram import Update
from telegram.error import TelegramError

from api.problems import VALIDATION_TYPE, FieldError, ProblemError
from api.runtime import Runtime
from api.services.telegram_updates import HandledUpdates
from api.settings import Settings
from bot.application import BotApplication, build_application
from bot.store import SqlConversationStore

_LOGGER = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


# Telegram's updates are a few KiB (a message is at most 4,096 characters); 1 MiB is ample.
MAX_UPDATE_BODY = 1024 * 1024


class _Envelope(msgspec.Struct):
    """What the route itself reads of an update (the rest is python-telegram-bot's)."""

    update_id: Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)]


def _not_an_update() -> ProblemError:
    return ProblemError(
        400,
        "The body is not a Telegram update.",
        errors=[FieldError(path="$", message="not a Telegram update")],
        problem_type=VALIDATION_TYPE,
    )


@post(
    "/telegram/webhook",
    status_code=200,
    include_in_schema=False,
    request_max_body_size=MAX_UPDATE_BODY,
)
async def telegram_webhook(request: Request[Any, Any, Any]) -> None:
    """Hand one update from Telegram to the bot: 403 without the right secret token, 413 past
    MAX_UPDATE_BODY, 400 for a body that is not an update, and 200 without handing it over
    when another delivery of the same `update_id` was handled already."""
    state = request.app.state
    secret = request.headers.get(SECRET_HEADER)
    expected: str | None = state.telegram_webhook_secret
    if expected is None or secret is None or not hmac.compare_digest(secret, expected):
        raise ProblemError(403, "Wrong or missing secret token.")
    application: BotApplication | None = state.telegram
    if application is None:
        raise ProblemError(503, "The bot is not running.")
    body = await request.body()  # 413 once past the limit (an HTTP error, not caught here)
    try:
        data = msgspec.json.decode(body)
        envelope = msgspec.convert(data, _Envelope)
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
        raise _not_an_update() from None
    try:
        update = Update.de_json(data, application.bot)
    except Exception:
        # PTB's parser is no validator: whatever it raises on a body (AttributeError,
        # TypeError, OverflowError ...) means that the body is malformed.
        raise _not_an_update() from None
    handled: HandledUpdates = state.telegram_updates
    if not await handled.claim(envelope.update_id):
        _LOGGER.info("update %d was handled already: skipped", envelope.update_id)
        return
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
        app.state.telegram_updates = HandledUpdates(runtime.sessions)
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
