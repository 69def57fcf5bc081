"""run_job end to end with the real Pipeline on tiny synthetic media: a real MP4 comes out."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from conversation.jobs import JobDeps, run_job
from conversation.models import MediaRecord, Project, Version
from conversation.ports import JobRequest, JobUpdate
from conversation.store.local_media import LocalMediaStore
from conversation.store.sqlite import SQLiteProjectStore
from pipeline.api import Pipeline
from pipeline.models import PlanRequest
from pipeline.settings import PipelineSettings
from tests.real_pipeline import real_pipeline_marks

pytestmark = real_pipeline_marks()

NOW = datetime(2026, 5, 1, tzinfo=UTC)


async def test_make_job_renders_a_playable_movie_from_stored_media(
    tmp_path: Path, pipeline_settings: PipelineSettings, make_tiny_set: Callable[[int], list[Path]]
) -> None:
    import av

    store = SQLiteProjectStore(tmp_path / "db.sqlite3")
    media = LocalMediaStore(tmp_path / "media-store")
    pipeline = Pipeline(pipeline_settings)
    await store.create_project(
        Project(id="p1", title="t", chat_key="tg:1", owner_key="tg:ann", created_at=NOW, updated_at=NOW)
    )
    report = await pipeline.intake(make_tiny_set(4))
    assert len(report.accepted) == 6
    for item in report.accepted:
        key = await media.put(f"p1/{item.id}{item.path.suffix}", item.path, item.mime)
        await store.add_media(
            MediaRecord(
                project_id="p1",
                media_id=item.id,
                item=item,
                storage_key=key,
                contributor_key="tg:ann",
                added_at=NOW,
            )
        )
    await store.create_version(
        Version(
            project_id="p1", number=1, request=PlanRequest(duration=6.0), created_by="tg:ann", created_at=NOW
        )
    )
    updates: list[JobUpdate] = []

    async def sink(u: JobUpdate) -> None:
        updates.append(u)

    deps = JobDeps(store=store, media=media, pipeline=pipeline, scratch_dir=tmp_path / "scratch")
    await run_job(
        JobRequest(job_id="p1:v1:make", kind="make", project_id="p1", version=1, draft=True), deps, sink
    )

    assert updates[-1].kind == "done", updates[-1]
    assert "storyboard" in [u.kind for u in updates]
    v = await store.get_version("p1", 1)
    assert v is not None and v.status == "ready" and v.render_key == "p1/v1.mp4"
    movie = await media.get(v.render_key, tmp_path)
    with av.open(str(movie)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert (stream.codec_context.width, stream.codec_context.height) == (v.width, v.height)
        assert abs(float(container.duration / 1_000_000) - 6.0) < 1.0
    assert await media.exists("p1/v1-storyboard.png")
    await store.close()
