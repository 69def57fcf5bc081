"""The renderer's chunk functions (pipeline/render/chunks.py) behind the fan-out's ChunkRenderer port.

`plan_chunks` splits a plan at frame-exact points, `render_chunk(index)` renders one piece into the
renderer's own chunk cache (so a worker that picks up a crashed job reuses what is on its disk),
and the joiner renders the one continuous sound track and concatenates by stream copy.
The pipeline modules are imported where used: workers start fast and a renderer still being
written never breaks a worker that doesn't fan out.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from pipeline.models import EditPlan, Library, RenderResult, RenderSpec
from pipeline.settings import PipelineSettings
from workers.fanout import ChunkSpan


class PipelineChunkRenderer:
    """`PipelineChunkRenderer(pipeline_settings)`: pass to `run_worker(..., chunk_renderer=...)`."""

    def __init__(self, settings: PipelineSettings) -> None:
        self.settings = settings

    def split(self, plan: EditPlan, spec: RenderSpec) -> list[ChunkSpan]:
        from pipeline.render.chunks import plan_chunks

        # the media-store key must be the same on every worker: the plan and what decides the
        # pixels, never where this worker keeps its files (output and work_dir differ per machine)
        what = spec.model_dump_json(exclude={"output", "work_dir"})
        base = hashlib.sha256(f"{plan.model_dump_json()}|{what}".encode()).hexdigest()
        return [
            ChunkSpan(
                index=c.index,
                start=c.start,
                duration=c.end - c.start,
                key=hashlib.sha256(f"{base}|{c.index}".encode()).hexdigest()[:16],
            )  # fmt: skip
            # the renderer's own split: render_chunk(index) indexes the very same list
            for c in plan_chunks(plan, spec)
        ]

    async def render_chunk(
        self, plan: EditPlan, library: Library, spec: RenderSpec, chunk: ChunkSpan, output: Path
    ) -> Path:
        from pipeline.render.chunks import render_chunk

        path, _reused = await render_chunk(
            plan,
            library,
            spec,
            self.settings,
            chunk.index,
            work_dir=spec.work_dir or self.settings.work_dir / "chunks",
        )
        return path

    async def join(
        self, plan: EditPlan, library: Library, spec: RenderSpec, chunks: list[Path]
    ) -> RenderResult:
        from pipeline.render.audio import render_audio
        from pipeline.render.chunks import encode_params, join_chunks
        from pipeline.render.movie import render_poster
        from pipeline.render.probe import probe_movie

        params = encode_params(plan, spec)
        audio = spec.output.with_name(f"{spec.output.stem}-audio.m4a")
        await render_audio(plan, library, self.settings.ffmpeg_exe(), audio, target_lufs=spec.loudness_lufs,
                           bitrate=str(params.audio_bitrate))  # fmt: skip
        await join_chunks(chunks, audio, spec.output, self.settings)
        audio.unlink(missing_ok=True)
        poster = await render_poster(plan, library, spec, self.settings)
        info = probe_movie(spec.output)
        return RenderResult(
            path=spec.output,
            duration=float(info["duration"]),
            width=int(info["width"]),
            height=int(info["height"]),
            size_bytes=spec.output.stat().st_size,
            video_codec=info.get("video_codec") or "h264",
            audio_codec=info.get("audio_codec"),
            poster=poster,
            chunks_rendered=len(chunks),
        )
