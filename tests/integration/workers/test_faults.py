"""Faults: a worker SIGKILLed mid-render, Redis restarted with work queued, a bot dying while it
delivers. Nothing is lost, nothing reaches the chat twice."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from arq.constants import in_progress_key_prefix
from redis.asyncio import Redis

import workers.jobs
from conversation.jobs import JobDeps
from conversation.ports import JobRequest, JobUpdate
from conversation.store.sqlite import SQLiteProjectStore
from tests.integration.workers.conftest import run_burst_worker
from tests.integration.workers.redis_server import RedisServer
from tests.integration.workers.slow_pipeline import ChunkedSlowPipeline
from tests.integration.workers.test_client import add_project
from workers.events import EVENTS_STREAM, SEEN_PREFIX, EventConsumer, dedupe_key, publish
from workers.main import WorkerConfig, build_workers, stop_workers
from workers.queue import ArqJobQueue

pytestmark = pytest.mark.redis

WORKER = Path(__file__).with_name("worker_proc.py")


def spawn_worker(redis_url: str, root: Path, *extra: str) -> subprocess.Popen[bytes]:
    with (root / f"worker-{len(extra)}.log").open("wb") as err:  # the child keeps its own copy of the fd
        return subprocess.Popen(
            [
                sys.executable,
                str(WORKER),
                redis_url,
                str(root),
                "--chunks",
                "6",
                "--chunk-seconds",
                "0.5",
                *extra,
            ],
            stdout=subprocess.DEVNULL,
            stderr=err,
        )


@pytest.mark.slow
async def test_sigkilled_worker_mid_render_another_finishes_once(
    tmp_path: Path, redis_url: str, make_bot, tiny_media
) -> None:  # type: ignore[no-untyped-def]
    pipeline = ChunkedSlowPipeline(tmp_path / "chunks")  # the bot's copy: used for intake only
    bot = await make_bot(redis_url, pipeline)
    bot.start_consumer()
    pid = await bot.start_movie(tiny_media)
    log = tmp_path / "chunks" / "log"

    first = spawn_worker(redis_url, tmp_path)
    try:
        # kill it once a few chunks are in the cache, mid-render
        for _ in range(600):
            if log.exists() and log.read_text().count("\n") >= 2:
                break
            await asyncio.sleep(0.05)
        assert log.exists(), "the first worker never started rendering"
        os.kill(first.pid, signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait(10)
    done_before = log.read_text().count("\n")
    assert done_before < 6 and bot.movies() == []

    second = spawn_worker(redis_url, tmp_path, "--burst")
    try:
        assert second.wait(90) == 0
    finally:
        if second.poll() is None:
            second.kill()
            second.wait(10)
    await bot.wait_for(lambda: len(bot.movies()) == 1, timeout=30)
    await asyncio.sleep(0.5)  # room for a duplicate to show up, if there were one
    assert len(bot.movies()) == 1 and bot.movies()[0].version == 1

    rendered = log.read_text().split()
    assert sorted(set(rendered)) == sorted(rendered) or len(rendered) <= 7
    assert len(set(rendered)) == 6
    # finished chunks were not redone: at most the one being written at the kill is rendered twice
    assert len(rendered) - len(set(rendered)) <= 1
    job = await bot.store.get_job(f"{pid}:v1:make")
    assert job is not None and job.status == "completed" and job.attempts == 2


@pytest.mark.slow
async def test_sigkilled_worker_mid_fanout_chunks_are_not_redone(
    tmp_path: Path, redis_url: str, make_bot, tiny_media
) -> None:  # type: ignore[no-untyped-def]
    pipeline = ChunkedSlowPipeline(tmp_path / "chunks")  # the bot's copy: used for intake only
    bot = await make_bot(redis_url, pipeline)
    bot.start_consumer()
    pid = await bot.start_movie(tiny_media, n=4)  # 8 s -> 8 chunk jobs of 1 s
    log = tmp_path / "chunk-log"
    extra = ("--fanout", "5", "--chunk-seconds", "0.6")
    first = spawn_worker(redis_url, tmp_path, *extra)
    try:
        for _ in range(600):
            if log.exists() and log.read_text().count("\n") >= 3:
                break
            await asyncio.sleep(0.05)
        assert log.exists(), "the first worker never rendered a chunk"
        os.kill(first.pid, signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait(10)
    before = log.read_text().split()
    assert 3 <= len(before) < 8

    second = spawn_worker(redis_url, tmp_path, *extra, "--burst")
    try:
        assert second.wait(90) == 0
    finally:
        if second.poll() is None:
            second.kill()
            second.wait(10)
    await bot.wait_for(lambda: len(bot.movies()) == 1, timeout=30)
    await asyncio.sleep(0.5)
    assert len(bot.movies()) == 1
    rendered = log.read_text().split()
    assert sorted(set(rendered), key=int) == [str(i) for i in range(8)]
    assert len(rendered) - 8 <= 1  # only the chunk being rendered at the kill is done again
    assert rendered[: len(before)] == before  # the second worker redid none of the finished ones
    assert (await bot.store.get_version(pid, 1)).status == "ready"  # type: ignore[union-attr]


async def test_redis_restart_with_work_queued_loses_nothing(tmp_path: Path, make_bot, tiny_media) -> None:  # type: ignore[no-untyped-def]
    server = RedisServer(tmp_path / "redis-own").start()
    try:
        pipeline = ChunkedSlowPipeline(tmp_path / "chunks", chunks=2, chunk_seconds=0.0)
        bot = await make_bot(server.url, pipeline)
        pid = await bot.start_movie(tiny_media)
        assert (await bot.store.get_job(f"{pid}:v1:make")).status == "queued"  # type: ignore[union-attr]

        server.restart()  # no persistence: the queue is gone from Redis
        probe = Redis.from_url(server.url)
        assert await probe.dbsize() == 0
        await probe.aclose()

        # the bot process starts again: recovery re-enqueues from the store's jobs table
        again = await make_bot(server.url, pipeline)
        assert await again.core.recover() + await again.queue.resume() >= 1
        await run_burst_worker(tmp_path, server.url, pipeline)
        await again.wait_for(lambda: len(again.movies()) == 1)
        assert again.movies()[0].version == 1
        assert (await again.store.get_version(pid, 1)).status == "ready"  # type: ignore[union-attr]
    finally:
        server.stop()


async def test_a_finished_movie_whose_event_redis_lost_is_still_delivered(
    tmp_path: Path, make_bot, tiny_media
) -> None:  # type: ignore[no-untyped-def]
    server = RedisServer(tmp_path / "redis-own").start()
    try:
        pipeline = ChunkedSlowPipeline(tmp_path / "chunks", chunks=2, chunk_seconds=0.0)
        bot = await make_bot(server.url, pipeline)
        pid = await bot.start_movie(tiny_media)
        await run_burst_worker(tmp_path, server.url, pipeline)  # rendered; "done" sits in the stream
        server.restart()  # ...and is lost before any bot read it

        again = await make_bot(server.url, pipeline)
        await again.core.recover()
        assert await again.queue.resume() == 1  # the version is ready but was never delivered
        await run_burst_worker(tmp_path, server.url, pipeline)
        await again.wait_for(lambda: len(again.movies()) == 1)
        assert (tmp_path / "chunks" / "log").read_text().count("\n") == 2  # not rendered again
        assert (await again.store.get_job(f"{pid}:v1:make")).status == "completed"  # type: ignore[union-attr]
    finally:
        server.stop()


async def test_a_bot_dying_mid_delivery_is_taken_over(tmp_path: Path, redis_url: str) -> None:
    from conversation.store.sqlite import SQLiteProjectStore

    store = SQLiteProjectStore(tmp_path / "db.sqlite3")
    redis = Redis.from_url(redis_url)
    got: list[JobUpdate] = []

    async def sink(u: JobUpdate) -> None:
        got.append(u)

    dead = EventConsumer(redis, store, sink, consumer="bot-a", lease_ms=300)
    await dead._ensure_group()
    done = JobUpdate(job_id="p1:v1:make", project_id="p1", version=1, kind="done", seq=1_999_999)
    await publish(redis, EVENTS_STREAM, done, run="1")
    # bot-a reads the entry and claims it, then dies before posting (no ack, lease left behind)
    await redis.xreadgroup("bots", "bot-a", {EVENTS_STREAM: ">"}, count=10)
    await redis.set(SEEN_PREFIX + dedupe_key(done, "1"), b"bot-a", px=300)

    other = EventConsumer(redis, store, sink, consumer="bot-b", lease_ms=300)
    assert await other.poll_once() == 0  # too early: bot-a's lease still holds
    for _ in range(40):
        await asyncio.sleep(0.1)
        await other.poll_once()
        if got:
            break
    assert [u.kind for u in got] == ["done"]
    for _ in range(5):  # and only once
        await asyncio.sleep(0.1)
        await other.poll_once()
        await dead.poll_once()
    assert len(got) == 1
    pending = await redis.xpending(EVENTS_STREAM, "bots")
    assert pending["pending"] == 0
    await redis.aclose()
    await store.close()


async def test_worker_and_event_consumer_ride_out_a_redis_restart(
    tmp_path: Path, make_bot, tiny_media, caplog
) -> None:  # type: ignore[no-untyped-def]
    from conversation.jobs import JobDeps
    from conversation.store.local_media import LocalMediaStore
    from conversation.store.sqlite import SQLiteProjectStore
    from workers.main import WorkerConfig, serve

    server = RedisServer(tmp_path / "redis-own").start()
    pipeline = ChunkedSlowPipeline(tmp_path / "chunks", chunks=2, chunk_seconds=0.0)
    worker_store = SQLiteProjectStore(tmp_path / "core.sqlite3")

    async def open_deps() -> JobDeps:
        return JobDeps(store=worker_store, media=LocalMediaStore(tmp_path / "media-store"), pipeline=pipeline,
                       scratch_dir=tmp_path / "worker-scratch")  # fmt: skip

    worker = asyncio.create_task(serve(WorkerConfig(redis_url=server.url, poll_delay=0.05), open_deps))
    try:
        bot = await make_bot(server.url, pipeline)
        bot.start_consumer()
        await asyncio.sleep(0.3)
        server.restart()  # both the worker's and the bot's connections break
        await asyncio.sleep(0.5)
        pid = await bot.start_movie(tiny_media)  # enqueued on the restarted Redis
        await bot.wait_for(lambda: len(bot.movies()) == 1, timeout=60)
        assert (await bot.store.get_job(f"{pid}:v1:make")).status == "completed"  # type: ignore[union-attr]
        assert "event stream unavailable" in caplog.text  # the bot noticed, and carried on
    finally:
        worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)
        await worker_store.close()
        server.stop()


async def test_a_versions_movie_shows_once_but_other_jobs_for_it_still_report(
    tmp_path: Path, redis_url: str
) -> None:
    from conversation.store.sqlite import SQLiteProjectStore

    store = SQLiteProjectStore(tmp_path / "db.sqlite3")
    redis = Redis.from_url(redis_url)
    got: list[str] = []

    async def sink(u: JobUpdate) -> None:
        got.append(f"{u.job_id} {u.kind}")

    consumer = EventConsumer(redis, store, sink)
    await consumer.poll_once()
    done = JobUpdate(job_id="p1:v1:make", project_id="p1", version=1, kind="done", seq=1_999_999)
    await publish(redis, EVENTS_STREAM, done, run="1")
    await publish(redis, EVENTS_STREAM, done.model_copy(update={"seq": 2_999_999}), run="1")  # a retry's
    await publish(redis, EVENTS_STREAM, done, run="2")  # a re-run after a crash
    # the smaller copy of v1 for one chat is its own job: its "done" is news
    fit = JobUpdate(job_id="p1:v1:fit190000", project_id="p1", version=1, kind="done", seq=1_999_999)
    await publish(redis, EVENTS_STREAM, fit, run="3")
    await publish(redis, EVENTS_STREAM, fit, run="3")
    for _ in range(3):
        await consumer.poll_once()
    assert got == ["p1:v1:make done", "p1:v1:fit190000 done"]
    await redis.aclose()
    await store.close()


async def test_a_job_picked_up_by_a_worker_that_dies_at_once_is_free_again_within_the_lease(
    tmp_path: Path, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """arq marks a picked-up job as in progress for its whole timeout (30 minutes here). A worker
    SIGKILLed before the job renewed its lease held the job that long; it must lapse within the
    lease. No renewal runs here: what is measured is the mark arq itself set at pickup."""

    async def never_renews(*_: object) -> None:
        await asyncio.Event().wait()

    started = asyncio.Event()

    async def hangs(request: JobRequest, report: object) -> None:
        started.set()
        await asyncio.Event().wait()  # as if the process froze and was killed right here

    monkeypatch.setattr(workers.jobs, "renew_lease", never_renews)
    store = SQLiteProjectStore(tmp_path / "db.sqlite3")
    await add_project(store, "px", "test:1:")
    queue = await ArqJobQueue.connect(redis_url, store)

    async def open_deps() -> JobDeps:
        return JobDeps(store=store, media=None, pipeline=None, scratch_dir=tmp_path)  # type: ignore[arg-type]

    config = WorkerConfig(redis_url=redis_url, poll_delay=0.05, lease_seconds=2.0, render_timeout=1800)
    workers_ = build_workers(config, open_deps, job_fn=hangs)  # type: ignore[arg-type]
    running = [asyncio.create_task(w.main()) for w in workers_]
    try:
        assert await queue.enqueue(JobRequest(job_id="px:v1:make", kind="make", project_id="px", version=1))
        await asyncio.wait_for(started.wait(), 10)
        ttl_ms = await queue.redis.pttl(in_progress_key_prefix + "px:v1:make")
        assert 0 < ttl_ms <= 2000  # before: 1,870,000 ms (timeout + arq's 10 s + our 60 s)
    finally:
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        await stop_workers(workers_)
        await queue.close()
