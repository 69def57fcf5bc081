"""Fixtures: the fake Bot API server, its users, and our real PTB bot started against it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from bots.telegram.app import TelegramBot, build_application
from conversation.events import Event
from conversation.ports import JobUpdate, Outbox
from tests.fakes.telegram_server import FakeTelegram
from tests.fakes.telegram_users import TelegramUsers


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    # PTB 22 warns (an error under filterwarnings=error) when durations are read as ints
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


class ScriptedCore:
    """A stand-in conversation core: records events and answers through the outbox with `react`.
    Keeps a copy of each received file's bytes (the adapter deletes its temp files afterwards)."""

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox
        self.events: list[Event] = []
        self.file_bytes: dict[str, bytes] = {}
        self.updates: list[JobUpdate] = []
        self.react: Callable[[ScriptedCore, Event], Awaitable[None]] | None = None
        self.changed = asyncio.Event()

    async def handle(self, event: Event) -> None:
        self.events.append(event)
        for f in getattr(event, "files", ()):
            if f.path is not None:
                self.file_bytes[f.name] = Path(f.path).read_bytes()
        self.changed.set()
        if self.react is not None:
            await self.react(self, event)

    async def on_job_update(self, update: JobUpdate) -> None:
        self.updates.append(update)

    async def wait_events(self, n: int, timeout: float = 10.0) -> list[Event]:
        async def enough() -> None:
            while len(self.events) < n:
                self.changed.clear()
                await self.changed.wait()

        await asyncio.wait_for(enough(), timeout)
        return self.events


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
def users(fake: FakeTelegram) -> TelegramUsers:
    return TelegramUsers(fake)


async def start_bot(fake: FakeTelegram, core_factory: Callable[[Outbox], Any], **options: Any) -> TelegramBot:
    options.setdefault("album_window", 0.4)
    options.setdefault("progress_interval", 0.0)
    bot = build_application(
        fake.token, core_factory, api_url=f"{fake.base}/bot", local_server=False, **options
    )
    await bot.start(poll_timeout=1)
    return bot


@pytest.fixture
async def scripted(fake: FakeTelegram, tmp_path: Path) -> AsyncIterator[tuple[TelegramBot, ScriptedCore]]:
    bot = await start_bot(fake, ScriptedCore, download_dir=tmp_path)
    try:
        yield bot, bot.core
    finally:
        await bot.stop()
