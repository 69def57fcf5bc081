"""Scale-out: a long movie's chunks run as separate jobs on whichever workers are free, and the
worker that finishes the last chunk joins them into the one movie the chat receives."""

from __future__ import annotations

import asyncio
from pathlib import Path

import av
import pytest

from conversation.actions import SendMovie
from tests.integration.workers.conftest import run_burst_worker
from tests.integration.workers.synthetic_chunks import PatternChunks
from tests.unit.conversation.standin import StandInPipeline

pytestmark = pytest.mark.redis


async def test_long_movie_renders_as_chunks_joined_once(
    tmp_path: Path, redis_url: str, make_bot, tiny_media, ffmpeg
) -> None:  # type: ignore[no-untyped-def]
    pipeline = StandInPipeline()
    bot = await make_bot(redis_url, pipeline)
    pid = await bot.start_movie(tiny_media, n=6, title="long trip")  # 12 s
    chunks = PatternChunks(ffmpeg, chunk_seconds=3.0, preset="ultrafast", log=tmp_path / "chunk-log")

    await run_burst_worker(tmp_path, redis_url, pipeline, chunk_renderer=chunks, fanout_min_seconds=5)
    await bot.wait_for(lambda: len(bot.movies()) == 1)

    [movie] = bot.movies()
    assert sorted((tmp_path / "chunk-log").read_text().split()) == ["0", "1", "2", "3"]
    with av.open(str(movie.path)) as box:
        assert abs(box.duration / 1e6 - 12.0) < 0.2
        assert box.streams.video[0].codec_context.name == "h264"
    assert await bot.media.list(f"{pid}/chunks/") == []  # the pieces are cleaned up after the join
    version = await bot.store.get_version(pid, 1)
    assert version is not None and version.status == "ready" and abs(version.duration - 12.0) < 0.2
    job = await bot.store.get_job(f"{pid}:v1:make")
    assert job is not None and job.status == "completed"
    assert pipeline.render_started.is_set() is False  # the one-piece render never ran


async def test_two_workers_share_the_chunks_and_one_joins(
    tmp_path: Path, redis_url: str, make_bot, tiny_media, ffmpeg
) -> None:  # type: ignore[no-untyped-def]
    pipeline = StandInPipeline()
    bot = await make_bot(redis_url, pipeline)
    await bot.start_movie(tiny_media, n=8, title="long trip")  # 16 s
    log = tmp_path / "chunk-log"
    chunks = PatternChunks(ffmpeg, chunk_seconds=2.0, preset="ultrafast", log=log)
    await asyncio.gather(
        run_burst_worker(tmp_path, redis_url, pipeline, chunk_renderer=chunks, fanout_min_seconds=5),
        run_burst_worker(tmp_path, redis_url, pipeline, chunk_renderer=chunks, fanout_min_seconds=5),
    )
    await bot.wait_for(lambda: len(bot.movies()) == 1)
    await asyncio.sleep(0.3)
    await bot.consumer.poll_once()
    assert len(bot.movies()) == 1
    assert sorted(log.read_text().split(), key=int) == [str(i) for i in range(8)]  # each chunk once


async def test_short_movie_renders_in_one_piece(
    tmp_path: Path, redis_url: str, make_bot, tiny_media, ffmpeg
) -> None:  # type: ignore[no-untyped-def]
    pipeline = StandInPipeline()
    bot = await make_bot(redis_url, pipeline)
    await bot.start_movie(tiny_media, n=2, title="long trip")  # 4 s: below the fan-out threshold
    chunks = PatternChunks(ffmpeg, chunk_seconds=1.0, log=tmp_path / "chunk-log")
    await run_burst_worker(tmp_path, redis_url, pipeline, chunk_renderer=chunks, fanout_min_seconds=5)
    await bot.wait_for(lambda: len(bot.movies()) == 1)
    assert not (tmp_path / "chunk-log").exists()
    assert pipeline.render_started.is_set()
    assert isinstance(bot.movies()[0], SendMovie)


