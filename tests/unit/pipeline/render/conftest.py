"""Hand-built libraries and plans for renderer tests (tiny media, no planner needed)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest

from pipeline.models import (
    Box,
    EditPlan,
    Library,
    MediaItem,
    MediaKind,
    Motion,
    MusicCue,
    RenderSpec,
    Segment,
    Transition,
    VideoAnalysis,
)


def media_item(path: Path, kind: MediaKind, **kw: object) -> MediaItem:
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    return MediaItem(
        id=sha[:16], sha256=sha, kind=kind, path=path, original_name=path.name,
        mime="application/octet-stream", size_bytes=path.stat().st_size, **kw,  # type: ignore[arg-type]
    )  # fmt: skip


def library_of(*items: MediaItem, videos: dict[str, VideoAnalysis] | None = None) -> Library:
    return Library(items={i.id: i for i in items}, videos=videos or {})


def sequence_plan(
    shots: list[tuple[MediaItem, float]],
    *,
    transition: Transition | None = None,
    music: MediaItem | None = None,
    **plan_kw: object,
) -> EditPlan:
    """Shots back to back; every cut after the first uses `transition`."""
    segs = []
    t = 0.0
    for i, (item, dur) in enumerate(shots):
        segs.append(
            Segment(
                index=i,
                media_id=item.id,
                kind=item.kind,
                timeline_start=t,
                duration=dur,
                source_end=dur if item.kind == MediaKind.VIDEO else None,
                transition_in=(transition or Transition()) if i else Transition(),
            )  # fmt: skip
        )
        t += dur
    cue = MusicCue(media_id=music.id) if music else None
    return EditPlan(duration=t, aspect="16:9", segments=tuple(segs), music=cue, **plan_kw)  # type: ignore[arg-type]


PAN = Motion(start=Box(x=0.0, y=0.1, w=0.8, h=0.8), end=Box(x=0.2, y=0.1, w=0.8, h=0.8), easing="linear")


@pytest.fixture
def tiny_spec(tmp_path: Path) -> Callable[..., RenderSpec]:
    def make(name: str = "out.mp4", **kw: object) -> RenderSpec:
        base: dict[str, object] = {
            "width": 320,
            "height": 180,
            "fps": 15,
            "preset": "ultrafast",
            "work_dir": tmp_path / "chunks",
        }
        base.update(kw)
        return RenderSpec(output=tmp_path / name, **base)  # type: ignore[arg-type]

    return make
