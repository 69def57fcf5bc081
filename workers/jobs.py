"""The arq job functions: ids in, updates out. Each one rebuilds the JobRequest and runs the
shared `conversation.jobs.run_job` with the deps `on_startup` put in ctx.

Around run_job this adds what only a distributed worker needs:
- a lease on arq's in-progress key (renewed every few seconds), so if this process is SIGKILLed
  another worker picks the job up within `lease_seconds` instead of after the whole timeout;
- our own timeout (reported to the chat as a failure, not silently dropped);
- Retry with exponential backoff for transient errors, then a user-facing failure;
- cancellation: an abort requested through ArqJobQueue.cancel is reported as "cancelled",
  while a worker shutdown (SIGTERM) leaves the job to be retried by another worker;
- updates numbered across tries and published to the bot's event stream; progress mirrored
  into the store's jobs table so /status works from any bot instance.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, Literal

from arq import Retry
from arq.constants import in_progress_key_prefix

from conversation.jobs import TRANSIENT_MESSAGE, JobDeps, Report, TransientJobError, error_ref, job_function
from conversation.models import Job
from conversation.ports import JobRequest, JobUpdate
from workers.events import EVENTS_STREAM, publish
from workers.fanout import fanout_render
from workers.lease import renew_lease
from workers.logcontext import job_context
from workers.queue import CANCEL_PREFIX

log = logging.getLogger(__name__)

JobFn = Callable[[JobRequest, Report], Awaitable[object]]
TRY_STRIDE = 1_000_000  # seq = try * stride + n: a retry's updates never collide with the last try's


def backoff_seconds(job_try: int, base: float = 5.0, cap: float = 300.0) -> float:
    return float(min(cap, base * 2 ** max(0, job_try - 1)))


async def analyse_media(ctx: dict[str, Any], project_id: str, version: int | None = None, **kw: Any) -> str:
    """Warm the analysis cache for a project's media (all of it; `media_ids` narrows nothing yet)."""
    kw.pop("media_ids", None)
    return await _execute(ctx, "analyse", project_id, version, **kw)


async def make_movie(ctx: dict[str, Any], project_id: str, version: int | None = None, **kw: Any) -> str:
    return await _execute(ctx, "make", project_id, version, **kw)


async def refine_movie(ctx: dict[str, Any], project_id: str, version: int | None = None, **kw: Any) -> str:
    """The new version (already created by the core with its parent and request) from its parent's plan."""
    return await _execute(ctx, "refine", project_id, version, **kw)


async def _execute(
    ctx: dict[str, Any],
    kind: Literal["analyse", "make", "refine"],
    project_id: str,
    version: int | None,
    *,
    job_id: str,
    parent_version: int | None = None,
    chat_key: str = "",
    draft: bool = False,
    target_size_bytes: int | None = None,
    events: str = EVENTS_STREAM,
) -> str:
    request = JobRequest(
        job_id=job_id,
        kind=kind,
        project_id=project_id,
        version=version,
        parent_version=parent_version,
        chat_key=chat_key,
        draft=draft,
        target_size_bytes=target_size_bytes,
    )
    redis = ctx["redis"]
    deps: JobDeps = ctx["deps"]
    job_try: int = ctx.get("job_try", 1)
    run = str(int(ctx["enqueue_time"].timestamp() * 1000)) if ctx.get("enqueue_time") else "0"

    async def send(update: JobUpdate) -> None:
        await publish(
            redis, events, update.model_copy(update={"seq": job_try * TRY_STRIDE + update.seq}), run
        )

    finished: list[str] = []

    async def report(update: JobUpdate) -> None:
        if finished:
            return  # one outcome per try
        if update.kind in ("progress", "storyboard"):
            await _mirror_progress(deps, job_id, update)
        else:
            finished.append(update.kind)
        await send(update)

    async def final(kind: Literal["done", "failed", "cancelled"], message: str = "") -> None:
        if finished:
            return
        finished.append(kind)
        await send(
            JobUpdate(
                job_id=job_id,
                project_id=project_id,
                version=version,
                kind=kind,
                stage=kind,
                message=message,
                seq=TRY_STRIDE - 1,
            )
        )

    with job_context(job_id=job_id, project_id=project_id, chat_key=chat_key):
        return await _supervise(ctx, request, send, report, final, finished, run, events)


