"""Workers against a real redis-server: a bot (the real conversation core with a recording
outbox, ArqJobQueue, EventConsumer) and arq workers (in-test burst workers or subprocesses)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from arq.connections import RedisSettings, create_pool
from redis.asyncio import Redis

from conversation.actions import Action, SendMovie
from conversation.core import ConversationCore
from conversation.events import CommandReceived, IncomingFile, MediaReceived, UserRef
from conversation.jobs import JobDeps
from conversation.settings import CoreSettings
from conversation.store.local_media import LocalMediaStore
from conversation.store.sqlite import SQLiteProjectStore
from tests.integration.workers.redis_server import RedisServer
from tests.unit.conversation.chatkit import Clock, RecordingOutbox, ann
from workers.events import EventConsumer
from workers.main import WorkerConfig, build_workers, stop_workers
from workers.queue import ArqJobQueue

pytestmark = pytest.mark.redis


@pytest.fixture(scope="session")
def redis_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture
async def redis_url(redis_session: RedisServer) -> str:
    client = Redis.from_url(redis_session.url)
    await client.flushall()
    await client.aclose()
    return redis_session.url


class Bot:
    """One bot process: the core, its queue and its event consumer, over a shared store/media root."""

    def __init__(self, root: Path, redis_url: str, pipeline: Any, *, lease_ms: int = 2000) -> None:
        self.root = root
        self.redis_url = redis_url
        self.pipeline = pipeline
        self.lease_ms = lease_ms
        self.store = SQLiteProjectStore(root / "core.sqlite3")
        self.media = LocalMediaStore(root / "media-store")
        self.outbox = RecordingOutbox()
        self._ids = 0
        self._consumer_task: asyncio.Task[None] | None = None

    async def open(self) -> Bot:
        self.pool = await create_pool(RedisSettings.from_dsn(self.redis_url))
        self.queue = ArqJobQueue(self.pool, self.store)
        self.core = ConversationCore(
            self.store,
            self.media,
            self.queue,
            self.outbox,
            self.pipeline,
            Clock(),
            CoreSettings(scratch_dir=self.root / "bot-scratch"),
        )
        self.events = Redis.from_url(self.redis_url)
        self.consumer = EventConsumer(
            self.events, self.store, self.core.on_job_update, lease_ms=self.lease_ms
        )
        return self

    def start_consumer(self) -> None:
        self._consumer_task = asyncio.create_task(self.consumer.run(block_ms=50))

    async def command(self, text: str, user: UserRef = ann) -> None:
        self._ids += 1
        name, _, args = text[1:].partition(" ")
        chat = self.chat
        await self.core.handle(
            CommandReceived(chat=chat, user=user, event_id=f"e{self._ids}-{id(self)}", name=name, args=args)
        )

    async def upload(self, *paths: Path, user: UserRef = ann) -> None:
        self._ids += 1
        files = tuple(IncomingFile(name=p.name, path=p, size_bytes=p.stat().st_size) for p in paths)
        await self.core.handle(
            MediaReceived(chat=self.chat, user=user, event_id=f"u{self._ids}-{id(self)}", files=files)
        )

    async def start_movie(self, tiny_media: Any, n: int = 3, title: str = "trip") -> str:
        """A new project of `n` tiny photos, /make sent; its id. (The stand-in planner gives 2 s a photo.)"""
        await self.command(f"/new {title}")
        await self.upload(*(tiny_media.photo(f"IMG_{i}.jpg", seed=i) for i in range(n)))
        await self.command("/make")
        project = await self.store.project_for_chat(self.chat.key)
        assert project is not None
        return project.id

    @property
    def chat(self):  # type: ignore[no-untyped-def]
        from conversation.events import ChatRef

        return ChatRef(platform="test", chat_id="c1")

    def movies(self) -> list[SendMovie]:
        return [a for a in self.outbox.sent if isinstance(a, SendMovie)]

    def sent(self, kind: type[Action]) -> list[Action]:
        return [a for a in self.outbox.sent if isinstance(a, kind)]

    async def wait_for(self, check: Callable[[], bool], timeout: float = 30.0) -> None:
        """Poll the event stream (when no consumer task runs) until `check()` holds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not check():
            if loop.time() > deadline:
                raise AssertionError(f"timed out; outbox: {[type(a).__name__ for a in self.outbox.sent]}")
            if self._consumer_task is None:
                await self.consumer.poll_once(block_ms=50)
            else:
                await asyncio.sleep(0.05)

    async def close(self) -> None:
        self.consumer.stop()
        if self._consumer_task is not None:
            self._consumer_task.cancel()
            await asyncio.gather(self._consumer_task, return_exceptions=True)
        await self.events.aclose()
        await self.pool.aclose()
        await self.store.close()


@pytest.fixture
async def make_bot(tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
    bots: list[Bot] = []

    async def make(redis_url: str, pipeline: Any, **kw: Any) -> Bot:
        bot = await Bot(tmp_path, redis_url, pipeline, **kw).open()
        bots.append(bot)
        return bot

    yield make
    for bot in bots:
        await bot.close()


async def run_burst_worker(root: Path, redis_url: str, pipeline: Any, *, chunk_renderer: Any = None,
                           **config: Any) -> None:  # fmt: skip
    """arq workers for both queues in this process, until the queues are empty."""
    store = SQLiteProjectStore(root / "core.sqlite3")

    async def open_deps() -> JobDeps:
        return JobDeps(
            store=store,
            media=LocalMediaStore(root / "media-store"),
            pipeline=pipeline,
            scratch_dir=root / "worker-scratch",
        )

    settings = WorkerConfig(redis_url=redis_url, burst=True, poll_delay=0, **config)
    workers = build_workers(settings, open_deps, chunk_renderer=chunk_renderer)
    try:
        await asyncio.gather(*(w.main() for w in workers))
    finally:
        await stop_workers(workers)
        await store.close()
