"""Files in: every bad file of the shared corpus is named with its reason while the rest is
kept (real intake), files the adapter couldn't fetch are named too, uploads are credited,
duplicates are one record, caps say what the limit is, and "remove my photos" takes them back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from conversation.actions import Say
from conversation.events import IncomingFile
from conversation.settings import CoreSettings
from pipeline.api import Pipeline
from pipeline.models import MediaKind
from pipeline.settings import PipelineSettings
from tests.unit.conversation.chatkit import Chat, ann, bob

REJECTED = [
    "bomb_20000x20000_rgb.png",
    "corrupt_truncated_no_moov.mp4",
    "text_file_named.jpg",
    "truncated_photo.jpg",
    "zero_bytes.jpg",
]


@pytest.fixture
async def real_chat(tmp_path: Path, pipeline_settings: PipelineSettings) -> AsyncIterator[Chat]:
    c = Chat(tmp_path, Pipeline(pipeline_settings))
    yield c
    await c.close()


async def test_every_bad_corpus_file_is_named_and_the_rest_kept(real_chat: Chat, corpus_bad: Path, corpus_dev: Path) -> None:
    chat = real_chat
    await chat.send(ann, "/new bad day")
    bad = sorted(p for p in corpus_bad.iterdir() if p.suffix not in (".md", ".json"))
    good = [corpus_dev / "d16_cat_chelsea.jpg", corpus_dev / "d13_sunset_boats.jpg"]
    await chat.upload(ann, *bad, *good)
    reply = chat.expect(Say, "Got").text
    assert f"({len(REJECTED)} skipped:" in reply
    for name in REJECTED:
        assert name in reply, name
    project = await chat.store.project_for_chat(chat.ref.key)
    assert project is not None
    records = await chat.store.list_media(project.id)
    kept = {r.item.original_name for r in records}
    assert kept == {p.name for p in bad + good} - set(REJECTED)
    for r in records:
        assert await chat.media.exists(r.storage_key)
        assert r.storage_key == f"{project.id}/{r.media_id}{r.item.path.suffix}"
        assert r.contributor_key == ann.key and r.contributor_name == "ann"
    assert project.state == "ready"


async def test_files_the_adapter_could_not_fetch_are_named(chat: Chat, tiny_media) -> None:  # type: ignore[no-untyped-def]
    await chat.send(ann, "/new t")
    big = IncomingFile(name="long_clip.mp4", size_bytes=80_000_000, mime="video/mp4", problem="too_large",
                       limit_bytes=20_000_000)  # fmt: skip
    lost = IncomingFile(name="beach.jpg", problem="download_failed")
    await chat.upload(ann, tiny_media.photo("ok.jpg"), files=(big, lost))
    reply = chat.expect(Say, "Got 1 photo").text
    assert "long_clip.mp4 is 80 MB, too large" in reply and "the limit here is 20 MB" in reply
    assert "shorter clip or a compressed version" in reply
    assert "couldn't download beach.jpg" in reply


async def test_same_file_twice_is_one_record_and_credited_to_the_first(group: Chat, tiny_media) -> None:  # type: ignore[no-untyped-def]
    chat = group
    photo = tiny_media.photo("same.jpg")
    await chat.send(ann, "/new g")
    await chat.upload(ann, photo)
    await chat.upload(bob, photo)
    chat.expect(Say, "Got 1 photo")
    assert "1 file I already had" in chat.expect(Say, "Nothing new").text
    project = await chat.store.project_for_chat(chat.ref.key)
    records = await chat.store.list_media(project.id)  # type: ignore[union-attr]
    assert [r.contributor_name for r in records] == ["ann"]


async def test_caps_say_the_limit(tmp_path: Path, standin, tiny_media) -> None:  # type: ignore[no-untyped-def]
    settings = CoreSettings(scratch_dir=tmp_path / "s", max_files_per_user=2, movies_per_hour_per_user=1)
    chat = Chat(tmp_path, standin, settings=settings)
    try:
        await chat.send(ann, "/new caps")
        await chat.upload(ann, *(tiny_media.photo(f"p{i}.jpg", seed=i) for i in range(3)))
        reply = chat.expect(Say, "Got 2 photos").text
        assert "p2.jpg: you've reached the limit of 2 files per person" in reply
        await chat.send(ann, "/make")
        await chat.settle()
        await chat.send(ann, "shorter")
        assert "1 movie in the last hour for you, the limit" in chat.last_say()
        chat.clock.advance(3700)
        await chat.send(ann, "shorter")
        await chat.settle()
        assert chat.movies()[-1].version == 2
    finally:
        await chat.close()


async def test_remove_my_photos_takes_back_only_mine(group: Chat, tiny_media) -> None:  # type: ignore[no-untyped-def]
    chat = group
    await chat.send(ann, "/new g")
    await chat.upload(ann, tiny_media.photo("a1.jpg", seed=1), tiny_media.photo("a2.jpg", seed=2))
    await chat.upload(bob, tiny_media.photo("b1.jpg", seed=3), tiny_media.song("b.wav", seconds=2))
    project = await chat.store.project_for_chat(chat.ref.key)
    assert project is not None
    bobs = [r for r in await chat.store.list_media(project.id) if r.contributor_key == bob.key]
    await chat.send(bob, "please remove my photos")
    assert "Removed your 1 photo, 1 song" in chat.last_say()
    left = await chat.store.list_media(project.id, include_removed=True)
    assert {r.item.original_name for r in left} == {"a1.jpg", "a2.jpg"}
    for r in bobs:
        assert not await chat.media.exists(r.storage_key)  # really gone, not hidden
    # ann's movie is made without bob's files
    await chat.send(ann, "/make")
    await chat.settle()
    assert chat.movies()[-1].version == 1
    v1 = await chat.store.get_version(project.id, 1)
    assert v1 is not None and v1.plan is not None
    assert {s.kind for s in v1.plan.segments} == {MediaKind.PHOTO} and len(v1.plan.segments) == 2
