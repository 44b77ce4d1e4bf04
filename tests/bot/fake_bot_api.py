"""A small stand-in of the Telegram Bot API on 127.0.0.1, so no test ever reaches Telegram.

It speaks the real HTTP protocol python-telegram-bot uses (`POST /bot<token>/<method>`, form or
JSON parameters, `{"ok": ..., "result": ...}` answers), records every call, and can play users:
`FakeUser.send("45")` and `FakeUser.press("是")` queue updates that the bot fetches with
`getUpdates` (long polling, `offset` and `timeout` honoured) or that a test posts to the webhook.

Implemented: getMe, getUpdates, sendMessage, editMessageText, answerCallbackQuery,
deleteMessage, deleteWebhook, setWebhook, setMyCommands.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import uvicorn

TOKEN = "123456:TEST-TOKEN"
BOT_ID = 123456
# Telegram numbers a bot's updates once: so does the stand-in, across its instances (the app
# remembers handled ids in the test session's database and skips a repeated one).
_UPDATE_IDS = itertools.count(1)
_JSON_FIELDS = {
    "reply_markup",
    "commands",
    "allowed_updates",
    "scope",
    "entities",
    "link_preview_options",
    "reply_parameters",
    "show_alert",
    "drop_pending_updates",
}
_INT_FIELDS = {"chat_id", "message_id", "offset", "limit", "timeout", "cache_time"}


@dataclass
class Call:
    """One request the bot made."""

    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)
    result: Any = None


class FakeBotApi:
    """The stand-in server: start it, point the bot at `url`, play users, read `calls`."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.by_chat: dict[int, list[Call]] = {}  # sendMessage calls, per chat
        self.updates: list[dict[str, Any]] = []  # not yet confirmed by an offset
        self.confirmed_offset = 0
        self._last_update_id = 0
        self._next_message_id = 1000
        self._changed = asyncio.Condition()
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._tasks: set[asyncio.Task[None]] = set()
        self.url = ""

    # -- running ----------------------------------------------------------------------------

    async def start(self) -> str:
        """Serve on a free port of 127.0.0.1; returns the base URL (give it to the bot)."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted sockets inherit this: no 40 ms Nagle/delayed-ACK stall between the response's
        # header and body writes.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        config = uvicorn.Config(
            self,
            log_level="warning",
            lifespan="off",
            ws="none",
            http="h11",
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:
            await asyncio.sleep(0.005)
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        """Wake any long poll and shut the server down."""
        self._closing = True
        async with self._changed:
            self._changed.notify_all()
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task

    # -- the protocol -----------------------------------------------------------------------

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """ASGI entry point."""
        if scope["type"] != "http":
            return
        body = b""
        while True:
            event = await receive()
            body += event.get("body", b"")
            if not event.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        status, answer = await self._answer(scope["path"], headers.get("content-type", ""), body)
        payload = json.dumps(answer).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": payload})

    async def _answer(self, path: str, content_type: str, body: bytes) -> tuple[int, Any]:
        prefix = f"/bot{self.token}/"
        if not path.startswith(prefix):
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        method = path[len(prefix) :]
        params = _parse(content_type, body)
        call = Call(method=method, params=params)
        self.calls.append(call)
        handler: Callable[[dict[str, Any]], Any] | None = getattr(self, f"_m_{method}", None)
        if handler is None:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found: " + method}
        result = handler(params)
        if asyncio.iscoroutine(result):
            result = await result
        call.result = result
        async with self._changed:
            self._changed.notify_all()
        return 200, {"ok": True, "result": result}

    def _m_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "帮扶助手",
            "username": "fake_support_bot",
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def _m_deleteWebhook(self, params: dict[str, Any]) -> bool:
        return True

    def _m_setWebhook(self, params: dict[str, Any]) -> bool:
        return True

    def _m_setMyCommands(self, params: dict[str, Any]) -> bool:
        return True

    def _m_answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        return True

    def _m_deleteMessage(self, params: dict[str, Any]) -> bool:
        return True

    async def _m_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        if offset:
            # Telegram forgets every update below the offset: they are confirmed.
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
            self.confirmed_offset = max(self.confirmed_offset, offset)
            async with self._changed:
                self._changed.notify_all()
        deadline = time.monotonic() + timeout
        async with self._changed:
            while not self.updates and not self._closing:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), left)
        return self.updates[:limit]

    def _message(self, chat_id: int, text: str, reply_markup: Any = None) -> dict[str, Any]:
        self._next_message_id += 1
        message: dict[str, Any] = {
            "message_id": self._next_message_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "帮扶助手"},
            "text": text,
        }
        if reply_markup:
            message["reply_markup"] = reply_markup
        return message

    def _m_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        message = self._message(chat_id, params["text"], params.get("reply_markup"))
        self.by_chat.setdefault(chat_id, []).append(
            Call(method="sendMessage", params=params, result=message)
        )
        return message

    def _m_editMessageText(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._message(int(params["chat_id"]), params["text"], params.get("reply_markup"))
        message["message_id"] = int(params["message_id"])
        return message

    # -- playing users ----------------------------------------------------------------------

    def number(self, update: dict[str, Any]) -> dict[str, Any]:
        """Give an update its `update_id` (for a webhook call: not queued)."""
        update["update_id"] = self._last_update_id = next(_UPDATE_IDS)
        return update

    def push(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update (its `update_id` is set here) for the next getUpdates."""
        self.updates.append(self.number(update))
        task = asyncio.get_running_loop().create_task(self._notify())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return update

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    @property
    def last_update_id(self) -> int:
        """The id of the last update queued so far."""
        return self._last_update_id

    async def wait_fetched(self, update_id: int, timeout: float = 10.0) -> None:
        """Until the bot confirmed (fetched and queued) every update up to `update_id`."""
        await self.wait_until(lambda: self.confirmed_offset > update_id, timeout)

    async def wait_until(self, condition: Callable[[], bool], timeout: float = 10.0) -> None:
        """Until `condition()` holds (checked after every call the bot makes)."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(condition), timeout)

    def sent(self, chat_id: int | None = None, method: str = "sendMessage") -> list[Call]:
        """The calls of `method` the bot made (to `chat_id`, if given)."""
        return [
            c
            for c in self.calls
            if c.method == method
            and (chat_id is None or int(c.params.get("chat_id", 0)) == chat_id)
        ]


def _parse(content_type: str, body: bytes) -> dict[str, Any]:
    if not body:
        return {}
    if content_type.startswith("application/json"):
        parsed: dict[str, Any] = json.loads(body)
        return parsed
    raw = {k: v[-1] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
    params: dict[str, Any] = {}
    for key, value in raw.items():
        if key in _JSON_FIELDS:
            params[key] = json.loads(value)
        elif key in _INT_FIELDS:
            params[key] = int(value)
        else:
            params[key] = value
    return params


class FakeUser:
    """A Telegram user writing to the bot in a private chat (or in a group: `group_id`)."""

    def __init__(
        self, api: FakeBotApi, user_id: int, *, group_id: int | None = None, name: str = "张三"
    ) -> None:
        self.api = api
        self.id = user_id
        self.chat_id = group_id if group_id is not None else user_id
        self.chat_type = "group" if group_id is not None else "private"
        self.name = name
        self._message_id = 0
        self.deliver: Callable[[dict[str, Any]], dict[str, Any]] = api.push
        """Where updates go: the polling queue by default, or a list for webhook calls."""

    def _base_message(self) -> dict[str, Any]:
        self._message_id += 1
        chat: dict[str, Any] = {"id": self.chat_id, "type": self.chat_type}
        if self.chat_type == "private":
            chat["first_name"] = self.name
        else:
            chat["title"] = "村民群"
        return {
            "message_id": self._message_id,
            "date": int(time.time()),
            "chat": chat,
            "from": {
                "id": self.id,
                "is_bot": False,
                "first_name": self.name,
                "language_code": "zh-hans",
            },
        }

    def send(self, text: str) -> dict[str, Any]:
        """Type a message (a leading `/word` is marked as a command, as Telegram does)."""
        message = self._base_message()
        message["text"] = text
        if text.startswith("/"):
            length = len(text.split()[0])
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return self.deliver({"message": message})

    def send_sticker(self) -> dict[str, Any]:
        """Send a sticker."""
        message = self._base_message()
        message["sticker"] = {
            "file_id": "CAACAgIAAxkBAAE",
            "file_unique_id": "AgADAgAD",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
        return self.deliver({"message": message})

    def send_photo(self) -> dict[str, Any]:
        """Send a photo."""
        message = self._base_message()
        message["photo"] = [
            {"file_id": "AgACAgIAAx", "file_unique_id": "AQAD", "width": 90, "height": 90}
        ]
        return self.deliver({"message": message})

    def messages(self) -> list[dict[str, Any]]:
        """What the bot sent to this chat, oldest first (sendMessage parameters)."""
        return [c.params for c in self.api.by_chat.get(self.chat_id, [])]

    def last_keyboard_message(self) -> Call:
        """The newest message to this chat with buttons."""
        for call in reversed(self.api.by_chat.get(self.chat_id, [])):
            if call.params.get("reply_markup"):
                return call
        raise AssertionError("the bot sent no message with buttons")

    def buttons(self) -> list[tuple[str, str]]:
        """(label, data) of the buttons under the newest message with buttons."""
        params = self.last_keyboard_message().params
        return [
            (b["text"], b["callback_data"])
            for row in params["reply_markup"]["inline_keyboard"]
            for b in row
        ]

    def press(self, label: str) -> dict[str, Any]:
        """Press the button with this label under the newest message with buttons."""
        call = self.last_keyboard_message()
        for text, data in self.buttons():
            if text == label:
                return self.press_data(data, call.result)
        raise AssertionError(f"no button {label!r}; there are {[t for t, _ in self.buttons()]}")

    def press_data(self, data: str, message: dict[str, Any] | None = None) -> dict[str, Any]:
        """Press a button carrying `data` under `message` (default: an old, unknown one)."""
        if message is None:
            message = self._base_message()
            message["from"] = {"id": BOT_ID, "is_bot": True, "first_name": "帮扶助手"}
            message["text"] = "…"
        query = {
            "id": f"cq{self.id}-{self._message_id}",
            "from": {"id": self.id, "is_bot": False, "first_name": self.name},
            "chat_instance": f"ci{self.chat_id}",
            "message": message,
            "data": data,
        }
        return self.deliver({"callback_query": query})
