"""Albums: Telegram delivers each photo of an album as its own update, sharing `media_group_id`
and with no marker for the last one. We gather them until the group has been quiet for a short
window, then hand them on together — one "Got 9 photos", not nine."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass, field

from telegram import Message

log = logging.getLogger(__name__)

Dispatch = Callable[[list[Message]], Awaitable[None]]
Line = Callable[[int], AbstractAsyncContextManager[None]]


@dataclass
class _Pending:
    messages: list[Message] = field(default_factory=list)
    last: float = 0.0
    task: asyncio.Task[None] | None = None


class AlbumCollector:
    def __init__(self, dispatch: Dispatch, *, window: float = 1.5, line: Line | None = None) -> None:
        self.dispatch = dispatch
        self.window = window
        # the chat's turn (ordering.py): an album goes in line with the chat's other updates
        self.line: Line = line or (lambda chat_id: nullcontext())
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
        async with self.line(key[0]):
            entry = self._pending.pop(key, None)  # unless a message of the chat flushed it meanwhile
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
        """Hand on a chat's unfinished albums now: keeps order when a message follows an album.
        The caller holds the chat's line."""
        for key in [k for k in self._pending if k[0] == chat_id]:
            entry = self._pending.pop(key)
            if entry.task is not None:
                entry.task.cancel()
            await self._send(entry)

    async def close(self) -> None:
        for chat_id in {k[0] for k in self._pending}:
            async with self.line(chat_id):
                await self.flush_chat(chat_id)
