"""The product path with workers: the core enqueues on arq, a worker makes the movie, the events
come back over the Redis Stream and the chat gets progress, the storyboard and one movie."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from conversation.actions import Say, SendMovie, SendPicture, ShowProgress
from conversation.ports import JobRequest
from tests.integration.workers.conftest import run_burst_worker
from tests.integration.workers.slow_pipeline import ChunkedSlowPipeline

pytestmark = pytest.mark.redis


async def test_movie_from_a_burst_worker_reaches_the_chat(
    tmp_path: Path, redis_url: str, make_bot, tiny_media
) -> None:  # type: ignore[no-untyped-def]
    pipeline = ChunkedSlowPipeline(tmp_path / "chunks", chunks=4, chunk_seconds=0.0)
    bot = await make_bot(redis_url, pipeline)
    pid = await bot.start_movie(tiny_media)
    job = (await bot.store.list_jobs(project_id=pid))[-1]
    assert job.status == "queued" and job.id == f"{pid}:v1:make"
    assert bot.sent(SendMovie) == []

    await run_burst_worker(tmp_path, redis_url, pipeline)
    await bot.wait_for(lambda: len(bot.movies()) == 1)

    [movie] = bot.movies()
    assert (
        movie.version == 1
        and movie.path.is_file()
        and movie.path.read_bytes().startswith(b"\x00\x00\x00\x18ftyp")
    )
    boards = bot.sent(SendPicture)
    assert len(boards) == 1 and "Plan v1" in boards[0].caption  # type: ignore[attr-defined]
    progress = [a for a in bot.sent(ShowProgress)]
    assert any(p.stage == "rendering" and 0 < p.percent < 100 for p in progress)  # type: ignore[attr-defined]
    assert progress[-1].done and progress[-1].percent == 100  # type: ignore[attr-defined]
    job = await bot.store.get_job(f"{pid}:v1:make")
    assert job is not None and (job.status, job.progress) == ("completed", 100)
    version = await bot.store.get_version(pid, 1)
    assert version is not None and version.status == "ready" and await bot.media.exists(version.render_key)


async def test_duplicate_enqueue_runs_once(tmp_path: Path, redis_url: str, make_bot, tiny_media) -> None:  # type: ignore[no-untyped-def]
    pipeline = ChunkedSlowPipeline(tmp_path / "chunks", chunks=3, chunk_seconds=0.0)
    bot = await make_bot(redis_url, pipeline)
    pid = await bot.start_movie(tiny_media)
    again = JobRequest(job_id=f"{pid}:v1:make", kind="make", project_id=pid, version=1, chat_key=bot.chat.key)
    results = await asyncio.gather(*(bot.queue.enqueue(again) for _ in range(5)))
    assert results == [False] * 5  # the core's enqueue already holds that id

    await run_burst_worker(tmp_path, redis_url, pipeline)
    await bot.wait_for(lambda: len(bot.movies()) == 1)
    assert (tmp_path / "chunks" / "log").read_text().count("\n") == 3  # rendered once
    await asyncio.sleep(0.2)
    await bot.consumer.poll_once()
    assert len(bot.movies()) == 1


async def test_a_retried_job_and_a_restarted_bot_post_the_movie_once(
    tmp_path: Path,
    redis_url: str,
    make_bot,
    tiny_media,  # type: ignore[no-untyped-def]
) -> None:
    pipeline = ChunkedSlowPipeline(tmp_path / "chunks", chunks=2, chunk_seconds=0.0)
    bot = await make_bot(redis_url, pipeline)
    pid = await bot.start_movie(tiny_media)
    await run_burst_worker(tmp_path, redis_url, pipeline)
    await bot.wait_for(lambda: len(bot.movies()) == 1)

    # the same job runs again (a retry after a lost ack, or a recovery after a crash): it
    # renders nothing, reports "done" again, and the chat must not get a second movie
    request = JobRequest(
        job_id=f"{pid}:v1:make", kind="make", project_id=pid, version=1, chat_key=bot.chat.key
    )
    assert await bot.queue.enqueue(request) is True
    await run_burst_worker(tmp_path, redis_url, pipeline)
    assert (tmp_path / "chunks" / "log").read_text().count("\n") == 2

    restarted = await make_bot(redis_url, pipeline)  # a second bot process on the same group
    for _ in range(5):
        await restarted.consumer.poll_once(block_ms=50)
        await bot.consumer.poll_once(block_ms=50)
    assert len(bot.movies()) + len(restarted.movies()) == 1
    assert restarted.consumer.skipped + bot.consumer.skipped >= 1


async def test_timeout_is_reported_to_the_chat(tmp_path: Path, redis_url: str, make_bot, tiny_media) -> None:  # type: ignore[no-untyped-def]
    pipeline = ChunkedSlowPipeline(tmp_path / "chunks", chunks=10, chunk_seconds=0.3)
    bot = await make_bot(redis_url, pipeline)
    pid = await bot.start_movie(tiny_media)
    await run_burst_worker(tmp_path, redis_url, pipeline, render_timeout=0.6)
    await bot.wait_for(lambda: any("couldn't make v1" in a.text for a in bot.sent(Say)))  # type: ignore[attr-defined]
    said = [a.text for a in bot.sent(Say) if "couldn't make v1" in a.text]  # type: ignore[attr-defined]
    assert "took longer than 1 minutes" in said[0] or "took longer than" in said[0]
    assert bot.movies() == []
    version = await bot.store.get_version(pid, 1)
    assert version is not None and version.status == "failed"
    assert (await bot.store.get_job(f"{pid}:v1:make")).status == "failed"  # type: ignore[union-attr]


class FlakyOnce(ChunkedSlowPipeline):
    """The store/storage blinks once (ConnectionError) during analysis, then all is well."""

    def __init__(self, *a, **kw) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*a, **kw)
        self.calls = 0

    async def analyse(self, items, progress=None):  # type: ignore[no-untyped-def, override]
        self.calls += 1
        if self.calls == 1:
            raise ConnectionError("storage timed out")
        return await super().analyse(items)


async def test_transient_error_is_retried_with_backoff(
    tmp_path: Path, redis_url: str, make_bot, tiny_media, caplog
) -> None:  # type: ignore[no-untyped-def]
    pipeline = FlakyOnce(tmp_path / "chunks", chunks=2, chunk_seconds=0.0)
    bot = await make_bot(redis_url, pipeline)
    pid = await bot.start_movie(tiny_media)
    await run_burst_worker(tmp_path, redis_url, pipeline, retry_base_seconds=0.2)
    await bot.wait_for(lambda: len(bot.movies()) == 1)
    assert pipeline.calls == 2
    job = await bot.store.get_job(f"{pid}:v1:make")
    assert job is not None and job.attempts == 2 and job.status == "completed"
    assert "transient error" in caplog.text
    assert not any("couldn't make" in a.text for a in bot.sent(Say))  # type: ignore[attr-defined]


async def test_cancel_a_queued_movie(tmp_path: Path, redis_url: str, make_bot, tiny_media) -> None:  # type: ignore[no-untyped-def]
    pipeline = ChunkedSlowPipeline(tmp_path / "chunks", chunks=2, chunk_seconds=0.0)
    bot = await make_bot(redis_url, pipeline)
    pid = await bot.start_movie(tiny_media)
    assert await bot.queue.cancel(f"{pid}:v1:make") is True
    await bot.wait_for(lambda: any(getattr(a, "stage", "") == "cancelled" for a in bot.sent(ShowProgress)))
    await run_burst_worker(tmp_path, redis_url, pipeline)
    assert not (tmp_path / "chunks" / "log").exists()  # never rendered
    assert (await bot.store.get_version(pid, 1)).status == "cancelled"  # type: ignore[union-attr]
    assert (await bot.store.get_job(f"{pid}:v1:make")).status == "cancelled"  # type: ignore[union-attr]
    assert await bot.queue.cancel(f"{pid}:v1:make") is False


async def test_a_long_render_does_not_starve_analysis(
    tmp_path: Path, redis_url: str, make_bot, tiny_media
) -> None:  # type: ignore[no-untyped-def]
    from conversation.jobs import JobDeps
    from conversation.store.local_media import LocalMediaStore
    from conversation.store.sqlite import SQLiteProjectStore
    from workers.main import WorkerConfig, serve

    pipeline = ChunkedSlowPipeline(tmp_path / "chunks", chunks=2, chunk_seconds=0.0)
    pipeline.render = _held_render(pipeline)  # type: ignore[method-assign]
    worker_store = SQLiteProjectStore(tmp_path / "core.sqlite3")

    async def open_deps() -> JobDeps:
        return JobDeps(store=worker_store, media=LocalMediaStore(tmp_path / "media-store"), pipeline=pipeline,
                       scratch_dir=tmp_path / "worker-scratch")  # fmt: skip

    worker = asyncio.create_task(serve(WorkerConfig(redis_url=redis_url, poll_delay=0.02), open_deps))
    try:
        bot = await make_bot(redis_url, pipeline)
        pid = await bot.start_movie(tiny_media)
        await asyncio.wait_for(pipeline.render_started.wait(), 30)  # the one render slot is busy
        calls = pipeline.analyse_calls
        assert await bot.queue.enqueue(JobRequest(job_id=f"{pid}:analyse:9", kind="analyse", project_id=pid))
        for _ in range(300):
            job = await bot.store.get_job(f"{pid}:analyse:9")
            if pipeline.analyse_calls > calls and job is not None and job.status == "processing":
                break
            await asyncio.sleep(0.02)
        assert pipeline.analyse_calls > calls, "the analysis waited behind the render"
        assert not pipeline.render_gate.is_set()  # type: ignore[union-attr]
        pipeline.render_gate.set()  # type: ignore[union-attr]
        await bot.wait_for(lambda: len(bot.movies()) == 1)
    finally:
        worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)
        await worker_store.close()


def _held_render(pipeline: ChunkedSlowPipeline):  # type: ignore[no-untyped-def]
    original = pipeline.render
    pipeline.render_gate = asyncio.Event()

    async def render(plan, library, spec, progress=None):  # type: ignore[no-untyped-def]
        pipeline.render_started.set()
        await pipeline.render_gate.wait()  # type: ignore[union-attr]
        return await original(plan, library, spec)

    return render
