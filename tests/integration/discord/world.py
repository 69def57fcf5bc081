"""End-to-end wiring for the Discord tests (tests/integration/chat_world.py): the real conversation
core, SQLite store, local media folder and in-process job runner, behind the real discord.py bot
talking to the fake Discord.

The pipeline is the conversation tests' stand-in (exact, fast planning) with one change: `render`
makes a real H.264/AAC MP4 with ffmpeg, so what Discord receives can be probed like a user's
player would see it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.integration import chat_world
from tests.integration.chat_world import ChatWorld, Mp4Render

MAX_SECONDS = 6.0  # keep renders short: 2 cores are shared by the whole team


class Mp4Pipeline(Mp4Render):
    max_seconds = MAX_SECONDS


class World(ChatWorld):
    """Everything behind the bot; `factory` is what the bot's setup_hook calls with its outbox."""

    settle_timeout = 90.0


def probe(data: bytes, tmp: Path) -> dict[str, Any]:
    """Codecs, size and duration of an MP4 as a player sees them (`tmp` is no longer needed)."""
    return chat_world.probe(data)
