"""JobQueue contract: run once per id, report progress and an outcome, cancel, mirror status.

The job function is a scripted fake (the real one, conversation.jobs.run_job, has its own tests):
it reports progress, may wait on a gate, then finishes, fails or crashes as told.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from conversation.jobs import Report
from conversation.models import Project
from conversation.ports import JobRequest, JobUpdate, ProjectStore
from tests.contract.conftest import QueueFactory


class ScriptedJobs:
    """A job function whose behaviour per job id is set by the test."""

    def __init__(self) -> None:
        self.started: Counter[str] = Counter()
        self.cancelled: list[str] = []
        self.gates: dict[str, asyncio.Event] = {}
        self.running: dict[str, asyncio.Event] = {}
        self.fail: dict[str, str] = {}
        self.crash: set[str] = set()

    def gate(self, job_id: str) -> asyncio.Event:
        self.running.setdefault(job_id, asyncio.Event())
        return self.gates.setdefault(job_id, asyncio.Event())

    async def __call__(self, request: JobRequest, report: Report) -> None:
        jid = request.job_id
        self.started[jid] += 1
        self.running.setdefault(jid, asyncio.Event()).set()

        def update(kind: str, seq: int, **kw: object) -> JobUpdate:
            return JobUpdate(
                job_id=jid, project_id=request.project_id, version=request.version, kind=kind, seq=seq, **kw
            )  # type: ignore[arg-type]

        try:
            await report(update("progress", 1, stage="rendering", percent=40))
            if jid in self.gates:
                await self.gates[jid].wait()
        except asyncio.CancelledError:
            self.cancelled.append(jid)
            raise
        if jid in self.crash:
            raise RuntimeError("boom")
        if jid in self.fail:
            await report(update("failed", 2, message=self.fail[jid]))
            return
        await report(update("done", 2, stage="done", percent=100))


def req(jid: str, version: int = 1) -> JobRequest:
    return JobRequest(job_id=jid, kind="make", project_id="p1", version=version, chat_key="tg:100")


async def with_project(store: ProjectStore) -> None:
    now = datetime.now(UTC)
    await store.create_project(
        Project(id="p1", title="t", chat_key="tg:100", owner_key="tg:ann", created_at=now, updated_at=now)
    )


def kinds(updates: list[JobUpdate], jid: str) -> list[str]:
    return [u.kind for u in updates if u.job_id == jid]


async def test_job_runs_reports_and_is_mirrored(
    job_queue_factory: QueueFactory, project_store: ProjectStore, tmp_path: Path
) -> None:
    await with_project(project_store)
    jobs = ScriptedJobs()
    async with job_queue_factory(tmp_path, project_store, jobs) as h:
        assert await h.queue.enqueue(req("p1:v1:make")) is True
        await h.drain()
        assert jobs.started["p1:v1:make"] == 1
        assert kinds(h.updates, "p1:v1:make") == ["progress", "done"]
        assert h.updates[0].percent == 40 and h.updates[0].stage == "rendering"
        record = await project_store.get_job("p1:v1:make")
        assert record is not None
        assert (record.status, record.progress, record.version, record.kind) == ("completed", 100, 1, "make")
        assert record.attempts >= 1


async def test_status_is_visible_while_running(
    job_queue_factory: QueueFactory, project_store: ProjectStore, tmp_path: Path
) -> None:
    await with_project(project_store)
    jobs = ScriptedJobs()
    gate = jobs.gate("p1:v1:make")
    async with job_queue_factory(tmp_path, project_store, jobs) as h:
        await h.queue.enqueue(req("p1:v1:make"))
        drained = asyncio.create_task(h.drain())
        await asyncio.wait_for(jobs.running["p1:v1:make"].wait(), 30)
        for _ in range(100):  # the mirror is written just after the update is reported
            record = await project_store.get_job("p1:v1:make")
            if record and record.progress == 40:
                break
            await asyncio.sleep(0.02)
        assert record is not None and (record.status, record.progress, record.stage) == (
            "processing",
            40,
            "rendering",
        )
        gate.set()
        await asyncio.wait_for(drained, 30)
        assert (await project_store.get_job("p1:v1:make")).status == "completed"  # type: ignore[union-attr]


async def test_duplicate_enqueue_runs_once(
    job_queue_factory: QueueFactory, project_store: ProjectStore, tmp_path: Path
) -> None:
    await with_project(project_store)
    jobs = ScriptedJobs()
    gate = jobs.gate("p1:v1:make")
    async with job_queue_factory(tmp_path, project_store, jobs) as h:
        results = await asyncio.gather(*(h.queue.enqueue(req("p1:v1:make")) for _ in range(3)))
        assert results.count(True) == 1
        assert await h.queue.enqueue(req("p1:v2:make", version=2)) is True  # another id is another job
        drained = asyncio.create_task(h.drain())
        await asyncio.wait_for(jobs.running["p1:v1:make"].wait(), 30)
        assert await h.queue.enqueue(req("p1:v1:make")) is False  # still refused while running
        gate.set()
        await asyncio.wait_for(drained, 30)
        assert jobs.started == Counter({"p1:v1:make": 1, "p1:v2:make": 1})
        assert kinds(h.updates, "p1:v1:make").count("done") == 1


async def test_cancel_a_running_job(
    job_queue_factory: QueueFactory, project_store: ProjectStore, tmp_path: Path
) -> None:
    await with_project(project_store)
    jobs = ScriptedJobs()
    jobs.gate("p1:v1:make")  # never opened: only cancel ends it
    async with job_queue_factory(tmp_path, project_store, jobs) as h:
        await h.queue.enqueue(req("p1:v1:make"))
        drained = asyncio.create_task(h.drain())
        await asyncio.wait_for(jobs.running["p1:v1:make"].wait(), 30)
        assert await h.queue.cancel("p1:v1:make") is True
        await asyncio.wait_for(drained, 30)
        assert jobs.cancelled == ["p1:v1:make"]
        assert kinds(h.updates, "p1:v1:make")[-1] == "cancelled"
        assert "done" not in kinds(h.updates, "p1:v1:make")
        assert (await project_store.get_job("p1:v1:make")).status == "cancelled"  # type: ignore[union-attr]
        assert await h.queue.cancel("p1:v1:make") is False
        assert await h.queue.cancel("no-such-job") is False


async def test_failure_reason_reaches_the_sink_and_the_store(
    job_queue_factory: QueueFactory, project_store: ProjectStore, tmp_path: Path
) -> None:
    await with_project(project_store)
    jobs = ScriptedJobs()
    jobs.fail["p1:v1:make"] = "Send at least two photos."
    async with job_queue_factory(tmp_path, project_store, jobs) as h:
        await h.queue.enqueue(req("p1:v1:make"))
        await h.drain()
        failed = [u for u in h.updates if u.kind == "failed"]
        assert [u.message for u in failed] == ["Send at least two photos."]
        record = await project_store.get_job("p1:v1:make")
        assert (
            record is not None and record.status == "failed" and record.error == "Send at least two photos."
        )


async def test_a_crashing_job_is_reported_with_a_ref_not_a_traceback(
    job_queue_factory: QueueFactory, project_store: ProjectStore, tmp_path: Path, caplog
) -> None:  # type: ignore[no-untyped-def]
    caplog.errors_expected = True
    await with_project(project_store)
    jobs = ScriptedJobs()
    jobs.crash.add("p1:v1:make")
    async with job_queue_factory(tmp_path, project_store, jobs) as h:
        await h.queue.enqueue(req("p1:v1:make"))
        await h.queue.enqueue(req("p1:v2:make", version=2))
        await h.drain()
        failed = [u for u in h.updates if u.kind == "failed" and u.job_id == "p1:v1:make"]
        assert len(failed) == 1
        assert "Something went wrong (ref " in failed[0].message and "boom" not in failed[0].message
        assert (await project_store.get_job("p1:v1:make")).status == "failed"  # type: ignore[union-attr]
        # the next job still runs
        assert kinds(h.updates, "p1:v2:make")[-1] == "done"
