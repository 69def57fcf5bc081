"""run_job with a scripted pipeline: what lands in the store, the media store and the reports.

The real pipeline's end-to-end run is in test_jobs_real_pipeline.py; here the pipeline is a
stand-in so each outcome (done, user-facing failure, bug, cancel, lost media) is exact and fast.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from conversation.jobs import JobDeps, run_job
from conversation.models import MediaRecord, Project, Version
from conversation.ports import JobRequest, JobUpdate
from conversation.store.local_media import LocalMediaStore
from conversation.store.sqlite import SQLiteProjectStore
from pipeline.api import PlanOutcome
from pipeline.errors import NotEnoughMedia
from pipeline.models import (
    EditPlan,
    Library,
    MediaItem,
    MediaKind,
    PlanRequest,
    ProgressFn,
    RenderResult,
    RenderSpec,
    Segment,
    no_progress,
)

NOW = datetime(2026, 5, 1, tzinfo=UTC)


class ScriptedPipeline:
    def __init__(self) -> None:
        self.analysed: list[list[MediaItem]] = []
        self.planned: list[tuple[PlanRequest, EditPlan | None]] = []
        self.rendered: list[RenderSpec] = []
        self.fail_plan: Exception | None = None
        self.fail_storyboard = False
        self.render_gate: asyncio.Event | None = None
        self.render_started = asyncio.Event()
        self.render_cancelled = False

    async def analyse(self, items, progress: ProgressFn = no_progress) -> Library:  # type: ignore[no-untyped-def]
        items = list(items)
        self.analysed.append(items)
        for item in items:
            assert item.path.is_file(), "the pipeline must get local files"
        await progress("analysis", 1.0)
        return Library(items={i.id: i for i in items})

    async def plan(self, request, library, parent=None, progress: ProgressFn = no_progress) -> PlanOutcome:  # type: ignore[no-untyped-def]
        self.planned.append((request, parent))
        if self.fail_plan:
            raise self.fail_plan
        segs = tuple(
            Segment(index=i, media_id=mid, kind=MediaKind.PHOTO, timeline_start=2.0 * i, duration=2.0)
            for i, mid in enumerate(library.items)
        )
        plan = EditPlan(duration=2.0 * len(segs), aspect=request.aspect, segments=segs, request=request)
        return PlanOutcome(plan=plan, notes=("planned offline",))

    async def storyboard(self, plan, library, output: Path) -> Path:  # type: ignore[no-untyped-def]
        if self.fail_storyboard:
            raise RuntimeError("no font")
        output.write_bytes(b"\x89PNG storyboard")
        return output

    def render_spec(self, plan, output: Path, *, draft: bool = False, target_size_bytes=None) -> RenderSpec:  # type: ignore[no-untyped-def]
        return RenderSpec(
            output=output, width=640 if draft else 1920, height=360 if draft else 1080, draft=draft
        )

    async def render(
        self, plan, library, spec: RenderSpec, progress: ProgressFn = no_progress
    ) -> RenderResult:  # type: ignore[no-untyped-def]
        self.rendered.append(spec)
        self.render_started.set()
        try:
            for k in range(101):
                await progress("rendering", k / 100)
            if self.render_gate:
                await self.render_gate.wait()
        except asyncio.CancelledError:
            self.render_cancelled = True
            raise
        spec.output.write_bytes(b"\x00\x00\x00\x18ftypmp42 movie")
        poster = spec.output.with_suffix(".jpg")
        poster.write_bytes(b"\xff\xd8poster")
        return RenderResult(
            path=spec.output,
            duration=plan.duration,
            width=spec.width,
            height=spec.height,
            size_bytes=spec.output.stat().st_size,
            poster=poster,
        )


@pytest.fixture
async def env(tmp_path: Path):  # type: ignore[no-untyped-def]
    store = SQLiteProjectStore(tmp_path / "db.sqlite3")
    media = LocalMediaStore(tmp_path / "media")
    pipeline = ScriptedPipeline()
    deps = JobDeps(store=store, media=media, pipeline=pipeline, scratch_dir=tmp_path / "scratch")  # type: ignore[arg-type]
    await store.create_project(
        Project(id="p1", title="t", chat_key="tg:1", owner_key="tg:ann", created_at=NOW, updated_at=NOW)
    )
    for i in range(3):
        src = tmp_path / f"src{i}.jpg"
        src.write_bytes(b"\xff\xd8" + bytes([i]) * 100)
        key = await media.put(f"p1/m{i}.jpg", src, "image/jpeg")
        item = MediaItem(
            id=f"m{i}",
            sha256="0" * 64,
            kind=MediaKind.PHOTO,
            path=Path(f"/elsewhere/m{i}.jpg"),
            original_name=f"IMG_{i}.jpg",
            mime="image/jpeg",
            size_bytes=102,
        )
        await store.add_media(
            MediaRecord(
                project_id="p1",
                media_id=f"m{i}",
                item=item,
                storage_key=key,
                contributor_key="tg:ann",
                added_at=NOW,
            )
        )
    await store.create_version(
        Version(
            project_id="p1",
            number=1,
            request=PlanRequest(prompt="upbeat"),
            created_by="tg:ann",
            created_at=NOW,
        )
    )
    yield deps
    await store.close()


class Collect:
    def __init__(self) -> None:
        self.updates: list[JobUpdate] = []

    async def __call__(self, update: JobUpdate) -> None:
        self.updates.append(update)

    @property
    def kinds(self) -> list[str]:
        return [u.kind for u in self.updates]


def make(version: int = 1, **kw: object) -> JobRequest:
    return JobRequest(job_id=f"p1:v{version}:make", kind="make", project_id="p1", version=version, **kw)  # type: ignore[arg-type]


async def test_make_stores_the_movie_and_reports_storyboard_then_done(env: JobDeps) -> None:
    out = Collect()
    await run_job(make(), env, out)
    v = await env.store.get_version("p1", 1)
    assert v is not None and v.status == "ready"
    assert (v.render_key, v.poster_key, v.storyboard_key) == (
        "p1/v1.mp4",
        "p1/v1-poster.jpg",
        "p1/v1-storyboard.png",
    )
    assert (v.width, v.height, v.duration) == (1920, 1080, 6.0)
    assert v.plan is not None and [s.media_id for s in v.plan.segments] == ["m0", "m1", "m2"]
    assert (
        (await env.media.get("p1/v1.mp4", env.scratch_dir)).read_bytes().startswith(b"\x00\x00\x00\x18ftyp")
    )
    assert v.size_bytes == (await env.media.get("p1/v1.mp4", env.scratch_dir)).stat().st_size
    assert await env.media.exists("p1/v1-storyboard.png")

    assert out.kinds[-1] == "done" and out.kinds.count("done") == 1
    assert out.kinds.index("storyboard") < out.kinds.index("done")
    assert out.updates[-1].message == "planned offline"
    seqs = [u.seq for u in out.updates]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    percents = [u.percent for u in out.updates if u.kind == "progress"]
    assert percents == sorted(percents), "the bar never goes backwards"
    # 101 render callbacks arrive in a burst: throttled to steps of >= 5 %
    render_steps = [u.percent for u in out.updates if u.kind == "progress" and u.stage == "rendering"]
    assert 2 <= len(render_steps) <= 16
    assert all(u.job_id == "p1:v1:make" and u.version == 1 for u in out.updates)


async def test_refinement_plans_from_the_parent_plan_with_draft_render(env: JobDeps) -> None:
    await run_job(make(), env, Collect())
    parent_plan = (await env.store.get_version("p1", 1)).plan  # type: ignore[union-attr]
    await env.store.create_version(
        Version(
            project_id="p1",
            number=2,
            parent=1,
            request=PlanRequest(aspect="9:16"),
            created_by="tg:bob",
            created_at=NOW,
        )
    )
    out = Collect()
    await run_job(
        JobRequest(
            job_id="p1:v2:refine", kind="refine", project_id="p1", version=2, parent_version=1, draft=True
        ),
        env,
        out,
    )
    pipeline: ScriptedPipeline = env.pipeline  # type: ignore[assignment]
    assert pipeline.planned[-1] == (PlanRequest(aspect="9:16"), parent_plan)
    assert pipeline.rendered[-1].draft is True
    v2 = await env.store.get_version("p1", 2)
    assert (
        v2 is not None and v2.status == "ready" and v2.render_key == "p1/v2.mp4" and v2.plan.aspect == "9:16"
    )  # type: ignore[union-attr]


async def test_removed_media_is_left_out_and_missing_files_do_not_sink_the_movie(
    env: JobDeps, caplog
) -> None:  # type: ignore[no-untyped-def]
    await env.store.set_media_removed("p1", ["m0"], True)
    await env.media.delete(["p1/m1.jpg"])
    await run_job(make(), env, Collect())
    pipeline: ScriptedPipeline = env.pipeline  # type: ignore[assignment]
    assert [i.id for i in pipeline.analysed[-1]] == ["m2"]
    assert "p1/m1.jpg" in caplog.text
    assert (await env.store.get_version("p1", 1)).status == "ready"  # type: ignore[union-attr]


async def test_user_facing_error_fails_the_version_with_its_message(env: JobDeps) -> None:
    env.pipeline.fail_plan = NotEnoughMedia("Send at least 2 photos or clips.")  # type: ignore[attr-defined]
    out = Collect()
    await run_job(make(), env, out)
    assert out.kinds[-1] == "failed" and out.updates[-1].message == "Send at least 2 photos or clips."
    v = await env.store.get_version("p1", 1)
    assert v is not None and v.status == "failed" and v.error == "Send at least 2 photos or clips."
    assert not await env.media.exists("p1/v1.mp4")


async def test_a_bug_is_logged_with_a_ref_and_the_chat_gets_only_the_ref(env: JobDeps, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.errors_expected = True
    env.pipeline.fail_plan = KeyError("segments[7]")  # type: ignore[attr-defined]
    out = Collect()
    await run_job(make(), env, out)
    message = out.updates[-1].message
    assert out.kinds[-1] == "failed" and message.startswith("Something went wrong (ref ")
    assert "segments" not in message
    ref = message.split("ref ")[1].rstrip(").")
    assert any(ref in r.getMessage() and r.exc_info for r in caplog.records), (
        "the log carries the ref and traceback"
    )
    assert (await env.store.get_version("p1", 1)).status == "failed"  # type: ignore[union-attr]


async def test_storyboard_trouble_does_not_stop_the_movie(env: JobDeps) -> None:
    env.pipeline.fail_storyboard = True  # type: ignore[attr-defined]
    out = Collect()
    await run_job(make(), env, out)
    v = await env.store.get_version("p1", 1)
    assert v is not None and v.status == "ready" and v.storyboard_key is None
    assert out.kinds[-1] == "done"


async def test_cancel_mid_render_marks_the_version_cancelled(env: JobDeps) -> None:
    pipeline: ScriptedPipeline = env.pipeline  # type: ignore[assignment]
    pipeline.render_gate = asyncio.Event()
    out = Collect()
    task = asyncio.create_task(run_job(make(), env, out))
    await asyncio.wait_for(pipeline.render_started.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert pipeline.render_cancelled
    v = await env.store.get_version("p1", 1)
    assert v is not None and v.status == "cancelled" and v.render_key is None
    assert "done" not in out.kinds


async def test_a_retry_of_a_finished_version_renders_nothing(env: JobDeps) -> None:
    await run_job(make(), env, Collect())
    pipeline: ScriptedPipeline = env.pipeline  # type: ignore[assignment]
    renders = len(pipeline.rendered)
    out = Collect()
    await run_job(make(), env, out)
    assert len(pipeline.rendered) == renders
    assert out.kinds == ["done"]


async def test_missing_version_is_a_clear_failure(env: JobDeps) -> None:
    out = Collect()
    await run_job(make(version=9), env, out)
    assert out.kinds == ["failed"] and "9" in out.updates[0].message


async def test_analyse_job_only_analyses(env: JobDeps) -> None:
    out = Collect()
    await run_job(JobRequest(job_id="p1:analyse", kind="analyse", project_id="p1"), env, out)
    pipeline: ScriptedPipeline = env.pipeline  # type: ignore[assignment]
    assert [i.id for i in pipeline.analysed[-1]] == ["m0", "m1", "m2"]
    assert pipeline.planned == [] and pipeline.rendered == []
    assert out.kinds[-1] == "done"
    assert (await env.store.get_version("p1", 1)).status == "queued"  # type: ignore[union-attr]