async def _supervise(
    ctx: dict[str, Any],
    request: JobRequest,
    send: Callable[[JobUpdate], Awaitable[None]],
    report: Report,
    final: Callable[..., Awaitable[None]],
    finished: list[str],
    run: str,
    events: str,
) -> str:
    redis = ctx["redis"]
    deps: JobDeps = ctx["deps"]
    config = ctx["config"]
    job_fn: JobFn | None = ctx.get("job_fn")
    if job_fn is None:
        render = fanout_render(ctx, request, run, events) if request.kind != "analyse" else None
        job_fn = job_function(replace(deps, render=render) if render else deps)
    job_try: int = ctx.get("job_try", 1)
    job_id, kind = request.job_id, request.kind
    ids = {"job_id": job_id, "project_id": request.project_id, "chat_key": request.chat_key}
    if await redis.exists(CANCEL_PREFIX + job_id):
        await final("cancelled", "Cancelled.")
        return "cancelled"
    if job_try > config.max_tries:  # crashed or hit hiccups too often: say so instead of looping
        log.warning("job %s gave up after %d tries", job_id, job_try - 1, extra=ids)
        await _fail_version(deps, request, "too many tries")
        await final("failed", TRANSIENT_MESSAGE)
        return "failed"
    await _mirror_start(deps, request, job_try)
    lease = asyncio.create_task(renew_lease(redis, in_progress_key_prefix + job_id, config.lease_seconds))
    timeout = config.timeout_for(kind)
    try:
        async with asyncio.timeout(timeout):
            outcome = await job_fn(request, report)
        if outcome == "handed_off":
            return "fanned out"  # the chunk job that joins reports the outcome
        await final("done")
        return "ok"
    except TimeoutError:
        minutes = max(1, round(timeout / 60))
        log.warning("job %s timed out after %.0fs", job_id, timeout, extra=ids)
        await _fail_version(deps, request, f"took longer than {minutes} min")
        await final(
            "failed",
            f"This took longer than {minutes} minutes, so I stopped it. "
            "Try fewer or shorter clips, or a shorter movie.",
        )
        return "timeout"
    except asyncio.CancelledError:
        if await asyncio.shield(redis.exists(CANCEL_PREFIX + job_id)):
            await asyncio.shield(final("cancelled", "Cancelled."))
        # else: the worker is shutting down; arq puts the job back for another worker
        raise
    except TransientJobError as exc:
        if job_try < config.max_tries:
            delay = backoff_seconds(job_try, config.retry_base_seconds)
            log.warning(
                "job %s try %d hit a transient error (%s); retry in %.0fs",
                job_id,
                job_try,
                exc,
                delay,
                extra=ids,
            )
            raise Retry(defer=delay) from exc
        await _fail_version(deps, request, str(exc))
        await final("failed", TRANSIENT_MESSAGE)
        return "failed"
    except Exception:  # run_job reports its own failures; this is a bug around it
        ref = error_ref()
        log.exception("job %s crashed (ref %s)", job_id, ref, extra=ids)
        await _fail_version(deps, request, f"crashed (ref {ref})")
        await final("failed", f"Something went wrong (ref {ref}).")
        return "failed"
    finally:
        lease.cancel()


async def _mirror_start(deps: JobDeps, request: JobRequest, job_try: int) -> None:
    now = datetime.now(UTC)
    job = await deps.store.get_job(request.job_id)
    if job is None:
        job = Job(
            id=request.job_id,
            project_id=request.project_id,
            version=request.version,
            kind=request.kind,
            created_at=now,
            updated_at=now,
        )
    await deps.store.put_job(
        job.model_copy(update={"status": "processing", "attempts": job_try, "updated_at": now})
    )


async def _mirror_progress(deps: JobDeps, job_id: str, update: JobUpdate) -> None:
    job = await deps.store.get_job(job_id)
    if job is None:
        return
    stage = "storyboard" if update.kind == "storyboard" else update.stage
    await deps.store.put_job(
        job.model_copy(
            update={
                "status": "processing",
                "progress": max(job.progress, update.percent),
                "stage": stage,
                "updated_at": datetime.now(UTC),
            }
        )
    )


async def _fail_version(deps: JobDeps, request: JobRequest, reason: str) -> None:
    if request.version is None:
        return
    with contextlib.suppress(Exception):
        version = await deps.store.get_version(request.project_id, request.version)
        if version is not None and version.status != "ready":
            await deps.store.update_version(version.model_copy(update={"status": "failed", "error": reason}))
