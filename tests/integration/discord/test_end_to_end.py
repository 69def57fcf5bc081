"""A group makes a movie on Discord, end to end: the real discord.py bot on the fake Discord, the
real conversation core, SQLite store, media folder and job runner; movies are real MP4s."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.discord_server import FakeDiscord
from tests.integration.discord.conftest import running_bot
from tests.integration.discord.world import Mp4Pipeline, World, probe
from tests.unit.conversation.fit_standin import FitStandIn


@pytest.fixture
async def world(tmp_path: Path, ffmpeg: str) -> AsyncIterator[World]:
    w = World(tmp_path / "world", Mp4Pipeline(ffmpeg))
    yield w
    await w.close()


def movie_message(fake: FakeDiscord, channel_id: str, n: int) -> dict[str, Any] | None:
    for m in fake.bot_messages(channel_id):
        if any(name == f"movie-v{n}.mp4" for name, _ in fake.files.get(m["id"], [])):
            return m
    return None


def said(fake: FakeDiscord, channel_id: str, text: str) -> list[str]:
    return [m["content"] for m in fake.bot_messages(channel_id) if text.lower() in m["content"].lower()]


async def test_a_group_makes_refines_and_votes_on_a_movie_in_discord(
    fake_discord: FakeDiscord, world: World, tiny_media: Any, tmp_path: Path
) -> None:
    fake = fake_discord
    alice, bob, carol, dave = fake.owner, fake.add_user("bob"), fake.add_user("carol"), fake.add_user("dave")
    async with running_bot(fake, world.factory, tmp_path / "downloads"):
        # /movie new in the channel: acknowledged at once, the project gets its place
        new = await fake.slash(alice, fake.channel_id, "new", {"title": "Beach day"})
        await fake.wait_for(
            lambda: new["original"] and not fake.messages.get(new["original"], {}).get("interaction_loading")
        )
        assert new["responses"] == [{"type": 5}] and not new.get("expired")
        # the movie gets its own thread; the command's answer links to it
        (where,) = fake.threads
        assert fake.threads[where]["name"] == "Beach day"
        assert fake.messages[new["original"]]["content"] == f"<#{where}>"
        await fake.wait_for(lambda: said(fake, where, "Beach day"), what="the project started")

        # chatter in the channel itself is not for the bot
        await fake.user_message(dave, fake.channel_id, "who's bringing snacks?")

        # two members drop photos, a clip and a song into it
        photos = [tiny_media.photo("b1.jpg", seed=1), tiny_media.photo("b2.jpg", seed=2)]
        await fake.user_message(bob, where, files=[(p.name, p.read_bytes(), "image/jpeg") for p in photos])
        song = tiny_media.song("tune.wav", seconds=6.0)
        clip = tiny_media.clip("waves.mp4", seconds=1.0)
        await fake.user_message(
            carol,
            where,
            files=[(clip.name, clip.read_bytes(), "video/mp4"), (song.name, song.read_bytes(), "audio/wav")],
        )

        async def media_count() -> int:
            assert world.core is not None
            project = await world.store.project_for_chat(f"discord:{fake.channel_id}:{where}")
            return len(await world.store.list_media(project.id)) if project else 0

        for _ in range(100):
            if await media_count() == 4:
                break
            await asyncio.sleep(0.1)
        assert await media_count() == 4

        # /movie make -> progress edited in place, then the movie as an attachment
        make = await fake.slash(alice, where, "make", {"request": "6 seconds"})
        await world.settle()
        v1 = await fake.wait_for(lambda: movie_message(fake, where, 1), timeout=60, what="movie v1")
        assert make["responses"] == [{"type": 5}] and not make.get("expired")
        ((name, mp4),) = fake.files[v1["id"]]
        facts = probe(mp4, tmp_path)
        assert facts["video"] == "h264" and facts["audio"] == "aac"
        assert (facts["width"], facts["height"]) == (320, 180)
        assert 4.0 <= facts["duration"] <= 7.0
        assert any(e["body"].get("content", "").startswith("v1") for e in fake.edits), (
            "progress edited in place"
        )
        labels = [c["label"] for row in v1["components"] for c in row["components"]]
        assert "Shorter" in labels and "Slower" in labels

        # a button press refines it to v2; a reply to v2 refines it to v3
        press = await fake.click(bob, v1["id"], "say:slower")
        await fake.wait_for(lambda: press["responses"], what="the button press acknowledged")
        assert press["responses"] == [{"type": 6}]
        await world.settle()
        v2 = await fake.wait_for(lambda: movie_message(fake, where, 2), timeout=60, what="movie v2")
        await fake.user_message(carol, where, "shorter please", reply_to=v2["id"])
        await fake.wait_for(lambda: world.queue.active or movie_message(fake, where, 3), what="v3 started")
        await world.settle()
        v3 = await fake.wait_for(lambda: movie_message(fake, where, 3), timeout=60, what="movie v3")
        assert probe(fake.files[v3["id"]][0][1], tmp_path)["video"] == "h264"

        # a viewer may not change the cut
        await fake.user_message(dave, where, "hi all")
        await fake.user_message(alice, where, "/role dave viewer")
        await fake.wait_for(lambda: said(fake, where, "dave is now a viewer"), what="dave made a viewer")
        refused = await fake.click(dave, v3["id"], "say:shorter")
        await fake.wait_for(lambda: said(fake, where, "you're a viewer"), what="the viewer refused")
        assert refused["responses"] == [{"type": 6}]
        await world.settle()
        assert movie_message(fake, where, 4) is None

        # the group votes between v2 and v3 with reactions on the movies
        await fake.user_message(alice, where, "/vote 2 3")
        await fake.wait_for(lambda: said(fake, where, "Vote: v2 or v3"), what="the ballot")
        for voter in (alice, bob, carol):
            await fake.react(voter, v3["id"], "👍")
        await fake.wait_for(lambda: said(fake, where, "v3 wins"), what="the vote result")
    assert not said(fake, where, "something went wrong")
    assert [m["id"] for m in fake.bot_messages(fake.channel_id)] == [new["original"]]  # only the thread link


async def test_a_movie_over_the_upload_limit_is_shrunk_to_fit(
    tmp_path: Path, ffmpeg: str, tiny_media: Any
) -> None:
    """The adapter refuses to post what Discord would refuse and tells the core, which has a
    smaller copy of the same version rendered under the guild's limit and posts that instead."""
    limit = 300_000  # the full 6 s movie (~1 MB) is over it; a smaller copy fits
    world = World(tmp_path / "world", FitStandIn(ffmpeg))
    fake = await FakeDiscord(upload_limit=limit).start()
    try:
        async with running_bot(fake, world.factory, tmp_path / "downloads"):
            new = await fake.slash(fake.owner, fake.channel_id, "new", {"title": "Big one"})
            await fake.wait_for(lambda: new["followups"] or fake.threads, what="the project started")
            (where,) = fake.threads
            photos = [tiny_media.photo(f"p{i}.jpg", seed=i) for i in range(3)]
            await fake.user_message(
                fake.owner,
                where,
                files=[(p.name, p.read_bytes(), "image/jpeg") for p in photos],
            )
            await fake.wait_for(lambda: said(fake, where, "Got 3"), what="the photos taken")
            await fake.user_message(fake.owner, where, "/make")
            movie = await fake.wait_for(
                lambda: movie_message(fake, where, 1), timeout=90, what="the smaller movie"
            )
            await world.settle()
        (blob,) = [b for _, b in fake.files[movie["id"]]]
        assert len(blob) <= limit and "smaller copy" in movie["content"].lower()
        (job, *_) = await world.store.list_jobs()
        version = await world.store.get_version(job.project_id, 1)  # the full movie stays v1's
        assert version is not None and version.render_key and (version.size_bytes or 0) > limit
        full = await world.media.get(version.render_key, tmp_path / "full")
        got, want = probe(blob, tmp_path), probe(full.read_bytes(), tmp_path)
        assert got["video"] == "h264" and abs(got["duration"] - want["duration"]) <= 0.1
        assert said(fake, where, "v1: smaller copy ready")  # the progress message, edited in place
        assert not said(fake, where, "file://")  # a local store's link is no use to the guild
        movies = [
            n
            for m in fake.bot_messages(where)
            for n, _ in fake.files.get(m["id"], [])
            if n.startswith("movie")
        ]
        assert movies == ["movie-v1.mp4"]  # posted once
        posted = [b for files in fake.files.values() for _, b in files]
        assert all(len(b) <= limit for b in posted)  # nothing over the limit was sent
        assert not any(s == 413 for _, _, s in fake.requests)  # refused before upload, not by Discord
    finally:
        await fake.stop()
        await world.close()
