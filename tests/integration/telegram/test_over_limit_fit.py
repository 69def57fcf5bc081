"""A movie over the bot's upload limit (50 MB on the cloud Bot API; a tiny limit here) reaches a
Telegram chat as a smaller copy of the same version, through the real PTB bot, the real core and
the in-process job runner; the render is the core's stand-in with real ffmpeg MP4s that honours
the target size."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.fakes.telegram_server import FakeTelegram
from tests.fakes.telegram_users import TelegramUsers
from tests.integration.telegram.conftest import start_bot
from tests.integration.telegram.world import World, probe
from tests.unit.conversation.fit_standin import FitStandIn

LIMIT = 200_000  # bytes: the full 4 s movie (~600 KB) is over it; a smaller copy fits


async def test_an_over_limit_movie_arrives_as_a_smaller_copy(
    fake: FakeTelegram, users: TelegramUsers, tmp_path: Path, ffmpeg: str, tiny_media: Any
) -> None:
    world = World(tmp_path, FitStandIn(ffmpeg))
    bot = await start_bot(fake, world.factory, download_dir=tmp_path, upload_limit=LIMIT)
    try:
        ann = users.user("Ann")
        chat = users.private(ann)
        users.says(ann, chat, "/new Huge")
        for seed in (3, 4):  # an album: one answer
            users.photo(ann, chat, tiny_media.photo(f"h{seed}.jpg", seed=seed), media_group_id="trip")
        await fake.wait_for_text("Got 2 photos")
        users.says(ann, chat, "/make")
        (movie,) = await fake.wait_for(lambda: fake.posted(ann["id"], "sendVideo"), timeout=90)
        await world.settle()
        data = movie.uploads["video"].data
        assert len(data) <= LIMIT and "smaller copy" in (movie.text or "").lower()
        (job, *_) = await world.store.list_jobs()
        v1 = await world.store.get_version(job.project_id, 1)  # the full movie stays v1's
        assert v1 is not None and v1.render_key and (v1.size_bytes or 0) > LIMIT
        full = await world.media.get(v1.render_key, tmp_path / "full")
        seen, want = probe(data), probe(full.read_bytes())
        assert seen["video"] == "h264" and seen["audio"] == "aac"
        assert abs(seen["duration"] - want["duration"]) <= 0.1
        assert await fake.wait_for_text("making a smaller copy", chat_id=ann["id"])  # its progress
        assert not any("file://" in t for t in fake.texts(ann["id"]))
        assert len(fake.posted(ann["id"], "sendVideo")) == 1  # posted once
    finally:
        await bot.stop()
        await world.close()
