"""Worker processes: configuration, the arq Workers per queue, the entry point and a health check.

The entry point (bots.cli `memory-movie worker`) builds a WorkerConfig and an async factory for
the job deps (store, media store, pipeline, scratch dir) from its settings, then calls
`run_worker(config, open_deps)`. One process serves both queues by default, each with its own
concurrency: renders one at a time (a render wants both cores of a small box), analyses two, so
a long render never starves a quick analysis.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from arq.connections import RedisSettings
from arq.typing import WorkerCoroutine
from arq.worker import Function, Worker, func
from pydantic import BaseModel, ConfigDict

from conversation.jobs import JobDeps
from workers import logcontext
from workers.fanout import ChunkRenderer, render_chunk
from workers.health import check_worker, health_key
from workers.health import queue_names as queue_names  # re-exported for the CLI
from workers.jobs import JobFn, analyse_media, make_movie, refine_movie
from workers.queue import ANALYSIS_QUEUE, RENDER_QUEUE

log = logging.getLogger(__name__)

DepsFactory = Callable[[], Awaitable[JobDeps]]


class WorkerConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    redis_url: str = "redis://127.0.0.1:6379/0"
    queues: tuple[str, ...] = (RENDER_QUEUE, ANALYSIS_QUEUE)
    render_concurrency: int = 1
    analysis_concurrency: int = 2
    render_timeout: float = 1800.0  # reported to the chat as a failure when exceeded
    analysis_timeout: float = 600.0
    lease_seconds: float = 30.0  # a SIGKILLed worker's job is picked up again within this
    max_tries: int = 5  # transient-error retries and crash re-runs together
    retry_base_seconds: float = 5.0  # backoff: base, 2x, 4x ... capped at 5 min
    poll_delay: float = 0.5
    burst: bool = False  # stop when the queues are empty (tests, one-off batch runs)
    health_check_interval: float = 15.0
    fanout_min_seconds: float = 90.0  # longer movies render as chunks spread over all workers

    def timeout_for(self, kind: str) -> float:
        return self.analysis_timeout if kind == "analyse" else self.render_timeout


def _functions(queue: str, config: WorkerConfig) -> list[Function]:
    # arq's own try limit is set out of the way: workers.jobs counts tries itself so that the
    # last one still reports a failure to the chat (arq would drop the job silently)
    def job(coroutine: WorkerCoroutine, timeout: float) -> Function:
        return func(coroutine, timeout=timeout + 60, keep_result=0, max_tries=1000)

    if queue == ANALYSIS_QUEUE:
        return [job(analyse_media, config.analysis_timeout)]
    return [
        job(make_movie, config.render_timeout),
        job(refine_movie, config.render_timeout),
        job(render_chunk, config.render_timeout),
    ]


class _SharedDeps:
    """Opens the deps once per process, however many queues it serves."""

    def __init__(self, open_deps: DepsFactory) -> None:
        self._open = open_deps
        self._deps: JobDeps | None = None
        self._lock = asyncio.Lock()

    async def get(self) -> JobDeps:
        async with self._lock:
            if self._deps is None:
                self._deps = await self._open()
            return self._deps


def build_workers(
    config: WorkerConfig,
    open_deps: DepsFactory | _SharedDeps,
    *,
    job_fn: JobFn | None = None,
    redis_pools: dict[str, Any] | None = None,
    chunk_renderer: ChunkRenderer | None = None,
) -> list[Worker]:
    """One arq Worker per queue. `job_fn` replaces run_job (tests); `redis_pools` reuses pools;
    `chunk_renderer` turns on scale-out rendering of long movies (workers.fanout)."""
    shared = open_deps if isinstance(open_deps, _SharedDeps) else _SharedDeps(open_deps)

    async def on_startup(ctx: dict[str, Any]) -> None:
        ctx["deps"] = await shared.get()

    workers = []
    for queue in config.queues:
        ctx: dict[str, Any] = {"config": config}
        if job_fn is not None:
            ctx["job_fn"] = job_fn
        if chunk_renderer is not None:
            ctx["chunk_renderer"] = chunk_renderer
        pool = (redis_pools or {}).get(queue)
        worker = Worker(
            _functions(queue, config),
            queue_name=queue,
            redis_settings=None if pool else RedisSettings.from_dsn(config.redis_url),
            redis_pool=pool,
            burst=config.burst,
            poll_delay=config.poll_delay,
            max_jobs=config.render_concurrency if queue == RENDER_QUEUE else config.analysis_concurrency,
            handle_signals=False,
            allow_abort_jobs=True,
            health_check_interval=config.health_check_interval,
            health_check_key=health_key(queue),
            on_startup=on_startup,
            ctx=ctx,
            log_results=False,
        )
        # arq marks a job it picks up as in progress for the whole timeout (+10 s), and the job
        # shortens that to its lease only once it runs: a worker killed in between held the job
        # for half an hour. Mark it with the lease from the start; the job renews it (lease.py).
        worker.in_progress_timeout_s = config.lease_seconds
        workers.append(worker)
    return workers


async def serve(
    config: WorkerConfig,
    open_deps: DepsFactory,
    *,
    job_fn: JobFn | None = None,
    chunk_renderer: ChunkRenderer | None = None,
) -> None:
    """Run the workers until SIGTERM/SIGINT (or, in burst mode, until the queues are empty).

    If Redis goes away (restart, failover) the workers are rebuilt with backoff instead of the
    process exiting: queued work is in Redis or, if Redis lost it, re-enqueued by the bots."""
    logcontext.install()
    shared = _SharedDeps(open_deps)
    current: list[Worker] = []
    stopping = False
    loop = asyncio.get_running_loop()

    def stop(sig: signal.Signals) -> None:
        nonlocal stopping
        stopping = True
        log.info("worker stopping on %s: running jobs go back to the queue", sig.name)
        for w in current:
            w.handle_sig(sig)

    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop, sig)
    log.info("worker serving %s", ", ".join(config.queues))
    backoff = 1.0
    while True:
        current[:] = build_workers(config, shared, job_fn=job_fn, chunk_renderer=chunk_renderer)
        tasks = [asyncio.create_task(w.async_run()) for w in current]
        try:
            finished, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        finally:
            await stop_workers(current)
            await asyncio.gather(*tasks, return_exceptions=True)
        errors = [t.exception() for t in finished if not t.cancelled() and t.exception() is not None]
        if stopping or not errors:
            return
        log.warning("worker lost Redis (%s); starting again in %.0fs", errors[0], backoff)
        await asyncio.sleep(backoff)
        backoff = min(backoff * 2, 30.0)


async def stop_workers(workers: Sequence[Worker]) -> None:
    """Stop picking jobs, cancel running ones (arq re-queues them for another worker), close pools."""
    for w in workers:
        w.handle_sig(signal.SIGTERM)
    for w in workers:
        await asyncio.gather(*w.tasks.values(), return_exceptions=True)
        if w._pool is not None:
            with contextlib.suppress(Exception):  # Redis may be the reason we are stopping
                await w.pool.delete(w.health_check_key)
            with contextlib.suppress(Exception):
                await w.pool.aclose()
            w._pool = None


def run_worker(
    config: WorkerConfig, open_deps: DepsFactory, chunk_renderer: ChunkRenderer | None = None
) -> int:
    """The blocking entry point for `memory-movie worker`; returns the exit code."""
    asyncio.run(serve(config, open_deps, chunk_renderer=chunk_renderer))
    return 0


def check_health(config: WorkerConfig) -> int:
    """`memory-movie worker --health`: 0 when every queue this host serves has a fresh heartbeat."""
    return check_worker(config.redis_url, config.queues)
