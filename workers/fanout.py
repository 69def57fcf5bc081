"""Scale-out rendering: a long movie's chunks spread over every worker, joined by the last one.

The make/refine job plans as usual, then (for a movie of at least `fanout_min_seconds` that the
chunk renderer splits in two or more) enqueues one `render_chunk` job per chunk on the render
queue and returns, freeing its slot. Each chunk job renders its chunk (or finds it already in the
media store, so a re-run after a crash redoes nothing) and adds itself to the done-set; the job
that completes the set joins the chunks, stores the movie and reports "done" for the parent job.

The chunk renderer is a port: the renderer's chunk functions (pipeline/render) behind
`ChunkRenderer`, handed to `build_workers(chunk_renderer=...)` by the entry point.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Protocol

from arq import Retry

from conversation.jobs import (
    TRANSIENT_MESSAGE,
    JobDeps,
    RenderFn,
    Report,
    TransientJobError,
    error_ref,
    finish_render,
    materialise,
)
from conversation.ports import JobRequest, JobUpdate
from pipeline.errors import UserFacingError
from pipeline.models import EditPlan, Frozen, Library, ProgressFn, RenderResult, RenderSpec
from workers.events import EVENTS_STREAM, publish
from workers.lease import held_lease
from workers.logcontext import job_context
from workers.queue import CANCEL_PREFIX, RENDER_QUEUE
from workers.queue import FANOUT_PREFIX as STATE_PREFIX

log = logging.getLogger(__name__)

STATE_TTL_S = 2 * 24 * 3600
TRY_STRIDE = 1_000_000
CHUNK_SEQ_BASE = 500_000  # chunk progress sorts after the parent's own updates of the same try


class ChunkSpan(Frozen):
    index: int
    start: float  # seconds on the timeline
    duration: float
    key: str  # hash of the chunk's inputs: same key, same bytes


class ChunkRenderer(Protocol):
    def split(self, plan: EditPlan, spec: RenderSpec) -> list[ChunkSpan]: ...

    async def render_chunk(
        self, plan: EditPlan, library: Library, spec: RenderSpec, chunk: ChunkSpan, output: Path
    ) -> Path: ...

    async def join(
        self, plan: EditPlan, library: Library, spec: RenderSpec, chunks: list[Path]
    ) -> RenderResult: ...


def chunk_key(project_id: str, version: int, chunk: ChunkSpan) -> str:
    return f"{project_id}/chunks/v{version}/{chunk.index:04d}-{chunk.key}.mp4"


def fanout_render(ctx: dict[str, Any], request: JobRequest, run: str, events: str) -> RenderFn | None:
    """The render step for a make/refine job that may fan out (None: no chunk renderer here)."""
    renderer: ChunkRenderer | None = ctx.get("chunk_renderer")
    if renderer is None:
        return None
    deps: JobDeps = ctx["deps"]
    config = ctx["config"]
    redis = ctx["redis"]
    parent_try = int(ctx.get("job_try", 1))

    async def render(
        plan: EditPlan, library: Library, spec: RenderSpec, progress: ProgressFn
    ) -> RenderResult | None:
        chunks = renderer.split(plan, spec) if plan.duration >= config.fanout_min_seconds else []
        if len(chunks) < 2:
            return await deps.pipeline.render(plan, library, spec, progress)
        state = f"{STATE_PREFIX}{request.job_id}:{run}"
        async with redis.pipeline(transaction=True) as tr:
            tr.hset(state, mapping={"total": len(chunks)})
            tr.expire(state, STATE_TTL_S)
            await tr.execute()
        for chunk in chunks:
            await redis.enqueue_job(
                "render_chunk",
                request.project_id,
                request.version,
                chunk.index,
                _job_id=f"{request.job_id}:chunk{chunk.index}:{run}",
                _queue_name=RENDER_QUEUE,
                parent_job_id=request.job_id,
                run=run,
                parent_try=parent_try,
                chat_key=request.chat_key,
                draft=request.draft,
                events=events,
            )
        log.info("fanned %s out in %d chunks", request.job_id, len(chunks))
        return None

    return render


async def render_chunk(
    ctx: dict[str, Any],
    project_id: str,
    version: int,
    index: int,
    *,
    parent_job_id: str,
    run: str,
    parent_try: int = 1,
    chat_key: str = "",
    draft: bool = False,
    events: str = EVENTS_STREAM,
) -> str:
    """Render one chunk of a fanned-out movie; the job that completes the set joins them."""
    request = JobRequest(
        job_id=parent_job_id,
        kind="make",
        project_id=project_id,
        version=version,
        chat_key=chat_key,
        draft=draft,
    )
    redis = ctx["redis"]
    config = ctx["config"]
    job_try = int(ctx.get("job_try", 1))
    base = parent_try * TRY_STRIDE

    async def send(update: JobUpdate) -> None:
        await publish(redis, events, update, run)

    async def report(update: JobUpdate) -> None:
        # the joiner's "done"/"failed": the parent's final slot of the sequence
        await send(update.model_copy(update={"seq": base + TRY_STRIDE - 1}))

    lease = held_lease(redis, str(ctx.get("job_id", "")), config.lease_seconds)
    with job_context(job_id=parent_job_id, project_id=project_id, chat_key=chat_key):
        try:
            async with lease:
                return await _render_chunk(ctx, request, index, run, send, report, base)
        except (TransientJobError, ConnectionError) as exc:
            if job_try < config.max_tries:
                raise Retry(defer=min(300.0, config.retry_base_seconds * 2 ** (job_try - 1))) from exc
            await _fail(ctx, request, report, TRANSIENT_MESSAGE)
            return "failed"
        except UserFacingError as exc:
            await _fail(ctx, request, report, exc.message)
            return "failed"
        except Exception:
            ref = error_ref()
            log.exception("chunk %d of %s failed (ref %s)", index, parent_job_id, ref)
            await _fail(ctx, request, report, f"Something went wrong (ref {ref}).")
            return "failed"


async def _render_chunk(
    ctx: dict[str, Any],
    request: JobRequest,
    index: int,
    run: str,
    send: Report,
    report: Report,
    base: int,
) -> str:
    deps: JobDeps = ctx["deps"]
    renderer: ChunkRenderer = ctx["chunk_renderer"]
    redis = ctx["redis"]
    pid, number = request.project_id, request.version
    assert number is not None
    state = f"{STATE_PREFIX}{request.job_id}:{run}"
    version = await deps.store.get_version(pid, number)
    if version is None or version.plan is None or version.status in ("cancelled", "failed", "ready"):
        return "skipped"  # cancelled or failed meanwhile (another chunk reported it), or already joined
    if await redis.exists(CANCEL_PREFIX + request.job_id):
        return "cancelled"
    plan = version.plan
    library = await deps.pipeline.analyse(await materialise(deps, pid))  # cached by content hash
    work = deps.scratch_dir / pid / f"v{number}-chunks"
    work.mkdir(parents=True, exist_ok=True)
    spec = deps.pipeline.render_spec(plan, work / f"v{number}.mp4", draft=request.draft)
    chunks = renderer.split(plan, spec)
    chunk = chunks[index]
    key = chunk_key(pid, number, chunk)
    if not await deps.media.exists(key):
        path = await renderer.render_chunk(
            plan, library, spec, chunk, work / f"{chunk.index:04d}-{chunk.key}.mp4"
        )
        await deps.media.put(key, path, "video/mp4")

    async with redis.pipeline(transaction=True) as tr:
        tr.sadd(state + ":done", index)
        tr.scard(state + ":done")
        tr.expire(state + ":done", 2 * 24 * 3600)
        _added, finished, _ = await tr.execute()
    total = len(chunks)
    await send(
        JobUpdate(
            job_id=request.job_id,
            project_id=pid,
            version=number,
            kind="progress",
            stage="rendering",
            percent=32 + round(66 * finished / total),
            seq=base + CHUNK_SEQ_BASE + finished,
        )
    )
    if finished < total:
        return "chunk"
    me = str(ctx.get("job_id", index)).encode()
    # one joiner; if it dies, arq re-runs that same job, which finds its own name here and joins
    if (
        not await redis.set(state + ":joiner", me, nx=True, ex=2 * 24 * 3600)
        and await redis.get(state + ":joiner") != me
    ):
        return "chunk"
    current = await deps.store.get_version(pid, number)
    if current is None or current.status == "cancelled" or await redis.exists(CANCEL_PREFIX + request.job_id):
        return "cancelled"  # stopped while the chunks were out: nothing to join
    dest = work / "joined"
    dest.mkdir(parents=True, exist_ok=True)
    paths = [await deps.media.get(chunk_key(pid, number, c), dest) for c in chunks]
    result = await renderer.join(plan, library, spec, paths)
    outcome = await finish_render(deps, request, result, report)
    if outcome == "done":
        await deps.media.delete_prefix(f"{pid}/chunks/v{number}/")
    return f"joined:{outcome}"


async def _fail(ctx: dict[str, Any], request: JobRequest, report: Report, message: str) -> None:
    deps: JobDeps = ctx["deps"]
    assert request.version is not None
    version = await deps.store.get_version(request.project_id, request.version)
    if version is not None and version.status not in ("ready", "failed", "cancelled"):
        await deps.store.update_version(version.model_copy(update={"status": "failed", "error": message}))
    await report(
        JobUpdate(
            job_id=request.job_id,
            project_id=request.project_id,
            version=request.version,
            kind="failed",
            stage="failed",
            message=message,
        )
    )
