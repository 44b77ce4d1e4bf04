"""The Telegram side: one small handler per command, per button press and per typed answer.

As in python-telegram-bot's `conversationbot.py`, each step is a small async function; the
state (named after the fact being asked, e.g. `ask:person.age`) and the answers live in the
database (`bot.store`), written before any reply is sent, so a restart loses nothing.  The
questionnaire logic itself is in `bot.questionnaire` and knows nothing of Telegram.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
import weakref
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.questionnaire import (
    IDLE,
    RESULTS,
    Conversation,
    Pressed,
    Questionnaire,
    Reply,
    _with,
    normalise,
)
from bot.ratelimit import RateLimiter
from bot.store import ConversationStore
from bot.texts import COMMANDS, say
from eligibility.text import Lang

_LOGGER = logging.getLogger(__name__)
_T = TypeVar("_T")
# Another process saving the same user's row in between is rare; a few tries are plenty.
_SAVE_ATTEMPTS = 5
# Anything that looks like an ID number is deleted from the chat, valid or not.
_LOOKS_LIKE_ID = re.compile(r"\d{15,17}[\dxX]?")
# What `/lang` accepts, after full-width folding and lower-casing.
_LANG_WORDS: dict[str, Lang] = {
    **dict.fromkeys(("zh", "cn", "中文", "汉语", "华语", "普通话", "chinese"), "zh"),
    **dict.fromkeys(("en", "english", "英文", "英语", "eng"), "en"),
}


class HouseholdBot:
    """The households' bot: handlers over a conversation store and the questionnaire."""

    def __init__(
        self,
        store: ConversationStore,
        questionnaire: Questionnaire,
        *,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.store = store
        self.questionnaire = questionnaire
        self.limiter = limiter or RateLimiter()
        # Seconds spent in each handled update, network excluded (for the benchmark, metrics).
        self.step_seconds: deque[float] = deque(maxlen=100_000)
        # Of which loading and saving the conversation.
        self.store_seconds: deque[float] = deque(maxlen=100_000)
        self._purged_at = -3600.0
        self._locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()

    def install(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """Add the handlers to `application`."""
        application.add_handler(TypeHandler(Update, self.guard), group=-1)
        for name, callback in (
            ("start", self.start),
            ("restart", self.restart),
            ("result", self.result),
            ("cancel", self.cancel),
            ("forget", self.forget),
            ("lang", self.lang),
            ("programmes", self.programmes),
            ("help", self.help),
            ("privacy", self.privacy),
        ):
            # New messages only: editing an old "/forget" must not run it again.
            application.add_handler(
                CommandHandler(name, callback, filters=filters.UpdateType.MESSAGE)
            )
        application.add_handler(CallbackQueryHandler(self.pressed))
        new_message = filters.UpdateType.MESSAGE
        application.add_handler(
            MessageHandler(new_message & filters.TEXT & ~filters.COMMAND, self.typed)
        )
        application.add_handler(MessageHandler(new_message & filters.COMMAND, self.unknown_command))
        application.add_handler(MessageHandler(new_message, self.not_understood))
        application.add_error_handler(self.on_error)

    async def prepare(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """Once initialised: publish the command menu (zh by default, en), purge old rows."""
        bot = application.bot
        try:
            await bot.set_my_commands([BotCommand(c, d) for c, d in COMMANDS["zh"]])
            await bot.set_my_commands(
                [BotCommand(c, d) for c, d in COMMANDS["en"]], language_code="en"
            )
        except TelegramError as exc:
            _LOGGER.warning("could not publish the command menu: %s", exc)
        self._purged_at = -3600.0
        await self._maybe_purge()

    # -- plumbing ---------------------------------------------------------------------------

    async def _step(
        self, update: Update, change: Callable[[Conversation], _T]
    ) -> tuple[Conversation, _T]:
        """Load the user's conversation, `change` it, save it; again if another process saved
        it in between (`change` must only change the conversation and say what to send)."""
        user = update.effective_user
        chat = update.effective_chat
        assert user is not None and chat is not None  # the guard lets nothing else through
        lock = self._locks.get(user.id)
        if lock is None:
            lock = self._locks[user.id] = asyncio.Lock()
        async with lock:
            for _ in range(_SAVE_ATTEMPTS):
                started = time.perf_counter()
                conversation = await self.store.load(user.id)
                loaded = time.perf_counter()
                if conversation is None:
                    conversation = Conversation(chat_id=chat.id)
                conversation.chat_id = chat.id
                result = change(conversation)
                decided = time.perf_counter()
                saved = await self.store.save(user.id, conversation)
                done = time.perf_counter()
                self.step_seconds.append(done - started)
                self.store_seconds.append(done - decided + loaded - started)
                if saved:
                    return conversation, result
        raise RuntimeError(f"conversation kept changing under {_SAVE_ATTEMPTS} attempts")

    async def _send(
        self, context: ContextTypes.DEFAULT_TYPE, chat_id: int, replies: Sequence[Reply]
    ) -> None:
        for reply in replies:
            markup = (
                InlineKeyboardMarkup(
                    [
                        [InlineKeyboardButton(label, callback_data=data) for label, data in row]
                        for row in reply.buttons
                    ]
                )
                if reply.buttons
                else None
            )
            await context.bot.send_message(chat_id, reply.text, reply_markup=markup)

    async def _maybe_purge(self) -> None:
        """Delete expired conversations about once an hour, on the way of an update."""
        now = time.monotonic()
        if now - self._purged_at < 3600:
            return
        self._purged_at = now
        purged = await self.store.purge()
        if purged:
            _LOGGER.info("deleted %d expired bot conversations", purged)

    async def _lang_of(self, user_id: int) -> Lang:
        conversation = await self.store.load(user_id)
        return "zh" if conversation is None else conversation.lang

    # -- before everything ------------------------------------------------------------------

    async def guard(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Drop what is not from a user; slow down floods; send groups to a private chat."""
        user = update.effective_user
        chat = update.effective_chat
        if user is None or chat is None:
            raise ApplicationHandlerStop
        await self._maybe_purge()
        if not self.limiter.allow(user.id):
            query = update.callback_query
            if self.limiter.should_warn(user.id):
                text = say(await self._lang_of(user.id), "slow_down")
                if query is not None:
                    await query.answer(text)
                else:
                    await context.bot.send_message(chat.id, text)
            elif query is not None:
                await query.answer()
            raise ApplicationHandlerStop
        if chat.type != ChatType.PRIVATE:
            if update.message is not None:
                await update.message.reply_text(
                    say("zh", "private_only") + "\n" + say("en", "private_only")
                )
            elif update.callback_query is not None:
                await update.callback_query.answer()
            raise ApplicationHandlerStop

    # -- commands ---------------------------------------------------------------------------

    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Greet and start a check (or carry on with the one in progress)."""

        def change(conversation: Conversation) -> list[Reply]:
            lang = conversation.lang
            if conversation.asking is not None:
                return _with(say(lang, "continue"), self.questionnaire.current(conversation))
            conversation.reset()
            return [Reply(text=say(lang, "greeting")), *self.questionnaire.advance(conversation)]

        conversation, replies = await self._step(update, change)
        await self._send(context, conversation.chat_id, replies)

    async def restart(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Forget the answers and ask again from the first question."""

        def change(conversation: Conversation) -> list[Reply]:
            conversation.reset()
            return _with(
                say(conversation.lang, "restarted"), self.questionnaire.advance(conversation)
            )

        conversation, replies = await self._step(update, change)
        await self._send(context, conversation.chat_id, replies)

    async def result(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Show the results now; the open question stays open."""

        def change(conversation: Conversation) -> list[Reply]:
            replies = self.questionnaire.results(conversation)
            if conversation.asking is not None:
                replies.extend(self.questionnaire.current(conversation))
            elif conversation.state == IDLE and conversation.steps:
                conversation.state = RESULTS
            return replies

        conversation, replies = await self._step(update, change)
        await self._send(context, conversation.chat_id, replies)

    async def cancel(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Stop asking and clear the answers (the language is kept)."""

        def change(conversation: Conversation) -> list[Reply]:
            conversation.reset()
            return [Reply(text=say(conversation.lang, "cancelled"))]

        conversation, replies = await self._step(update, change)
        await self._send(context, conversation.chat_id, replies)

    async def forget(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Delete everything kept about the user."""
        assert update.effective_user is not None and update.effective_chat is not None
        lang = await self._lang_of(update.effective_user.id)
        await self.store.delete(update.effective_user.id)
        await self._send(context, update.effective_chat.id, [Reply(text=say(lang, "forgotten"))])

    async def lang(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """`/lang zh` or `/lang en`: switch language and ask the open question again."""
        wanted = normalise(" ".join(context.args)) if context.args else ""

        def change(conversation: Conversation) -> list[Reply]:
            if wanted not in _LANG_WORDS:
                return [Reply(text=say(conversation.lang, "lang_usage"))]
            conversation.lang = _LANG_WORDS[wanted]
            return _with(
                say(conversation.lang, "lang_set"), self.questionnaire.current(conversation)
            )

        conversation, replies = await self._step(update, change)
        await self._send(context, conversation.chat_id, replies)

    async def programmes(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Explain each programme in one message."""
        assert update.effective_user is not None and update.effective_chat is not None
        lang = await self._lang_of(update.effective_user.id)
        await self._send(context, update.effective_chat.id, self.questionnaire.programmes(lang))

    async def help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """What the bot can do."""
        assert update.effective_user is not None and update.effective_chat is not None
        lang = await self._lang_of(update.effective_user.id)
        await self._send(context, update.effective_chat.id, [Reply(text=say(lang, "help"))])

    async def privacy(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """What is kept, and for how long."""
        assert update.effective_user is not None and update.effective_chat is not None
        lang = await self._lang_of(update.effective_user.id)
        text = say(lang, "privacy", days=self.store.retention.days)
        await self._send(context, update.effective_chat.id, [Reply(text=text)])

    # -- answers ----------------------------------------------------------------------------

    async def pressed(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A button under a question: an option, 是/否, 不清楚, a place, "改上一个回答"."""
        query = update.callback_query
        assert query is not None
        data = query.data or ""
        pressed: Pressed
        conversation, pressed = await self._step(
            update, lambda conversation: self.questionnaire.press(conversation, data)
        )
        if pressed.refusal is not None:
            await query.answer(pressed.refusal)
            return
        edited = pressed.edited

        async def mark_answered() -> None:
            if edited is not None:
                with contextlib.suppress(TelegramError):
                    await query.edit_message_text(edited)

        # Three independent calls: stop the button's spinner, tick the old question, ask the next.
        await asyncio.gather(
            query.answer(),
            mark_answered(),
            self._send(context, conversation.chat_id, pressed.replies),
        )

    async def typed(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A typed answer: a number, a place, a date, an ID number, or words."""
        message = update.message
        assert message is not None and message.text is not None
        text = message.text
        conversation, replies = await self._step(
            update, lambda conversation: self.questionnaire.typed(conversation, text)
        )
        if _LOOKS_LIKE_ID.search(normalise(text)):
            # Never leave an ID number in the chat history either.
            with contextlib.suppress(TelegramError):
                await message.delete()
        await self._send(context, conversation.chat_id, replies)

    async def unknown_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A command the bot does not know."""
        assert update.effective_user is not None and update.effective_chat is not None
        lang = await self._lang_of(update.effective_user.id)
        await self._send(
            context, update.effective_chat.id, [Reply(text=say(lang, "unknown_command"))]
        )

    async def not_understood(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A sticker, photo, voice note…: say so politely and ask the open question again."""

        def change(conversation: Conversation) -> list[Reply]:
            lang = conversation.lang
            if conversation.asking is not None:
                return _with(say(lang, "not_understood"), self.questionnaire.current(conversation))
            return [Reply(text=say(lang, "not_understood") + "\n" + say(lang, "not_started"))]

        conversation, replies = await self._step(update, change)
        await self._send(context, conversation.chat_id, replies)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log the error (never the message text: it may hold personal data) and apologise."""
        _LOGGER.error(
            "bot handler failed: %s", type(context.error).__name__, exc_info=context.error
        )
        if isinstance(update, Update) and update.effective_chat is not None:
            lang: Lang = "zh"
            if update.effective_user is not None:
                with contextlib.suppress(Exception):
                    lang = await self._lang_of(update.effective_user.id)
            with contextlib.suppress(TelegramError):
                await context.bot.send_message(update.effective_chat.id, say(lang, "error"))
