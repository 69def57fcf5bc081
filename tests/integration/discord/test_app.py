"""`memory-movie discord`'s entry points: a clean start and stop, clear errors for bad set-ups."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from bots.discord.app import BAD_TOKEN, NO_TOKEN, build_bot, main, run, serve
from conversation.events import Event
from conversation.ports import JobUpdate, Outbox
from pipeline.errors import UserFacingError
from tests.fakes.discord_server import FakeDiscord


class QuietCore:
    def __init__(self, outbox: Outbox) -> None:
        self.events: list[Event] = []

    async def handle(self, event: Event) -> None:
        self.events.append(event)

    async def on_job_update(self, update: JobUpdate) -> None:
        pass


async def test_run_serves_until_stopped_then_closes_cleanly(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    stopped: list[bool] = []

    async def on_stop() -> None:
        stopped.append(True)

    bot = build_bot(QuietCore, download_dir=tmp_path / "dl", guild_ready_timeout=0.05)
    stop = asyncio.Event()
    task = asyncio.create_task(serve(bot, fake_discord.token, stop=stop, on_stop=on_stop))
    await asyncio.wait_for(bot.wait_until_ready(), 15)
    await fake_discord.user_message(fake_discord.owner, fake_discord.channel_id, "hello", mention_bot=True)
    await fake_discord.wait_for(lambda: bot.core is not None and bot.core.events)  # type: ignore[attr-defined]
    stop.set()
    await asyncio.wait_for(task, 10)
    assert bot.is_closed() and stopped == [True]


async def test_run_with_a_refused_token_raises_a_clear_error(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    bot = build_bot(QuietCore, download_dir=tmp_path / "dl")
    with pytest.raises(UserFacingError) as info:
        await asyncio.wait_for(serve(bot, "wrong-token"), 10)
    assert info.value.message == BAD_TOKEN
    assert bot.is_closed()


def test_main_without_a_token_exits_2_with_a_message(tmp_path: Path, capsys: Any) -> None:
    assert main(None, QuietCore, download_dir=tmp_path / "dl") == 2
    assert NO_TOKEN in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        run("  ", QuietCore, download_dir=tmp_path / "dl")
    assert info.value.code == 2
    assert NO_TOKEN in capsys.readouterr().err


async def test_commands_are_registered_once_not_on_every_start(
    fake_discord: FakeDiscord, start_bot: Any
) -> None:
    async with start_bot(QuietCore):
        pass
    async with start_bot(QuietCore):
        pass
    puts = [p for m, p, _ in fake_discord.requests if m == "PUT" and p.endswith("/commands")]
    assert len(puts) == 1
    (movie,) = fake_discord.commands
    assert sorted(o["name"] for o in movie["options"]) == ["make", "new", "settings", "status", "versions"]


def test_memory_movie_discord_with_a_refused_token_exits_2(tmp_path: Path, capsys: Any) -> None:
    """The real `memory-movie discord` path (settings -> wiring -> this adapter) against the fake."""
    import threading

    from bots.settings import AppSettings
    from bots.wiring import run_discord

    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder: dict[str, FakeDiscord] = {}

    async def host() -> None:
        holder["fake"] = await FakeDiscord().start()
        ready.set()

    thread = threading.Thread(
        target=lambda: (loop.run_until_complete(host()), loop.run_forever()), daemon=True
    )
    thread.start()
    assert ready.wait(10)
    try:
        settings = AppSettings(discord_bot_token="not-the-token", memory_movie_home=tmp_path / "home")  # type: ignore[arg-type]
        assert run_discord(settings) == 2  # the CLI's exit code, no traceback
        assert BAD_TOKEN in capsys.readouterr().err
        assert ("GET", "/api/v10/users/@me", 401) in holder["fake"].requests
    finally:
        asyncio.run_coroutine_threadsafe(holder["fake"].stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
