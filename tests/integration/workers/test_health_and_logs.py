"""Health checks compose uses, and job ids on log lines."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from pathlib import Path

import pytest
from redis.asyncio import Redis

from bots.logs import JsonFormatter
from conversation.jobs import JobDeps
from conversation.store.sqlite import SQLiteProjectStore
from workers import logcontext
from workers.events import EventConsumer
from workers.health import bot_health, check_worker, worker_health
from workers.main import WorkerConfig, build_workers, stop_workers
from workers.queue import ANALYSIS_QUEUE, RENDER_QUEUE

pytestmark = pytest.mark.redis


async def test_worker_health_follows_the_worker(tmp_path: Path, redis_url: str) -> None:
    store = SQLiteProjectStore(tmp_path / "db.sqlite3")

    async def open_deps() -> JobDeps:
        return JobDeps(store=store, media=None, pipeline=None, scratch_dir=tmp_path)  # type: ignore[arg-type]

    queues = (RENDER_QUEUE, ANALYSIS_QUEUE)
    assert await worker_health(redis_url, queues) == {RENDER_QUEUE: None, ANALYSIS_QUEUE: None}
    workers = build_workers(
        WorkerConfig(redis_url=redis_url, poll_delay=0.05, health_check_interval=1), open_deps
    )
    tasks = [asyncio.create_task(w.async_run()) for w in workers]
    try:
        for _ in range(100):
            beats = await worker_health(redis_url, queues)
            if all(beats.values()):
                break
            await asyncio.sleep(0.05)
        assert all(beats.values()) and "j_complete=0" in beats[RENDER_QUEUE]  # type: ignore[operator]
        assert await asyncio.to_thread(check_worker, redis_url, queues) == 0
    finally:
        await stop_workers(workers)
        await asyncio.gather(*tasks, return_exceptions=True)
    assert await asyncio.to_thread(check_worker, redis_url, queues) == 1  # stopped: its heartbeat is gone
    assert await asyncio.to_thread(check_worker, "redis://127.0.0.1:1/0", queues) == 1  # no Redis
    await store.close()


async def test_bot_health_sees_its_event_consumer(tmp_path: Path, redis_url: str) -> None:
    import os
    import socket

    store = SQLiteProjectStore(tmp_path / "db.sqlite3")
    redis = Redis.from_url(redis_url)
    assert await bot_health(redis_url) is False  # no consumer yet

    async def sink(update: object) -> None:
        return None

    consumer = EventConsumer(redis, store, sink)  # named "<hostname>-<pid>"
    assert consumer.consumer == f"{socket.gethostname()}-{os.getpid()}"
    await consumer.poll_once(block_ms=10)
    assert await bot_health(redis_url) is True
    assert await bot_health(redis_url, host="some-other-host") is False
    await redis.aclose()
    await store.close()


def test_job_ids_appear_on_json_log_lines_from_any_module() -> None:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        logcontext.install()
        with logcontext.job_context(job_id="p1:v2:make", project_id="p1", chat_key="tg:42"):
            logging.getLogger("pipeline.render").warning("ffmpeg is slow")
            logging.getLogger("workers.jobs").warning("explicit", extra={"job_id": "other"})
        logging.getLogger("pipeline.render").warning("outside any job")
    finally:
        root.removeHandler(handler)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert lines[0]["msg"] == "ffmpeg is slow"
    assert (lines[0]["job_id"], lines[0]["project_id"], lines[0]["chat_key"]) == ("p1:v2:make", "p1", "tg:42")
    assert lines[1]["job_id"] == "other"  # an explicit extra wins
    assert "job_id" not in lines[2]
