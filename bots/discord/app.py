"""Entry point for `memory-movie discord`: build the bot around a core factory and run it.

    await serve(token, core_factory, download_dir=...)      # inside an event loop
    run(token, core_factory, download_dir=...)              # blocking, for the CLI

`core_factory(outbox)` returns the ConversationCore (or an awaitable of it) built on this bot's
outbox; it is called in `setup_hook`, inside the bot's event loop, so it may open async resources.
A token Discord refuses raises `UserFacingError` with a message fit for the terminal.
"""

from __future__ import annotations

import asyncio
import logging
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
        raise UserFacingError("DISCORD_BOT_TOKEN is empty. " + BAD_TOKEN)
    try:
        await bot.login(token.strip())
    except discord.LoginFailure as e:
        raise UserFacingError(BAD_TOKEN) from e
    try:
        await bot.connect()
    except discord.PrivilegedIntentsRequired as e:
        raise UserFacingError(NO_CONTENT_INTENT) from e


async def serve(token: str, core_factory: CoreFactory, *, download_dir: Path, **options: Any) -> None:
    bot = build_bot(core_factory, download_dir=download_dir, **options)
    async with bot:
        await start(bot, token)


def run(token: str, core_factory: CoreFactory, *, download_dir: Path, **options: Any) -> None:
    """Blocking: runs until Ctrl-C. Raises UserFacingError for a bad token or missing intent."""
    asyncio.run(serve(token, core_factory, download_dir=download_dir, **options))
