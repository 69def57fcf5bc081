"""Entry-point wiring: settings choose the ports (embedded defaults, or Supabase / arq when
configured) and the front ends get a core factory. The one place that knows every adapter."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bots.settings import AppSettings, ConfigError
from conversation.core import ConversationCore
from conversation.jobs import JobDeps, job_function
from conversation.ports import JobQueue, MediaStore, Outbox, ProjectStore
from conversation.settings import CoreSettings
from pipeline.api import Brain, Pipeline


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def make_brain(settings: AppSettings) -> Brain | None:
    """Gemini (through ADK) when a key is set and privacy mode is off; None = the offline brain."""
    if not settings.pipeline().use_ai:
        return None
    from pipeline.intelligence import gemini_brain

    return gemini_brain(settings.pipeline())


def make_pipeline(settings: AppSettings) -> Pipeline:
    return Pipeline(settings.pipeline(), brain=make_brain(settings))


def open_stores(settings: AppSettings) -> tuple[ProjectStore, MediaStore]:
    if settings.supabase_url:
        if settings.supabase_service_role_key is None:
            raise ConfigError("SUPABASE_URL is set but SUPABASE_SERVICE_ROLE_KEY is not.")
        from conversation.store.supabase_media import SupabaseMediaStore
        from conversation.store.supabase_store import SupabaseProjectStore

        key = settings.supabase_service_role_key.get_secret_value()
        return SupabaseProjectStore(settings.supabase_url, key), SupabaseMediaStore(settings.supabase_url, key)
    from conversation.store.local_media import LocalMediaStore
    from conversation.store.sqlite import SQLiteProjectStore

    home = settings.memory_movie_home
    home.mkdir(parents=True, exist_ok=True)
    return SQLiteProjectStore(home / "memory-movie.sqlite3"), LocalMediaStore(home / "store")


@dataclass
class Backend:
    """The ports one bot process uses, built once inside its event loop."""

    settings: AppSettings
    store: ProjectStore
    media: MediaStore
    pipeline: Pipeline
    queue: JobQueue
    _closers: list[Callable[[], Awaitable[object]]] = field(default_factory=list)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @classmethod
    async def open(cls, settings: AppSettings) -> Backend:
        store, media = open_stores(settings)
        pipeline = make_pipeline(settings)
        scratch = settings.memory_movie_home / "scratch"
        if settings.redis_url:
            from workers.queue import ArqJobQueue

            queue: JobQueue = await ArqJobQueue.connect(settings.redis_url, store)
        else:
            from conversation.runner import InProcessJobQueue

            queue = InProcessJobQueue(store, job_function(JobDeps(store, media, pipeline, scratch)))
        backend = cls(settings, store, media, pipeline, queue)
        for resource in (queue, store, media):
            close = getattr(resource, "close", None)
            if close is not None:
                backend._closers.append(close)
        return backend

    async def core(self, outbox: Outbox) -> ConversationCore:
        """The core factory the front ends call with their outbox."""
        core_settings = CoreSettings(scratch_dir=self.settings.memory_movie_home / "scratch" / "core")
        core = ConversationCore(self.store, self.media, self.queue, outbox, self.pipeline, SystemClock(), core_settings)
        set_sink = getattr(self.queue, "set_sink", None)
        if set_sink is not None:  # in-process: updates go straight to the core
            set_sink(core.on_job_update)
        else:  # arq: workers publish updates on a Redis stream this process consumes
            from workers.events import EventConsumer

            consumer = EventConsumer(self.queue.redis, self.store, core.on_job_update)  # type: ignore[attr-defined]
            self._tasks.append(asyncio.create_task(consumer.run()))
        return core

    async def wait_for_jobs(self) -> None:
        join = getattr(self.queue, "join", None)
        if join is not None:
            await join()

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for close in self._closers:
            with contextlib.suppress(Exception):
                await close()


def run_console_chat(settings: AppSettings, *, user: str, chat_id: str) -> int:
    from bots.console import run_chat

    async def main() -> int:
        backend = await Backend.open(settings)
        try:
            return await run_chat(
                backend.core,
                user=user,
                chat_id=chat_id,
                wait_for_jobs=backend.wait_for_jobs,
                movies_dir=Path.cwd(),
            )
        finally:
            await backend.close()

    return asyncio.run(main())


class _LazyBackend:
    """Front ends call the core factory inside their own event loop; open the backend there."""

    def __init__(self, settings: AppSettings) -> None:
        self.settings = settings
        self.backend: Backend | None = None

    async def core(self, outbox: Outbox) -> ConversationCore:
        self.backend = await Backend.open(self.settings)
        return await self.backend.core(outbox)

    async def close(self) -> None:
        if self.backend is not None:
            await self.backend.close()


def run_telegram(settings: AppSettings) -> int:
    from bots.telegram.app import main

    token = settings.telegram_bot_token.get_secret_value() if settings.telegram_bot_token else None
    lazy = _LazyBackend(settings)
    return main(token, lazy.core, api_url=settings.telegram_api_url, webhook_url=settings.telegram_webhook_url,
                on_stop=lazy.close)  # fmt: skip


def run_discord(settings: AppSettings) -> int:
    from bots.discord.app import main

    token = settings.discord_bot_token.get_secret_value() if settings.discord_bot_token else None
    lazy = _LazyBackend(settings)
    return main(token, lazy.core, download_dir=settings.memory_movie_home / "scratch" / "discord", on_stop=lazy.close)


def run_worker(settings: AppSettings, *, queue: str, health: bool) -> int:
    if not settings.redis_url:
        raise ConfigError("REDIS_URL is not set: workers take their jobs from Redis.")
    from workers.health import queue_names
    from workers.main import WorkerConfig, check_health
    from workers.main import run_worker as serve_worker

    config = WorkerConfig(redis_url=settings.redis_url, queues=queue_names(queue))
    if health:
        return check_health(config)

    async def open_deps() -> JobDeps:
        store, media = open_stores(settings)
        return JobDeps(store, media, make_pipeline(settings), settings.memory_movie_home / "scratch" / "worker")

    return serve_worker(config, open_deps)
