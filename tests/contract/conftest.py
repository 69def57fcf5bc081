"""Port contract suites: every implementation of a port passes the same tests.

To put a new implementation under contract, append a factory to the registry below (or from
another conftest/plugin, before collection):

    PROJECT_STORES["supabase"] = my_factory   # (tmp_path) -> async context manager -> ProjectStore
    MEDIA_STORES["supabase"] = my_factory     # (tmp_path) -> async context manager -> MediaStore
    JOB_QUEUES["arq"] = my_factory            # (tmp_path, store, job_fn) -> async cm -> QueueHarness

A factory that needs a service which is absent calls pytest.skip with the reason. Opening the
same factory twice with the same tmp_path must reach the same data (the restart tests rely on it).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conversation.jobs import Report
from conversation.ports import JobQueue, JobRequest, JobUpdate, MediaStore, ProjectStore
from conversation.runner import InProcessJobQueue
from conversation.store.local_media import LocalMediaStore
from conversation.store.sqlite import SQLiteProjectStore

StoreFactory = Callable[[Path], AbstractAsyncContextManager[ProjectStore]]
MediaFactory = Callable[[Path], AbstractAsyncContextManager[MediaStore]]
JobFn = Callable[[JobRequest, Report], Awaitable[None]]


@dataclass
class QueueHarness:
    """A queue under test plus what the contract needs to observe it."""

    queue: JobQueue
    store: ProjectStore
    updates: list[JobUpdate] = field(default_factory=list)  # what reached the sink, in order
    # wait until nothing is queued or running (a burst worker run for arq)
    drain: Callable[[], Awaitable[None]] = field(default=lambda: _noop())


async def _noop() -> None:
    return None


QueueFactory = Callable[[Path, ProjectStore, JobFn], AbstractAsyncContextManager[QueueHarness]]


@asynccontextmanager
async def _sqlite(tmp_path: Path) -> AsyncIterator[ProjectStore]:
    store = SQLiteProjectStore(tmp_path / "state" / "projects.sqlite3")
    try:
        yield store
    finally:
        await store.close()


@asynccontextmanager
async def _local_media(tmp_path: Path) -> AsyncIterator[MediaStore]:
    yield LocalMediaStore(tmp_path / "media-store")


@asynccontextmanager
async def _in_process(tmp_path: Path, store: ProjectStore, job_fn: JobFn) -> AsyncIterator[QueueHarness]:
    harness = QueueHarness(queue=None, store=store)  # type: ignore[arg-type]

    async def sink(update: JobUpdate) -> None:
        harness.updates.append(update)

    queue = InProcessJobQueue(store, job_fn, sink, max_concurrent=1)
    harness.queue = queue
    harness.drain = queue.join
    try:
        yield harness
    finally:
        await queue.close()


@asynccontextmanager
async def _arq(tmp_path: Path, store: ProjectStore, job_fn: JobFn) -> AsyncIterator[QueueHarness]:
    """ArqJobQueue + a real redis-server + arq workers and the bot's EventConsumer in this loop."""
    import asyncio

    from arq.connections import RedisSettings, create_pool
    from redis.asyncio import Redis

    from conversation.jobs import JobDeps
    from tests.integration.workers.redis_server import RedisServer
    from workers.events import EventConsumer
    from workers.main import WorkerConfig, build_workers, stop_workers
    from workers.queue import ArqJobQueue

    server = RedisServer(tmp_path / "redis").start()
    pool = await create_pool(RedisSettings.from_dsn(server.url))
    events = Redis.from_url(server.url)
    harness = QueueHarness(queue=ArqJobQueue(pool, store), store=store)

    async def sink(update: JobUpdate) -> None:
        harness.updates.append(update)

    async def open_deps() -> JobDeps:
        return JobDeps(
            store=store,
            media=LocalMediaStore(tmp_path / "media"),
            pipeline=None,  # type: ignore[arg-type]
            scratch_dir=tmp_path / "scratch",
        )

    config = WorkerConfig(redis_url=server.url, poll_delay=0.02, lease_seconds=2.0)
    workers = build_workers(config, open_deps, job_fn=job_fn)
    consumer = EventConsumer(events, store, sink, lease_ms=2000)
    tasks = [asyncio.create_task(w.async_run()) for w in workers] + [
        asyncio.create_task(consumer.run(block_ms=50))
    ]

    async def drain() -> None:
        for _ in range(1500):
            jobs = await store.list_jobs()
            if jobs and all(j.status in ("completed", "failed", "cancelled") for j in jobs):
                return
            await asyncio.sleep(0.02)
        raise TimeoutError("jobs did not finish")

    harness.drain = drain
    try:
        yield harness
    finally:
        try:
            consumer.stop()
            await stop_workers(workers)
            await asyncio.gather(*tasks, return_exceptions=True)
            await events.aclose()
            await pool.aclose()
        finally:
            server.stop()


PROJECT_STORES: dict[str, StoreFactory] = {"sqlite": _sqlite}
MEDIA_STORES: dict[str, MediaFactory] = {"local": _local_media}
JOB_QUEUES: dict[str, QueueFactory] = {"in-process": _in_process, "arq": _arq}


@pytest.fixture(params=sorted(PROJECT_STORES))
def project_store_factory(request: pytest.FixtureRequest) -> StoreFactory:
    return PROJECT_STORES[request.param]


@pytest.fixture
async def project_store(project_store_factory: StoreFactory, tmp_path: Path) -> AsyncIterator[ProjectStore]:
    async with project_store_factory(tmp_path) as store:
        yield store


@pytest.fixture(params=sorted(MEDIA_STORES))
async def media_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[MediaStore]:
    async with MEDIA_STORES[request.param](tmp_path) as store:
        yield store


@pytest.fixture(params=sorted(JOB_QUEUES))
def job_queue_factory(request: pytest.FixtureRequest) -> QueueFactory:
    return JOB_QUEUES[request.param]
