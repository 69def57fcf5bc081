"""Entry point for `memory-movie discord`: build the bot around a core factory and run it.

    code = main(token, core_factory, download_dir=home / "discord-downloads", on_stop=close_stores)
    run(token, core_factory, download_dir=..., on_stop=...)   # the same, exits 2 on a bad set-up

or, inside an event loop (tests, a combined process):

    bot = build_bot(core_factory, download_dir=...)
    await serve(bot, token, stop=stop_event, on_stop=...)

`core_factory(outbox)` returns the ConversationCore (or an awaitable of it) built on this bot's
outbox, with the job queue's sink wired to `core.on_job_update`; it is called in `setup_hook`,
inside the bot's event loop, so it may open async resources. A token Discord refuses (or a missing
Message Content intent) is a `UserFacingError` with a message fit for the terminal; `main` prints
it and returns exit code 2, `run` prints it and exits with 2.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import discord

from bots.discord.bot import DEFAULT_MAX_DOWNLOAD, CoreFactory, MovieBot
from pipeline.errors import UserFacingError

log = logging.getLogger(__name__)

BAD_TOKEN = (
    "Discord refused the bot token. Copy it again from the Discord developer portal "
    "(your application -> Bot -> Reset Token) into DISCORD_BOT_TOKEN."
)
NO_TOKEN = (
    "DISCORD_BOT_TOKEN is not set. Create a bot in the Discord developer portal and put its token there."
)
NO_CONTENT_INTENT = (
    "Discord refused the Message Content intent. Turn it on in the developer portal "
    "(your application -> Bot -> Privileged Gateway Intents -> Message Content)."
)


def build_bot(
    core_factory: CoreFactory,
    *,
    download_dir: Path,
    max_download_bytes: int = DEFAULT_MAX_DOWNLOAD,
    sync_commands: bool = True,
    **client_options: Any,
) -> MovieBot:
    """The bot, not yet logged in. `client_options` go to discord.Client (and `listen`)."""
    download_dir.mkdir(parents=True, exist_ok=True)
    return MovieBot(
        core_factory,
        download_dir=download_dir,
        max_download_bytes=max_download_bytes,
        sync_commands=sync_commands,
        **client_options,
    )


async def start(bot: MovieBot, token: str) -> None:
    """Log in and stay connected until the bot is closed."""
    if not token.strip():
        raise UserFacingError(NO_TOKEN)
    try:
        await bot.login(token.strip())
    except discord.LoginFailure as e:
        raise UserFacingError(BAD_TOKEN) from e
    try:
        await bot.connect()
    except discord.PrivilegedIntentsRequired as e:
        raise UserFacingError(NO_CONTENT_INTENT) from e


async def serve(
    bot: MovieBot,
    token: str,
    *,
    stop: asyncio.Event | None = None,
    on_stop: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Run until `stop` is set (or SIGINT/SIGTERM) or the connection ends for good; close cleanly."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
    try:
        async with bot:
            connection = asyncio.create_task(start(bot, token))
            stopper = asyncio.create_task(stop.wait())
            try:
                await asyncio.wait({connection, stopper}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                stopper.cancel()
                await bot.close()
            if connection.done():
                connection.result()  # a refused token or intent: raise it to the caller
            else:
                await asyncio.wait({connection}, timeout=5)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(sig)
        if on_stop is not None:
            await on_stop()


def main(
    token: str | None,
    core_factory: CoreFactory,
    *,
    download_dir: Path,
    on_stop: Callable[[], Awaitable[None]] | None = None,
    **options: Any,
) -> int:
    """Blocking entry point for `memory-movie discord`; returns the process exit code."""
    try:
        bot = build_bot(core_factory, download_dir=download_dir, **options)
        asyncio.run(serve(bot, token or "", on_stop=on_stop))
    except UserFacingError as e:
        print(f"memory-movie discord: {e.message}", file=sys.stderr)
        return 2
    return 0


def run(
    token: str | None,
    core_factory: CoreFactory,
    *,
    download_dir: Path,
    on_stop: Callable[[], Awaitable[None]] | None = None,
    **options: Any,
) -> None:
    """`main` for callers that ignore its exit code: a bad set-up still ends the process with 2
    and the message (never a traceback)."""
    code = main(token, core_factory, download_dir=download_dir, on_stop=on_stop, **options)
    if code:
        raise SystemExit(code)