def _renderer_chunk_api() -> bool:
    try:
        from pipeline.render import audio, chunks, probe  # noqa: F401
    except ImportError:
        return False
    return all(hasattr(chunks, f) for f in ("plan_chunks", "render_chunk", "join_chunks"))


@pytest.mark.slow
@pytest.mark.skipif(not _renderer_chunk_api(), reason="the renderer's chunk functions are not there yet")
async def test_fan_out_with_the_real_renderer(
    tmp_path: Path, redis_url: str, make_bot, make_tiny_set, pipeline_settings
) -> None:  # type: ignore[no-untyped-def]
    from pipeline.api import Pipeline
    from pipeline.render.probe import probe_movie
    from workers.chunk_renderer import PipelineChunkRenderer

    pipeline = Pipeline(pipeline_settings)
    bot = await make_bot(redis_url, pipeline)
    await bot.command("/new real")
    await bot.upload(*make_tiny_set(4))
    await bot.command("/make")
    project = await bot.store.project_for_chat(bot.chat.key)
    assert project is not None
    await run_burst_worker(tmp_path, redis_url, pipeline, chunk_renderer=PipelineChunkRenderer(pipeline_settings),
                           fanout_min_seconds=5)  # fmt: skip
    await bot.wait_for(lambda: len(bot.movies()) == 1, timeout=120)
    version = await bot.store.get_version(project.id, 1)
    assert version is not None and version.plan is not None and version.status == "ready"
    info = probe_movie(bot.movies()[0].path)
    assert info["video_codec"] == "h264" and info["audio_codec"] == "aac"
    assert abs(info["duration"] - version.plan.duration) < 0.2
    assert info["frames"] == round(
        version.plan.duration * 30
    )  # chunks joined without a lost or doubled frame
    assert len(list((pipeline_settings.work_dir / "chunks").glob("chunk-*.mp4"))) >= 2  # it did fan out
    assert version.poster_key is not None and await bot.media.exists(version.poster_key)


async def test_cancel_while_the_chunks_are_out(
    tmp_path: Path, redis_url: str, make_bot, tiny_media, ffmpeg
) -> None:  # type: ignore[no-untyped-def]
    from conversation.actions import ShowProgress
    from conversation.jobs import JobDeps
    from conversation.store.local_media import LocalMediaStore
    from conversation.store.sqlite import SQLiteProjectStore
    from workers.main import WorkerConfig, build_workers, stop_workers

    pipeline = StandInPipeline()
    bot = await make_bot(redis_url, pipeline)
    pid = await bot.start_movie(tiny_media, n=6, title="long trip")
    log = tmp_path / "chunk-log"
    chunks = PatternChunks(ffmpeg, chunk_seconds=3.0, preset="ultrafast", log=log)
    store = SQLiteProjectStore(tmp_path / "core.sqlite3")

    async def open_deps() -> JobDeps:
        return JobDeps(store=store, media=LocalMediaStore(tmp_path / "media-store"), pipeline=pipeline,
                       scratch_dir=tmp_path / "worker-scratch")  # fmt: skip

    async def burst(max_jobs: int = -1) -> None:
        config = WorkerConfig(redis_url=redis_url, burst=True, poll_delay=0, fanout_min_seconds=5)
        workers = build_workers(config, open_deps, chunk_renderer=chunks)
        for w in workers:
            w.max_burst_jobs = max_jobs
        try:
            await asyncio.gather(*(w.main() for w in workers))
        finally:
            await stop_workers(workers)

    await burst(max_jobs=1)  # only the movie job: it plans and sends the 4 chunks out
    assert len(await bot.queue.redis.zrange("mm:render", 0, -1)) == 4
    assert await bot.queue.cancel(f"{pid}:v1:make") is True
    await burst()
    await bot.wait_for(lambda: any(getattr(a, "stage", "") == "cancelled" for a in bot.sent(ShowProgress)))
    assert not log.exists()  # no chunk rendered after the cancel
    assert bot.movies() == []
    assert (await bot.store.get_version(pid, 1)).status == "cancelled"  # type: ignore[union-attr]
    assert (await bot.store.get_job(f"{pid}:v1:make")).status == "cancelled"  # type: ignore[union-attr]
    await store.close()
