"""A movie over the chat's upload limit: the same version re-rendered smaller (same plan, no new
version), delivered with a caption saying so, cached per version and limit; a movie too long to
fit anywhere near the limit gets a plain answer instead. The pipeline is the stand-in with a
real ffmpeg render that honours the target size (the real renderer's target-size mode is tested
in tests/unit/pipeline; one slow test here runs it end to end)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conversation.actions import Say, SendMovie, ShowProgress
from conversation.fit import fit_key, fit_target
from conversation.settings import CoreSettings
from tests.unit.conversation.chatkit import Chat, ann, message_id_of
from tests.unit.conversation.fit_standin import FitStandIn

LIMIT = 200_000  # bytes: the full 4 s stand-in movie (~600 KB) is over it, a smaller copy fits


def probe(path: Path) -> dict[str, Any]:
    import av

    with av.open(str(path)) as f:
        return {
            "video": f.streams.video[0].codec_context.name,
            "audio": f.streams.audio[0].codec_context.name,
            "duration": float(f.duration or 0) / 1_000_000,
            "frames": sum(1 for _ in f.decode(video=0)),
        }


@pytest.fixture
async def fitchat(tmp_path: Path, ffmpeg: str) -> Any:
    c = Chat(tmp_path, FitStandIn(ffmpeg))
    yield c
    await c.close()


async def _make(chat: Chat, tiny_media: Any, photos: int = 2) -> None:
    await chat.send(ann, "/new Trip")
    await chat.upload(ann, *[tiny_media.photo(f"p{i}.jpg", seed=i) for i in range(photos)])
    await chat.send(ann, "/make")
    await chat.settle()


def _all_text(chat: Chat) -> str:
    return "\n".join(
        a.text if isinstance(a, Say | ShowProgress) else a.caption if isinstance(a, SendMovie) else ""
        for a in chat.outbox.sent
    )


async def test_an_over_limit_movie_is_delivered_as_a_smaller_copy_of_the_same_version(
    fitchat: Chat, tiny_media: Any
) -> None:
    chat = fitchat
    chat.outbox.upload_limit = LIMIT
    await _make(chat, tiny_media)
    project = await chat.store.project_for_chat(chat.ref.key)
    assert project is not None and project.current_version == 1 and project.state == "delivered"
    v1 = await chat.store.get_version(project.id, 1)
    assert v1 is not None and v1.render_key and (v1.size_bytes or 0) > LIMIT  # the full movie stays v1's
    chat.expect(ShowProgress, "over this chat's 0.2 MB limit: making a smaller copy")
    (movie,) = chat.movies()  # posted once: the smaller copy
    assert movie.version == 1 and movie.size_bytes < LIMIT and movie.path.stat().st_size < LIMIT
    assert "smaller copy" in movie.caption.lower() and "Trip v1" in movie.caption
    full = await chat.media.get(v1.render_key, chat.root / "check")
    got, want = probe(movie.path), probe(full)
    assert got["video"] == "h264" and got["audio"] == "aac" and got["frames"] > 0
    assert abs(got["duration"] - want["duration"]) <= 0.1
    assert "file://" not in _all_text(chat)  # a local store's link is useless to the others
    assert [v.number for v in await chat.store.list_versions(project.id)] == [1]  # no new version
    assert chat.pipeline.targets == [None, fit_target(LIMIT)]  # type: ignore[attr-defined]
    assert len(chat.pipeline.planned) == 1  # type: ignore[attr-defined]  # the same plan: no re-planning
    # the smaller copy is "the movie": replying to it refines v1
    link = await chat.store.find_message(chat.ref.key, message_id_of(chat, movie))
    assert link is not None and link.version == 1 and link.kind == "movie"
    await chat.send(ann, "shorter", reply_to=message_id_of(chat, movie))
    await chat.settle()
    v2 = await chat.store.get_version(project.id, 2)
    assert v2 is not None and v2.parent == 1


async def test_the_same_version_to_the_same_limit_reuses_its_smaller_copy(
    fitchat: Chat, tiny_media: Any
) -> None:
    chat = fitchat
    chat.outbox.upload_limit = LIMIT
    await _make(chat, tiny_media)
    project = await chat.store.project_for_chat(chat.ref.key)
    assert project is not None
    assert await chat.media.exists(fit_key(project.id, 1, fit_target(LIMIT)))
    renders = len(chat.pipeline.targets)  # type: ignore[attr-defined]
    await chat.send(ann, "/revert 1")
    await chat.settle()
    first, again = chat.movies()
    assert again.path.read_bytes() == first.path.read_bytes() and again.size_bytes < LIMIT
    assert "smaller copy" in again.caption.lower()
    assert len(chat.pipeline.targets) == renders  # type: ignore[attr-defined]  # nothing rendered again
    # a chat with a different limit gets its own copy
    chat.outbox.upload_limit = 150_000
    await chat.send(ann, "/revert 1")
    await chat.settle()
    assert chat.pipeline.targets[renders:] == [fit_target(150_000)]  # type: ignore[attr-defined]
    assert chat.movies()[-1].size_bytes < 150_000


async def test_a_movie_too_long_for_the_limit_gets_a_plain_answer_without_a_render(
    fitchat: Chat, tiny_media: Any
) -> None:
    chat = fitchat
    chat.outbox.upload_limit = 40_000  # a 4 s movie can't be squeezed under 40 KB
    await _make(chat, tiny_media)
    assert not chat.movies()
    said = chat.last_say()
    assert (
        "v1 is" in said
        and "a 4 s movie" in said
        and "even a smaller copy of a 4 s movie can't fit" in said
        and "“shorter”" in said
    )
    assert "file://" not in said
    assert chat.pipeline.targets == [None]  # type: ignore[attr-defined]  # no pointless render
    project = await chat.store.project_for_chat(chat.ref.key)
    assert project is not None and project.state == "delivered" and project.current_version == 1


async def test_a_smaller_copy_that_still_does_not_fit_is_not_posted(fitchat: Chat, tiny_media: Any) -> None:
    chat = fitchat
    chat.pipeline.honour_target = False  # type: ignore[attr-defined]
    chat.outbox.upload_limit = LIMIT
    await _make(chat, tiny_media)
    assert not chat.movies()
    said = chat.last_say()
    assert "even a smaller copy of a 4 s movie can't fit" in said and "/settings duration" not in said
    assert chat.pipeline.targets == [None, fit_target(LIMIT)]  # type: ignore[attr-defined]


async def test_a_failed_smaller_copy_is_reported_and_the_version_stays_ready(
    fitchat: Chat, tiny_media: Any, caplog: pytest.LogCaptureFixture
) -> None:
    chat = fitchat
    chat.pipeline.fail_fit = True  # type: ignore[attr-defined]
    chat.outbox.upload_limit = LIMIT
    with caplog.at_level("CRITICAL", logger="conversation.fit_job"):  # the crash is logged as ERROR
        await _make(chat, tiny_media)
    assert not chat.movies()
    said = chat.last_say()
    assert said.startswith("Sorry, I couldn't make a smaller copy of v1: Something went wrong (ref ")
    project = await chat.store.project_for_chat(chat.ref.key)
    assert project is not None and project.state == "delivered"
    v1 = await chat.store.get_version(project.id, 1)
    assert v1 is not None and v1.status == "ready"


async def test_the_full_movie_is_linked_when_the_store_gives_a_shareable_link(
    fitchat: Chat, tiny_media: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def signed_url(key: str, expires_in: int = 3600) -> str | None:
        return f"https://media.example/{key}?token=abc"

    monkeypatch.setattr(fitchat.media, "signed_url", signed_url)
    fitchat.outbox.upload_limit = LIMIT
    await _make(fitchat, tiny_media)
    (movie,) = fitchat.movies()
    project = await fitchat.store.project_for_chat(fitchat.ref.key)
    assert project is not None
    assert f"Full quality: https://media.example/{project.id}/v1.mp4?token=abc" in movie.caption


async def test_a_movie_under_the_limit_is_sent_as_it_is(fitchat: Chat, tiny_media: Any) -> None:
    fitchat.outbox.upload_limit = 5_000_000
    await _make(fitchat, tiny_media)
    (movie,) = fitchat.movies()
    assert "smaller copy" not in movie.caption.lower() and movie.size_bytes > LIMIT
    assert fitchat.pipeline.targets == [None]  # type: ignore[attr-defined]


@pytest.mark.slow
async def test_the_real_renderer_makes_the_smaller_copy(
    tmp_path: Path, pipeline_settings: Any, tiny_media: Any
) -> None:
    from pipeline.api import Pipeline

    settings = CoreSettings(scratch_dir=tmp_path / "scratch", draft_renders=True)
    chat = Chat(tmp_path, Pipeline(pipeline_settings), settings=settings)
    try:
        limit = 150_000
        chat.outbox.upload_limit = limit
        await chat.send(ann, "/new Real")
        await chat.upload(ann, *[tiny_media.photo(f"r{i}.jpg", seed=i + 1) for i in range(2)])
        await chat.send(ann, "make it 4 seconds")
        await chat.settle(timeout=170)
        project = await chat.store.project_for_chat(chat.ref.key)
        assert project is not None
        v1 = await chat.store.get_version(project.id, 1)
        assert v1 is not None and v1.render_key
        movies = chat.movies()
        if (v1.size_bytes or 0) <= limit:
            pytest.fail(f"the full movie ({v1.size_bytes} bytes) should be over the {limit} byte limit")
        (movie,) = movies
        assert movie.path.stat().st_size < limit and "smaller copy" in movie.caption.lower()
        full = await chat.media.get(v1.render_key, tmp_path / "check")
        got, want = probe(movie.path), probe(full)
        assert got["video"] == "h264" and got["audio"] == "aac"
        assert abs(got["duration"] - want["duration"]) <= 0.1
    finally:
        await chat.close()


async def test_a_long_movie_gets_a_duration_that_would_fit(fitchat: Chat, tiny_media: Any) -> None:
    chat = fitchat
    chat.outbox.upload_limit = LIMIT
    await chat.send(ann, "/new Long")
    await chat.upload(ann, *[tiny_media.photo(f"l{i}.jpg", seed=i) for i in range(2)])
    await chat.send(ann, "make it 20 seconds")
    await chat.settle()
    assert not chat.movies()
    said = chat.last_say()
    assert "a 20 s movie can't fit" in said and "/settings duration 9" in said  # 190 KB at ~20 KB/s
    assert chat.pipeline.targets == [None]  # type: ignore[attr-defined]


async def test_a_long_caption_is_shortened_so_the_link_survives(
    fitchat: Chat, tiny_media: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    link = "https://media.example/" + "x" * 850  # a long signed URL leaves little room

    async def signed_url(key: str, expires_in: int = 3600) -> str | None:
        return link

    monkeypatch.setattr(fitchat.media, "signed_url", signed_url)
    fitchat.outbox.upload_limit = LIMIT
    await fitchat.send(ann, "/new A very long title")
    await fitchat.upload(ann, *[tiny_media.photo(f"p{i}.jpg", seed=i) for i in range(2)])
    await fitchat.send(ann, "/make")
    await fitchat.settle()
    (movie,) = fitchat.movies()
    assert len(movie.caption) <= 1000 and movie.caption.endswith(f"Full quality: {link}")
    assert movie.caption.startswith("A very") and "…\nA smaller copy" in movie.caption  # cut before the note
