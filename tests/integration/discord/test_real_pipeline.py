"""The real pipeline behind the Discord bot: tiny photos and a song dropped into Discord come back
as a real movie attachment, and a reply re-cuts it vertical. Skips until every stage exists."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from pipeline.api import Pipeline
from pipeline.settings import PipelineSettings
from tests.fakes.discord_server import FakeDiscord
from tests.integration.discord.conftest import running_bot
from tests.integration.discord.test_end_to_end import movie_message
from tests.integration.discord.world import World, probe
from tests.real_pipeline import real_pipeline_marks

pytestmark = real_pipeline_marks()


@pytest.fixture
async def world(tmp_path: Path, pipeline_settings: PipelineSettings) -> AsyncIterator[World]:
    # draft renders: the final's timing at 480 lines, cheap enough for shared CI cores
    w = World(tmp_path / "world", Pipeline(pipeline_settings), draft=True)
    yield w
    await w.close()


async def test_real_movie_delivered_in_discord_and_recut_vertical(
    fake_discord: FakeDiscord, world: World, tiny_media: Any, tmp_path: Path
) -> None:
    fake = fake_discord
    bob = fake.add_user("bob")
    async with running_bot(fake, world.factory, tmp_path / "downloads"):
        new = await fake.slash(fake.owner, fake.channel_id, "new", {"title": "Real one"})
        await fake.wait_for(lambda: new["followups"] or fake.threads, what="the project started")
        (where,) = fake.threads
        photos = [tiny_media.photo(f"p{i}.jpg", seed=i + 1) for i in range(2)]
        await fake.user_message(
            fake.owner, where, files=[(p.name, p.read_bytes(), "image/jpeg") for p in photos]
        )
        song = tiny_media.song("song.wav", seconds=6.0)
        await fake.user_message(bob, where, files=[(song.name, song.read_bytes(), "audio/wav")])
        await fake.wait_for(lambda: len(fake.bot_messages(where)) >= 2, timeout=60, what="both uploads taken")
        await fake.slash(fake.owner, where, "make", {"request": "5 seconds"})
        v1 = await fake.wait_for(lambda: movie_message(fake, where, 1), timeout=120, what="movie v1")
        first = probe(fake.files[v1["id"]][0][1], tmp_path)
        assert first["video"] == "h264" and first["audio"] == "aac"
        assert first["width"] > first["height"] and 3.0 <= first["duration"] <= 7.0
        await fake.user_message(bob, where, "make it vertical", reply_to=v1["id"])
        v2 = await fake.wait_for(lambda: movie_message(fake, where, 2), timeout=50, what="movie v2")
        second = probe(fake.files[v2["id"]][0][1], tmp_path)
        assert second["height"] > second["width"] and second["video"] == "h264"
