"""The embedded JobQueue: asyncio tasks in the bot's own process.

Concurrency is bounded (default one job at a time: a render wants both cores of a small box),
a job id is refused while it is queued or running, `cancel` cancels the task (the pipeline kills
ffmpeg on CancelledError) and reports "cancelled". Every update goes to the sink (the core's
`on_job_update`) and is mirrored into the store's jobs table so `/status` and crash recovery
(`resume`) see it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from conversation.clock import SystemClock
from conversation.jobs import (
    TRANSIENT_MESSAGE,
    Report,
    TransientJobError,
    error_ref,
    queued_job,
    requests_to_resume,
)
from conversation.models import Job, JobStatus
from conversation.ports import Clock, JobRequest, JobSink, JobUpdate, ProjectStore

log = logging.getLogger(__name__)

JobFn = Callable[[JobRequest, Report], Awaitable[object]]

_FinalKind = Literal["done", "failed", "cancelled"]
_FINAL: dict[str, JobStatus] = {"done": "completed", "failed": "failed", "cancelled": "cancelled"}


@dataclass
class _RunState:
    """One run of a job: its record as last written, and whether its final word was said."""

    job: Job
    final: bool = False


async def mirror_update(store: ProjectStore, job: Job, update: JobUpdate, clock: Clock) -> Job:
    """The job record after `update`: status, progress, stage, error."""
    changes: dict[str, object] = {"updated_at": clock.now()}
    if update.kind == "progress":
        changes.update(status="processing", progress=max(job.progress, update.percent), stage=update.stage)
    elif update.kind == "storyboard":
        changes.update(status="processing", stage="storyboard", progress=max(job.progress, update.percent))
    else:
        changes.update(status=_FINAL[update.kind], stage=update.kind)
        if update.kind == "done":
            changes["progress"] = 100
        if update.kind == "failed":
            changes["error"] = update.message
    job = job.model_copy(update=changes)
    await store.put_job(job)
    return job


class InProcessJobQueue:
    """`InProcessJobQueue(store, job_fn, sink=None, max_concurrent=1)`.

    `job_fn(request, report)` runs one job: `conversation.jobs.job_function(deps)` in production,
    a fake in tests. The sink may be given later with `set_sink` (the core that consumes the
    updates is usually built after the queue it is given)."""

    def __init__(
        self,
        store: ProjectStore,
        job_fn: JobFn,
        sink: JobSink | None = None,
        *,
        max_concurrent: int = 1,
        clock: Clock | None = None,
        retry_delays: tuple[float, ...] = (2.0, 10.0, 30.0),
    ) -> None:
        self.store = store
        self.job_fn = job_fn
        self._sink = sink
        self.clock = clock or SystemClock()
        self._slots = asyncio.Semaphore(max_concurrent)
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._closed = False
        self.retry_delays = retry_delays  # waits before each retry of a TransientJobError

    def set_sink(self, sink: JobSink) -> None:
        self._sink = sink

    @property
    def active(self) -> list[str]:
        """Ids of jobs queued or running."""
        return list(self._tasks)

    async def enqueue(self, request: JobRequest) -> bool:
        if self._closed or request.job_id in self._tasks:
            return False
        now = self.clock.now()
        existing = await self.store.get_job(request.job_id)
        job = queued_job(request, existing, now)
        # a second enqueue racing the put_job above must still be refused
        if request.job_id in self._tasks:
            return False
        task = asyncio.get_running_loop().create_task(self._run(request, job), name=f"job:{request.job_id}")
        self._tasks[request.job_id] = task
        task.add_done_callback(self._forget(request.job_id))
        await self.store.put_job(job)
        return True

    def _forget(self, job_id: str) -> Callable[[asyncio.Task[None]], None]:
        def forget(_task: asyncio.Task[None]) -> None:
            self._tasks.pop(job_id, None)

        return forget

    async def cancel(self, job_id: str) -> bool:
        task = self._tasks.get(job_id)
        if task is None or task.done():
            return False
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait({task})
        return True

    async def join(self) -> None:
        """Wait until every queued and running job has finished."""
        while self._tasks:
            await asyncio.wait(set(self._tasks.values()))

    async def close(self) -> None:
        """Stop taking jobs and cancel the ones in flight (they stay resumable in the store)."""
        self._closed = True
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)

    async def resume(self, chat_prefix: str = "") -> int:
        """Re-enqueue what a crash left queued or running (for chats whose key starts with
        `chat_prefix`); returns how many were queued."""
        count = 0
        for request in await requests_to_resume(self.store, chat_prefix):
            count += await self.enqueue(request)
        return count

    # ------------------------------------------------------------------ one job

    async def _run(self, request: JobRequest, job: Job) -> None:
        state = _RunState(job)

        async def report(update: JobUpdate) -> None:
            if state.final:
                return  # one final word per run: a job fn that says "done" twice says it once
            if update.kind in _FINAL:
                state.final = True
            state.job = await mirror_update(self.store, state.job, update, self.clock)
            await self._deliver(update)

        seq = 0

        async def final(kind: _FinalKind, message: str = "") -> None:
            nonlocal seq
            await report(
                JobUpdate(
                    job_id=request.job_id,
                    project_id=request.project_id,
                    version=request.version,
                    kind=kind,
                    stage=kind,
                    percent=100 if kind == "done" else 0,
                    message=message,
                    seq=1_000_000 + seq,
                )
            )

        try:
            async with self._slots:
                current = state.job
                state.job = current.model_copy(
                    update={
                        "status": "processing",
                        "attempts": current.attempts + 1,
                        "updated_at": self.clock.now(),
                    }
                )
                await self.store.put_job(state.job)
                for delay in (*self.retry_delays, None):
                    try:
                        await self.job_fn(request, report)
                        break
                    except TransientJobError as exc:
                        if delay is None:
                            log.warning("job %s gave up after retries: %s", request.job_id, exc)
                            await final("failed", TRANSIENT_MESSAGE)
                            return
                        log.warning(
                            "job %s hit a transient error (%s); retrying in %.0fs", request.job_id, exc, delay
                        )
                        await asyncio.sleep(delay)
            if not state.final:
                await final("done")
        except asyncio.CancelledError:
            if not state.final:
                await asyncio.shield(final("cancelled", "Cancelled."))
            # the task ends here: cancellation is this job's normal outcome, not the loop's
        except Exception:
            ref = error_ref()
            log.exception("job %s crashed outside run_job (ref %s)", request.job_id, ref)
            if not state.final:
                await final("failed", f"Something went wrong (ref {ref}).")

    async def _deliver(self, update: JobUpdate) -> None:
        if self._sink is None:
            return
        try:
            await self._sink(update)
        except asyncio.CancelledError:
            raise
        except Exception:
            # the consumer's bug must not kill the job; it is logged and the job goes on
            log.exception("job sink failed on %s %s", update.job_id, update.kind)
