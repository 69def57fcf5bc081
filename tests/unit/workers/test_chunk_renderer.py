"""Chunk keys are what lets one worker find another's chunks: they must not depend on where a
worker keeps its files."""

from __future__ import annotations

from pathlib import Path

from pipeline.models import EditPlan, MediaKind, RenderSpec, Segment
from pipeline.settings import PipelineSettings
from workers.chunk_renderer import PipelineChunkRenderer


def test_every_worker_computes_the_same_chunk_keys(tmp_path: Path) -> None:
    segments = tuple(
        Segment(index=i, media_id=f"m{i}", kind=MediaKind.PHOTO, timeline_start=i * 10.0, duration=10.0)
        for i in range(4)
    )
    plan = EditPlan(duration=40.0, aspect="16:9", segments=segments)
    renderer = PipelineChunkRenderer(PipelineSettings(work_dir=tmp_path))
    here = renderer.split(plan, RenderSpec(output=Path("/a/scratch/v1.mp4"), work_dir=Path("/a/chunks")))
    there = renderer.split(plan, RenderSpec(output=Path("/b/other/v1.mp4"), work_dir=Path("/b/chunks")))
    assert len(here) > 1 and [c.key for c in here] == [c.key for c in there]
    draft = renderer.split(plan, RenderSpec(output=Path("/a/scratch/v1.mp4"), draft=True))
    assert [c.key for c in draft] != [c.key for c in here]  # different pixels, different chunks
