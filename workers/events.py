"""Job updates from workers back to the bot that owns the chat, over a Redis Stream.

Workers XADD each JobUpdate to the stream named in the job (default "mm:events"). The bot
process runs an `EventConsumer`: a consumer group reads the stream, hands each update to the
core's `on_job_update`, mirrors final outcomes into the store's jobs table, and only then acks.

Exactly-once from the user's point of view:
- a dedupe key per update: (job, run, seq) for progress; (project, version) for "storyboard" and
  "done" of a movie, so a retried job, a duplicate job or a re-run after a crash never posts the
  same movie twice; (job, run) for the other final updates;
- the key is claimed in Redis with a short lease before delivery and made permanent after it,
  so two bot processes never deliver the same update at once, and a bot killed mid-delivery
  leaves the entry un-acked and the lease expiring: another consumer reclaims it (XAUTOCLAIM)
  and delivers it — nothing is dropped;
- a final outcome is mirrored into the jobs table only after delivery, so after a Redis restart
  (which may lose the stream) the bot's start-up recovery re-runs every job not yet final there;
  a re-run of a finished version renders nothing and just reports "done" again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from conversation.clock import SystemClock
from conversation.models import JobStatus
from conversation.ports import Clock, JobSink, JobUpdate, ProjectStore
from workers.logcontext import job_context

log = logging.getLogger(__name__)

EVENTS_STREAM = "mm:events"
GROUP = "bots"
SEEN_PREFIX = "mm:seen:"
ALIVE_PREFIX = "mm:consumer-alive:"
ALIVE_TTL_MS = 60_000
STREAM_MAXLEN = 10_000
SEEN_TTL_S = 14 * 24 * 3600
FINAL: dict[str, JobStatus] = {"done": "completed", "failed": "failed", "cancelled": "cancelled"}


async def publish(redis: Redis, stream: str, update: JobUpdate, run: str) -> None:
    """Append one update; `run` names the enqueue it belongs to (same across arq retries)."""
    await redis.xadd(
        stream, {"update": update.model_dump_json(), "run": run}, maxlen=STREAM_MAXLEN, approximate=True
    )


def dedupe_key(update: JobUpdate, run: str) -> str:
    """What makes an update a duplicate. A version's movie (and storyboard) is shown once, however
    many jobs made it (a retry, a re-run after a crash, a duplicate); other jobs' outcomes (an
    analysis, a smaller copy for one chat) once per enqueue; progress once per (job, run, seq)."""
    own = update.version is not None and update.job_id in (
        f"{update.project_id}:v{update.version}:make",
        f"{update.project_id}:v{update.version}:refine",
    )
    if update.kind in ("done", "storyboard") and own:
        return f"{update.project_id}:v{update.version}:{update.kind}"
    if update.kind in FINAL:
        return f"{update.job_id}:{run}:final"
    return f"{update.job_id}:{run}:{update.seq}"


class EventConsumer:
    """`EventConsumer(redis, store, sink)`; `await consumer.run()` until cancelled (or `stop()`).

    `sink` is the core's `on_job_update`. One consumer per bot process; several processes may
    share a group (each update goes to one of them)."""

    def __init__(
        self,
        redis: Redis,
        store: ProjectStore,
        sink: JobSink,
        *,
        stream: str = EVENTS_STREAM,
        group: str = GROUP,
        consumer: str | None = None,
        lease_ms: int = 60_000,
        clock: Clock | None = None,
    ) -> None:
        self.redis = redis
        self.store = store
        self.sink = sink
        self.stream = stream
        self.group = group
        self.consumer = consumer or f"{socket.gethostname()}-{os.getpid()}"
        self.lease_ms = lease_ms
        self.clock = clock or SystemClock()
        self.delivered = 0
        self.skipped = 0
        self._stop = asyncio.Event()
        self._group_ready = False

    def stop(self) -> None:
        self._stop.set()

    async def run(self, block_ms: int = 2000) -> None:
        backoff = 0.5
        while not self._stop.is_set():
            try:
                await self.poll_once(block_ms=block_ms)
                backoff = 0.5
            except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
                # Redis restarting: keep trying; what was un-acked is still pending when it's back
                self._group_ready = False
                log.warning("event stream unavailable (%s); retrying in %.1fs", exc, backoff)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), backoff)
                backoff = min(backoff * 2, 10.0)

    async def _ensure_group(self) -> None:
        if self._group_ready:
            return
        try:
            await self.redis.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._group_ready = True

    async def poll_once(self, block_ms: int = 0) -> int:
        """Deliver what is waiting (stale pending entries first); returns how many were handled."""
        await self._ensure_group()
        # a heartbeat for the health check (Redis < 7.2 doesn't track idle readers itself)
        await self.redis.set(ALIVE_PREFIX + self.consumer, b"1", px=ALIVE_TTL_MS)
        handled = 0
        try:
            claimed = await self.redis.xautoclaim(
                self.stream, self.group, self.consumer, min_idle_time=self.lease_ms, start_id="0-0", count=50
            )
            for entry_id, fields in claimed[1]:
                if fields:  # entries trimmed from the stream come back empty
                    handled += await self._handle(entry_id, fields)
                else:
                    await self.redis.xack(self.stream, self.group, entry_id)
            reply = await self.redis.xreadgroup(
                self.group, self.consumer, {self.stream: ">"}, count=50, block=block_ms or None
            )
        except ResponseError as exc:
            if "NOGROUP" in str(exc):  # Redis restarted without persistence: make the group again
                self._group_ready = False
                return handled
            raise
        for _stream, entries in reply or []:
            for entry_id, fields in entries:
                handled += await self._handle(entry_id, fields)
        return handled

    async def _handle(self, entry_id: Any, fields: dict[Any, Any]) -> int:
        raw = {
            (k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
            for k, v in fields.items()
        }
        try:
            update = JobUpdate.model_validate_json(raw["update"])
        except Exception:
            log.warning("dropping malformed event %s", entry_id)
            await self.redis.xack(self.stream, self.group, entry_id)
            return 0
        run = raw.get("run", "")
        key = SEEN_PREFIX + dedupe_key(update, run)
        ids = {"job_id": update.job_id, "project_id": update.project_id}

        # progress after the job's outcome was shown would move a finished bar backwards
        if update.kind == "progress" and await self.redis.exists(
            SEEN_PREFIX + dedupe_key(update.model_copy(update={"kind": "done"}), run),
            SEEN_PREFIX + f"{update.job_id}:{run}:final",
        ):
            await self.redis.xack(self.stream, self.group, entry_id)
            self.skipped += 1
            return 0

        claimed = await self.redis.set(key, self.consumer, nx=True, px=self.lease_ms)
        if not claimed:
            holder = await self.redis.get(key)
            if holder == b"delivered":
                await self.redis.xack(self.stream, self.group, entry_id)
                self.skipped += 1
                log.info("duplicate %s for %s skipped", update.kind, update.job_id, extra=ids)
            # else another consumer is delivering it right now: leave it pending; if that
            # consumer dies, the lease lapses and XAUTOCLAIM brings the entry back here
            return 0
        keeper = asyncio.create_task(self._keep_lease(key, entry_id))
        try:
            with job_context(job_id=update.job_id, project_id=update.project_id):
                await self.sink(update)
        except asyncio.CancelledError:
            await asyncio.shield(self.redis.delete(key))  # not delivered: let it be retried
            raise
        except Exception:
            # the core's bug: retrying the same update would fail the same way
            log.exception("delivering %s of %s failed", update.kind, update.job_id, extra=ids)
        finally:
            keeper.cancel()
        if update.kind in FINAL:
            await self._mirror_final(update)
        await self.redis.set(key, b"delivered", ex=SEEN_TTL_S)
        await self.redis.xack(self.stream, self.group, entry_id)
        self.delivered += 1
        return 1

    async def _keep_lease(self, key: str, entry_id: Any) -> None:
        """While a slow delivery runs (a big upload), keep others from taking the entry over."""
        while True:
            await asyncio.sleep(self.lease_ms / 3000)
            with contextlib.suppress(RedisConnectionError, RedisTimeoutError):
                await self.redis.pexpire(key, self.lease_ms)
                await self.redis.xclaim(
                    self.stream,
                    self.group,
                    self.consumer,
                    min_idle_time=0,
                    message_ids=[entry_id],
                    justid=True,
                )

    async def _mirror_final(self, update: JobUpdate) -> None:
        job = await self.store.get_job(update.job_id)
        if job is None:
            return
        changes: dict[str, Any] = {
            "status": FINAL[update.kind],
            "stage": update.kind,
            "updated_at": self.clock.now(),
        }
        if update.kind == "done":
            changes["progress"] = 100
        if update.kind == "failed":
            changes["error"] = update.message
        await self.store.put_job(job.model_copy(update=changes))
