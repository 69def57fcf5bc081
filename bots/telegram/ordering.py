"""Updates from different chats are handled concurrently (one chat's album intake or /cancel must
not hold up everyone else), updates of one chat strictly one after another, in arrival order.
Album flushes, which happen outside PTB's update flow, take the same per-chat line."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor


def chat_key(update: object) -> object:
    if isinstance(update, Update) and update.effective_chat is not None:
        return update.effective_chat.id
    return None  # updates without a chat (none that we handle) share one line


class PerChatUpdateProcessor(BaseUpdateProcessor):
    def __init__(self, max_concurrent_updates: int = 256) -> None:
        super().__init__(max_concurrent_updates)
        self._lines: dict[object, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def line(self, key: object) -> AsyncIterator[None]:
        """Hold the chat's turn. asyncio.Lock serves waiters first come, first served."""
        lock, users = self._lines.get(key) or (asyncio.Lock(), 0)
        self._lines[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._lines[key]
            if users <= 1:
                del self._lines[key]  # no one waiting: don't keep a lock per chat forever
            else:
                self._lines[key] = (lock, users - 1)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        async with self.line(chat_key(update)):
            await coroutine

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass
