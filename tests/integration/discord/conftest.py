"""Fixtures: the fake Discord, and the real bot (discord.py 2.7) connected to it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from bots.discord.app import build_bot
from bots.discord.bot import CoreFactory, MovieBot
from tests.fakes.discord_server import FakeDiscord


@pytest.fixture
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    fake = await FakeDiscord().start()
    try:
        yield fake
    finally:
        await fake.stop()


@contextlib.asynccontextmanager
async def running_bot(
    fake: FakeDiscord, core_factory: CoreFactory, download_dir: Path, **options: Any
) -> AsyncIterator[MovieBot]:
    bot = build_bot(core_factory, download_dir=download_dir, guild_ready_timeout=0.05, **options)
    await bot.login(fake.token)
    task = asyncio.create_task(bot.connect(reconnect=False))
    try:
        await asyncio.wait_for(bot.wait_until_ready(), 15)
        yield bot
    finally:
        await bot.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 5)


@pytest.fixture
def start_bot(fake_discord: FakeDiscord, tmp_path: Path) -> Callable[..., Any]:
    def start(core_factory: CoreFactory, **options: Any) -> Any:
        return running_bot(fake_discord, core_factory, tmp_path / "downloads", **options)

    return start
