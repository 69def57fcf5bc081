"""WorkerClient: each bot gets its own event stream and resumes only its own chats' jobs."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from conversation.jobs import Report
from conversation.models import Job, Project, Version
from conversation.ports import JobRequest, JobUpdate
from conversation.store.sqlite import SQLiteProjectStore
from pipeline.models import PlanRequest
from workers.client import WorkerClient
from workers.main import WorkerConfig, build_workers, stop_workers

pytestmark = pytest.mark.redis
NOW = datetime(2026, 5, 1, tzinfo=UTC)


async def finish(request: JobRequest, report: Report) -> None:
    await report(JobUpdate(job_id=request.job_id, project_id=request.project_id, version=request.version,
                           kind="done", seq=1))  # fmt: skip


async def burst(redis_url: str, store: SQLiteProjectStore, tmp_path: Path) -> None:
    from conversation.jobs import JobDeps

    async def open_deps() -> JobDeps:
        return JobDeps(store=store, media=None, pipeline=None, scratch_dir=tmp_path)  # type: ignore[arg-type]

    workers = build_workers(
        WorkerConfig(redis_url=redis_url, burst=True, poll_delay=0), open_deps, job_fn=finish
    )
    try:
        await asyncio.gather(*(w.main() for w in workers))
    finally:
        await stop_workers(workers)


async def add_project(store: SQLiteProjectStore, pid: str, chat: str) -> None:
    await store.create_project(
        Project(id=pid, title=pid, chat_key=chat, owner_key="u", created_at=NOW, updated_at=NOW)
    )
    await store.create_version(
        Version(project_id=pid, number=1, request=PlanRequest(), created_by="u", created_at=NOW)
    )


async def test_each_bot_gets_only_its_own_updates(tmp_path: Path, redis_url: str) -> None:
    store = SQLiteProjectStore(tmp_path / "db.sqlite3")
    await add_project(store, "pt", "telegram:100:")
    await add_project(store, "pd", "discord:5:9")
    telegram = await WorkerClient.connect(redis_url, store, name="telegram")
    discord = await WorkerClient.connect(redis_url, store, name="discord")
    got: dict[str, list[str]] = {"telegram": [], "discord": []}

    async def to(name: str, update: JobUpdate) -> None:
        got[name].append(update.job_id)

    telegram.start(lambda u: to("telegram", u), lease_ms=1000)
    discord.start(lambda u: to("discord", u), lease_ms=1000)
    try:
        assert await telegram.queue.enqueue(
            JobRequest(job_id="pt:v1:make", kind="make", project_id="pt", version=1)
        )
        assert await discord.queue.enqueue(
            JobRequest(job_id="pd:v1:make", kind="make", project_id="pd", version=1)
        )
        await burst(redis_url, store, tmp_path)
        for _ in range(200):
            if got["telegram"] and got["discord"]:
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.2)
        assert got == {"telegram": ["pt:v1:make"], "discord": ["pd:v1:make"]}
    finally:
        await telegram.close()
        await discord.close()
        await store.close()


async def test_resume_takes_only_this_bots_chats(tmp_path: Path, redis_url: str) -> None:
    store = SQLiteProjectStore(tmp_path / "db.sqlite3")
    await add_project(store, "pt", "telegram:100:")
    await add_project(store, "pd", "discord:5:9")
    for pid in ("pt", "pd"):
        await store.put_job(Job(id=f"{pid}:v1:make", project_id=pid, version=1, kind="make", status="processing",
                                created_at=NOW, updated_at=NOW))  # fmt: skip
    telegram = await WorkerClient.connect(redis_url, store, name="telegram")
    try:
        assert await telegram.resume() == 1
        assert await telegram.resume() == 0  # already queued: never twice
        queued = await telegram.queue.redis.zrange("mm:render", 0, -1)
        assert queued == [b"pt:v1:make"]
    finally:
        await telegram.close()
        await store.close()
