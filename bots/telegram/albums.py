"""Albums: Telegram delivers each photo of an album as its own update, sharing `media_group_id`
and with no marker for the last one. We gather them until the group has been quiet for a short
window, then hand them on together — one "Got 9 photos", not nine."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from telegram import Message

log = logging.getLogger(__name__)

Dispatch = Callable[[list[Message]], Awaitable[None]]


@dataclass
class _Pending:
    messages: list[Message] = field(default_factory=list)
    last: float = 0.0
    task: asyncio.Task[None] | None = None


class AlbumCollector:
    def __init__(self, dispatch: Dispatch, *, window: float = 1.5) -> None:
        self.dispatch = dispatch
        self.window = window
        self._pending: dict[tuple[int, str], _Pending] = {}

    def add(self, message: Message) -> None:
        key = (message.chat_id, str(message.media_group_id))
        loop = asyncio.get_running_loop()
        entry = self._pending.get(key)
        if entry is None:
            entry = self._pending[key] = _Pending()
            entry.task = loop.create_task(self._wait_quiet(key), name=f"album {key}")
        entry.messages.append(message)
        entry.last = loop.time()

    async def _wait_quiet(self, key: tuple[int, str]) -> None:
        loop = asyncio.get_running_loop()
        while (entry := self._pending.get(key)) is not None:
            left = entry.last + self.window - loop.time()
            if left <= 0:
                break
            await asyncio.sleep(left)
        entry = self._pending.pop(key, None)
        if entry is not None:
            await self._send(entry)

    async def _send(self, entry: _Pending) -> None:
        entry.messages.sort(key=lambda m: m.message_id)
        try:
            await self.dispatch(entry.messages)
        except Exception:
            # runs outside PTB's handler chain, so nothing else would report it
            log.exception("handling an album failed")

    async def flush_chat(self, chat_id: int) -> None:
        """Hand on a chat's unfinished albums now: keeps order when a message follows an album."""
        for key in [k for k in self._pending if k[0] == chat_id]:
            entry = self._pending.pop(key)
            if entry.task is not None:
                entry.task.cancel()
            await self._send(entry)

    async def close(self) -> None:
        for chat_id in {k[0] for k in self._pending}:
            await self.flush_chat(chat_id)
