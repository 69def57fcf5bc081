"""The bot side of the workers, in one object: the JobQueue the core enqueues on and the
EventConsumer that brings the workers' updates back to the core.

Each front end gets its own event stream ("mm:events:telegram", "mm:events:discord"): the job
names the stream its updates go to, so a Discord movie never lands in the Telegram bot, and
several processes of the same bot share the stream's consumer group (each update goes to one).

    client = await WorkerClient.connect(settings.redis_url, store, name="telegram")
    core = ConversationCore(store, media, client.queue, outbox, pipeline, clock, core_settings)
    client.start(core.on_job_update)
    await core.recover(); await client.resume()
    ...
    await client.close()
"""

from __future__ import annotations

import asyncio
import contextlib

from redis.asyncio import Redis

from conversation.ports import JobSink, ProjectStore
from workers.events import EVENTS_STREAM, EventConsumer
from workers.queue import ArqJobQueue


class WorkerClient:
    def __init__(self, queue: ArqJobQueue, events: Redis, store: ProjectStore, *, name: str) -> None:
        self.queue = queue
        self.events = events
        self.store = store
        self.name = name
        self.chat_prefix = f"{name}:"  # ChatRef.key is "<platform>:<chat>:<thread>"
        self.consumer: EventConsumer | None = None
        self._task: asyncio.Task[None] | None = None

    @classmethod
    async def connect(cls, redis_url: str, store: ProjectStore, *, name: str) -> WorkerClient:
        stream = f"{EVENTS_STREAM}:{name}"
        queue = await ArqJobQueue.connect(redis_url, store, events_stream=stream)
        return cls(queue, Redis.from_url(redis_url), store, name=name)

    @property
    def stream(self) -> str:
        return self.queue.events_stream

    def start(self, sink: JobSink, *, lease_ms: int = 60_000) -> asyncio.Task[None]:
        """Deliver workers' updates to `sink` (the core's on_job_update) until `close()`."""
        self.consumer = EventConsumer(self.events, self.store, sink, stream=self.stream, lease_ms=lease_ms)
        self._task = asyncio.create_task(self.consumer.run(), name=f"events:{self.name}")
        return self._task

    async def resume(self) -> int:
        """After a restart: re-enqueue this bot's unfinished jobs from the store (never twice)."""
        return await self.queue.resume(self.chat_prefix)

    async def close(self) -> None:
        if self.consumer is not None:
            self.consumer.stop()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.events.aclose()
        await self.queue.close()
