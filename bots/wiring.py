"""Entry-point wiring: settings choose the ports (embedded defaults, or Supabase / arq when
configured) and the front ends get a core factory. The one place that knows every adapter."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from bots.settings import AppSettings, ConfigError
from conversation.clock import SystemClock
from conversation.core import ConversationCore
from conversation.jobs import JobDeps, job_function
from conversation.ports import JobQueue, MediaStore, Outbox, ProjectStore
from conversation.settings import CoreSettings
from pipeline.api import Brain, Pipeline

if TYPE_CHECKING:
    from workers.client import WorkerClient


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
        return SupabaseProjectStore(settings.supabase_url, key), SupabaseMediaStore(
            settings.supabase_url, key
        )
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
    client: WorkerClient | None = None
    _closers: list[Callable[[], Awaitable[object]]] = field(default_factory=list)

    @classmethod
    async def open(cls, settings: AppSettings, *, name: str = "console") -> Backend:
        """`name` is the front end ("telegram", "discord", "console"): with Redis, each gets its
        own event stream so workers' results come back to the process that owns the chat."""
        store, media = open_stores(settings)
        pipeline = make_pipeline(settings)
        scratch = settings.memory_movie_home / "scratch"
        if settings.redis_url:
            from workers.client import WorkerClient

            client = await WorkerClient.connect(settings.redis_url, store, name=name)
            backend = cls(settings, store, media, pipeline, client.queue, client=client)
        else:
            from conversation.runner import InProcessJobQueue

            queue = InProcessJobQueue(store, job_function(JobDeps(store, media, pipeline, scratch)))
            backend = cls(settings, store, media, pipeline, queue)
        for resource in (backend.client or backend.queue, store, media):
            close = getattr(resource, "close", None)
            if close is not None:
                backend._closers.append(close)
        return backend

    async def core(self, outbox: Outbox) -> ConversationCore:
        """The core factory the front ends call with their outbox."""
        core_settings = CoreSettings(scratch_dir=self.settings.memory_movie_home / "scratch" / "core")
        core = ConversationCore(
            self.store, self.media, self.queue, outbox, self.pipeline, SystemClock(), core_settings
        )
        if self.client is not None:  # arq: workers publish updates on a Redis stream we consume
            self.client.start(core.on_job_update)
            await self.client.resume()  # work queued before a Redis restart (ids dedupe repeats)
        else:  # in-process: updates go straight to the core
            self.queue.set_sink(core.on_job_update)  # type: ignore[attr-defined]
        return core

    async def wait_for_jobs(self) -> None:
        """Before a console session ends: let the movies being made reach it."""
        join = getattr(self.queue, "join", None)
        if join is not None:
            await join()
            return
        # workers run elsewhere: wait for the store's job rows to settle, then give the event
        # consumer a moment to hand over the last results (the console is the only caller)
        while any(j.status in ("queued", "processing") for j in await self.store.list_jobs()):
            await asyncio.sleep(0.5)
        await asyncio.sleep(2.0)

    async def close(self) -> None:
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

    def __init__(self, settings: AppSettings, name: str) -> None:
        self.settings = settings
        self.name = name
        self.backend: Backend | None = None

    async def core(self, outbox: Outbox) -> ConversationCore:
        self.backend = await Backend.open(self.settings, name=self.name)
        return await self.backend.core(outbox)

    async def close(self) -> None:
        if self.backend is not None:
            await self.backend.close()


def run_telegram(settings: AppSettings) -> int:
    from bots.telegram.app import main

    token = settings.telegram_bot_token.get_secret_value() if settings.telegram_bot_token else None
    lazy = _LazyBackend(settings, "telegram")
    return main(token, lazy.core, api_url=settings.telegram_api_url, webhook_url=settings.telegram_webhook_url,
                on_stop=lazy.close)  # fmt: skip


def run_discord(settings: AppSettings) -> int:
    from bots.discord.app import main

    token = settings.discord_bot_token.get_secret_value() if settings.discord_bot_token else None
    lazy = _LazyBackend(settings, "discord")
    return main(
        token, lazy.core, download_dir=settings.memory_movie_home / "scratch" / "discord", on_stop=lazy.close
    )


def run_worker(settings: AppSettings, *, queue: str, health: bool) -> int:
    if not settings.redis_url:
        raise ConfigError("REDIS_URL is not set: workers take their jobs from Redis.")
    from workers.chunk_renderer import PipelineChunkRenderer
    from workers.main import WorkerConfig, check_health, queue_names
    from workers.main import run_worker as serve_worker

    config = WorkerConfig(redis_url=settings.redis_url, queues=queue_names(queue))
    if health:
        return check_health(config)

    async def open_deps() -> JobDeps:
        store, media = open_stores(settings)
        return JobDeps(
            store, media, make_pipeline(settings), settings.memory_movie_home / "scratch" / "worker"
        )

    # long movies fan their chunks out over every worker
    return serve_worker(config, open_deps, chunk_renderer=PipelineChunkRenderer(settings.pipeline()))
