"""Rendering: an EditPlan becomes an H.264/AAC MP4 (and a poster, and a storyboard picture).

Frames are composed in C (OpenCV affine warps at sub-pixel precision, numpy blends) and piped
raw into one libx264 encoder per chunk; the sound is one ffmpeg graph for the whole movie; chunks
are cached by content and joined by stream copy. See DESIGN.md §5 for the measurements behind it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.render.probe import probe_movie

if TYPE_CHECKING:
    from pipeline.models import EditPlan, Library
    from pipeline.settings import PipelineSettings

__all__ = [
    "Chunk",
    "encode_params",
    "join_chunks",
    "plan_chunks",
    "probe_movie",
    "render_chunk",
    "render_movie",
    "render_poster",
    "render_sound",
    "render_storyboard",
]


def __getattr__(name: str) -> Any:
    # the heavy modules (cv2, numpy) load on first use, so importing the package stays cheap
    if name in {"render_movie", "render_poster", "render_sound"}:
        from pipeline.render import movie

        return getattr(movie, name)
    if name in {"Chunk", "encode_params", "join_chunks", "plan_chunks", "render_chunk"}:
        from pipeline.render import chunks

        return getattr(chunks, name)
    raise AttributeError(name)


async def render_storyboard(
    plan: EditPlan, library: Library, output: Path, settings: PipelineSettings
) -> Path:
    """The storyboard picture of a plan (implemented in pipeline.render.storyboard)."""
    from pipeline.render.storyboard import render_storyboard as impl

    return await impl(plan, library, output, settings)
