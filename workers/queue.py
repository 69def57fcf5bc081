"""The JobQueue port on arq: what the bot process uses to hand work to the workers.

Jobs carry ids, never blobs. The arq job id is the JobRequest's id ("<project>:v<n>:make"), so
a double click or a duplicate reply enqueues once. Analyses and renders go to separate queues so
a long render never starves a quick analysis. Results come back as events (workers.events).
"""

from __future__ import annotations

import logging

from arq.connections import ArqRedis, RedisSettings, create_pool
from arq.constants import abort_jobs_ss, in_progress_key_prefix, job_key_prefix
from arq.utils import timestamp_ms

from conversation.clock import SystemClock
from conversation.jobs import queued_job, requests_to_resume
from conversation.models import Job
from conversation.ports import Clock, JobRequest, JobUpdate, ProjectStore
from workers.events import EVENTS_STREAM, publish

log = logging.getLogger(__name__)

ANALYSIS_QUEUE = "mm:analysis"
RENDER_QUEUE = "mm:render"
CANCEL_PREFIX = "mm:cancel:"
FANOUT_PREFIX = "mm:fanout:"  # "<prefix><job_id>:<run>" while a movie's chunks are out
CANCEL_SEQ = 10**9  # after anything a job's tries numbered (try * 1e6 + n): consumers keep it

FUNCTIONS = {"analyse": "analyse_media", "make": "make_movie", "refine": "refine_movie"}


def queue_for(kind: str) -> str:
    return ANALYSIS_QUEUE if kind == "analyse" else RENDER_QUEUE


class ArqJobQueue:
    """`ArqJobQueue(redis, store, events_stream="mm:events")`, or `await ArqJobQueue.connect(url, store)`.

    `events_stream` is where workers publish this bot's updates (its EventConsumer reads it)."""

    def __init__(
        self,
        redis: ArqRedis,
        store: ProjectStore,
        *,
        events_stream: str = EVENTS_STREAM,
        clock: Clock | None = None,
    ) -> None:
        self.redis = redis
        self.store = store
        self.events_stream = events_stream
        self.clock = clock or SystemClock()

    @classmethod
    async def connect(
        cls, redis_url: str, store: ProjectStore, *, events_stream: str = EVENTS_STREAM
    ) -> ArqJobQueue:
        pool = await create_pool(RedisSettings.from_dsn(redis_url), default_queue_name=RENDER_QUEUE)
        return cls(pool, store, events_stream=events_stream)

    async def close(self) -> None:
        await self.redis.aclose()

    async def enqueue(self, request: JobRequest) -> bool:
        existing = await self.store.get_job(request.job_id)
        if existing is None or existing.status not in ("queued", "processing"):
            now = self.clock.now()
            await self.store.put_job(queued_job(request, existing, now))
        await self.redis.delete(CANCEL_PREFIX + request.job_id)
        job = await self.redis.enqueue_job(
            FUNCTIONS[request.kind],
            request.project_id,
            request.version,
            _job_id=request.job_id,
            _queue_name=queue_for(request.kind),
            job_id=request.job_id,
            parent_version=request.parent_version,
            chat_key=request.chat_key,
            draft=request.draft,
            target_size_bytes=request.target_size_bytes,
            events=self.events_stream,
        )
        if job is None:
            log.info("job %s is already queued or running", request.job_id, extra={"job_id": request.job_id})
            return False
        return True

    async def cancel(self, job_id: str) -> bool:
        job = await self.store.get_job(job_id)
        queue = queue_for(job.kind if job else "make")
        if not await self.redis.exists(job_key_prefix + job_id):
            if job is not None and job.status == "processing" and await self._fanned_out(job_id):
                # the job itself is over but its chunks are still out: they check the version
                # and the cancel mark before rendering and before joining
                await self.redis.set(CANCEL_PREFIX + job_id, b"1", ex=24 * 3600)
                await self._report_cancelled(job_id, job)
                return True
            return False  # finished, never queued, or already cancelled
        await self.redis.set(CANCEL_PREFIX + job_id, b"1", ex=24 * 3600)
        if await self.redis.zrem(queue, job_id) and not await self.redis.exists(
            in_progress_key_prefix + job_id
        ):
            # taken off the queue before any worker started it: nobody else will report it
            await self.redis.delete(job_key_prefix + job_id)
            await self._report_cancelled(job_id, job)
            return True
        # running (or just picked up): the worker cancels the task and reports "cancelled"
        await self.redis.zadd(abort_jobs_ss, {job_id: timestamp_ms()})
        return True

    async def _fanned_out(self, job_id: str) -> bool:
        async for _key in self.redis.scan_iter(match=f"{FANOUT_PREFIX}{job_id}:*", count=1000):
            return True
        return False

    async def _report_cancelled(self, job_id: str, job: Job | None) -> None:
        if job is None:
            return
        if job.version is not None:
            version = await self.store.get_version(job.project_id, job.version)
            if version is not None and version.status not in ("ready", "failed"):
                await self.store.update_version(version.model_copy(update={"status": "cancelled"}))
        update = JobUpdate(
            job_id=job_id,
            project_id=job.project_id,
            version=job.version,
            kind="cancelled",
            stage="cancelled",
            message="Cancelled.",
            seq=CANCEL_SEQ,
        )
        await publish(self.redis, self.events_stream, update, run=f"cancel-{timestamp_ms()}")

    async def resume(self, chat_prefix: str = "") -> int:
        """Re-enqueue what the store says is unfinished (after a Redis or bot restart), for the
        chats this bot serves (`chat_prefix`, e.g. "telegram:"): their events come back here.

        Jobs still in Redis are refused by their deterministic id, so this never duplicates."""
        count = 0
        for request in await requests_to_resume(self.store, chat_prefix):
            if await self.enqueue(request):
                count += 1
        if count:
            log.info("re-enqueued %d unfinished job(s) from the store", count)
        return count
