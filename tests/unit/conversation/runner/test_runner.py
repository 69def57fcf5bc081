"""InProcessJobQueue specifics beyond the port contract: concurrency bound, queued cancel,
crash recovery from the jobs table, a broken sink, a late sink."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from conversation.jobs import Report
from conversation.models import Job, Project, Version
from conversation.ports import JobRequest, JobUpdate
from conversation.runner import InProcessJobQueue
from conversation.store.sqlite import SQLiteProjectStore
from pipeline.models import PlanRequest

NOW = datetime(2026, 5, 1, tzinfo=UTC)


@pytest.fixture
async def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    s = SQLiteProjectStore(tmp_path / "db.sqlite3")
    await s.create_project(
        Project(id="p1", title="t", chat_key="tg:1", owner_key="tg:ann", created_at=NOW, updated_at=NOW)
    )
    yield s
    await s.close()


def req(n: int) -> JobRequest:
    return JobRequest(job_id=f"p1:v{n}:make", kind="make", project_id="p1", version=n, chat_key="tg:1")


class Tracker:
    def __init__(self) -> None:
        self.live = 0
        self.peak = 0
        self.order: list[str] = []
        self.release = asyncio.Event()

    async def __call__(self, request: JobRequest, report: Report) -> None:
        self.live += 1
        self.peak = max(self.peak, self.live)
        self.order.append(request.job_id)
        try:
            await self.release.wait()
        finally:
            self.live -= 1
        await report(
            JobUpdate(job_id=request.job_id, project_id="p1", version=request.version, kind="done", seq=1)
        )


async def test_one_render_at_a_time_by_default_in_order(store: SQLiteProjectStore) -> None:
    work = Tracker()
    queue = InProcessJobQueue(store, work)
    for n in (1, 2, 3):
        assert await queue.enqueue(req(n))
    await asyncio.sleep(0.05)
    assert work.live == 1
    assert [j.status for j in await store.list_jobs()] == ["processing", "queued", "queued"]
    work.release.set()
    await queue.join()
    assert work.peak == 1 and work.order == ["p1:v1:make", "p1:v2:make", "p1:v3:make"]
    assert {j.status for j in await store.list_jobs()} == {"completed"}


async def test_concurrency_bound_is_configurable(store: SQLiteProjectStore) -> None:
    work = Tracker()
    queue = InProcessJobQueue(store, work, max_concurrent=2)
    for n in (1, 2, 3):
        await queue.enqueue(req(n))
    await asyncio.sleep(0.05)
    assert work.live == 2
    work.release.set()
    await queue.join()
    assert work.peak == 2


async def test_cancel_a_job_still_waiting_for_a_slot(store: SQLiteProjectStore) -> None:
    work = Tracker()
    seen: list[JobUpdate] = []

    async def sink(u: JobUpdate) -> None:
        seen.append(u)

    queue = InProcessJobQueue(store, work, sink)
    await queue.enqueue(req(1))
    await queue.enqueue(req(2))
    await asyncio.sleep(0.02)
    assert await queue.cancel("p1:v2:make")
    work.release.set()
    await queue.join()
    assert work.order == ["p1:v1:make"]
    assert [(u.job_id, u.kind) for u in seen] == [("p1:v2:make", "cancelled"), ("p1:v1:make", "done")]
    assert (await store.get_job("p1:v2:make")).status == "cancelled"  # type: ignore[union-attr]


async def test_resume_after_a_crash_requeues_unfinished_work(store: SQLiteProjectStore) -> None:
    # what a killed process leaves behind: v1 mid-render, v2 queued, v3 done, v4 for a deleted version
    for n, status in ((1, "rendering"), (2, "queued"), (3, "ready")):
        await store.create_version(
            Version(
                project_id="p1",
                number=n,
                parent=n - 1 or None,
                request=PlanRequest(),
                status=status,
                created_by="tg:ann",
                created_at=NOW,
            )
        )  # type: ignore[arg-type]
    for n, status in ((1, "processing"), (2, "queued"), (3, "completed"), (4, "queued")):
        await store.put_job(
            Job(
                id=f"p1:v{n}:make",
                project_id="p1",
                version=n,
                kind="make",
                status=status,  # type: ignore[arg-type]
                progress=50 if n == 1 else 0,
                attempts=1 if n == 1 else 0,
                created_at=NOW,
                updated_at=NOW,
            )
        )
    work = Tracker()
    work.release.set()
    got: list[JobRequest] = []

    async def spy(request: JobRequest, report: Report) -> None:
        got.append(request)
        await work(request, report)

    queue = InProcessJobQueue(store, spy)
    assert await queue.resume() == 2
    await queue.join()
    assert [(r.job_id, r.parent_version, r.chat_key) for r in got] == [
        ("p1:v1:make", None, "tg:1"),
        ("p1:v2:make", 1, "tg:1"),
    ]
    j1 = await store.get_job("p1:v1:make")
    assert j1 is not None and j1.status == "completed" and j1.attempts == 2


async def test_close_cancels_in_flight_work_and_refuses_more(store: SQLiteProjectStore) -> None:
    work = Tracker()
    queue = InProcessJobQueue(store, work)
    await queue.enqueue(req(1))
    await asyncio.sleep(0.02)
    await queue.close()
    assert (await store.get_job("p1:v1:make")).status == "cancelled"  # type: ignore[union-attr]
    assert await queue.enqueue(req(2)) is False


async def test_a_broken_sink_does_not_stop_the_job(store: SQLiteProjectStore, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.errors_expected = True

    async def broken(u: JobUpdate) -> None:
        raise RuntimeError("adapter bug")

    work = Tracker()
    work.release.set()
    queue = InProcessJobQueue(store, work, broken)
    await queue.enqueue(req(1))
    await queue.join()
    assert (await store.get_job("p1:v1:make")).status == "completed"  # type: ignore[union-attr]
    assert "job sink failed" in caplog.text


async def test_sink_can_be_set_after_construction(store: SQLiteProjectStore) -> None:
    work = Tracker()
    work.release.set()
    queue = InProcessJobQueue(store, work)
    seen: list[str] = []

    async def sink(u: JobUpdate) -> None:
        seen.append(u.kind)

    queue.set_sink(sink)
    await queue.enqueue(req(1))
    await queue.join()
    assert seen == ["done"]


async def test_a_job_that_never_says_done_is_completed_once(store: SQLiteProjectStore) -> None:
    seen: list[str] = []

    async def sink(u: JobUpdate) -> None:
        seen.append(u.kind)

    async def quiet(request: JobRequest, report: Report) -> None:
        await report(JobUpdate(job_id=request.job_id, project_id="p1", kind="progress", percent=50, seq=1))

    queue = InProcessJobQueue(store, quiet, sink)
    await queue.enqueue(req(1))
    await queue.join()
    assert seen == ["progress", "done"]
    # and it may run again once finished (a new attempt, e.g. after a failure)
    assert await queue.enqueue(req(1)) is True
    await queue.join()
    assert (await store.get_job("p1:v1:make")).attempts == 2  # type: ignore[union-attr]
