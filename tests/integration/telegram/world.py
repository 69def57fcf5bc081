"""Everything behind the Telegram bot in end-to-end tests (tests/integration/chat_world.py): the real
conversation core, SQLite store, local media folder and in-process job runner, with either the real
pipeline (draft renders of tiny media) or the stand-in whose `render` makes a real short MP4."""

from __future__ import annotations

from tests.integration.chat_world import ChatWorld, Mp4Render, probe

__all__ = ["STANDIN_SECONDS", "Mp4StandIn", "World", "probe"]

STANDIN_SECONDS = 3.0  # the stand-in's movies are short whatever the plan says: shared cores


class Mp4StandIn(Mp4Render):
    """Exact, instant planning; a real (tiny) MP4 so what Telegram receives can be probed."""

    max_seconds = STANDIN_SECONDS


class World(ChatWorld):
    settle_timeout = 120.0
