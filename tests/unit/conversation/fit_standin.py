"""The conversation stand-in pipeline with a real ffmpeg render that honours a target size, for
tests of smaller copies of over-limit movies (conversation/fit.py) in the core and the bots."""

from __future__ import annotations

import asyncio
from pathlib import Path

from pipeline.models import EditPlan, Library, ProgressFn, RenderResult, RenderSpec, no_progress
from tests.unit.conversation.standin import StandInPipeline


class FitStandIn(StandInPipeline):
    """Renders a real H.264/AAC MP4: near-lossless normally, bitrate-capped at 160x90 when the spec
    has a target size (like the real renderer, which steps the resolution down for tight targets)."""

    def __init__(self, ffmpeg: str) -> None:
        super().__init__()
        self.ffmpeg = ffmpeg
        self.targets: list[int | None] = []
        self.honour_target = True  # False: the "smaller" copy comes out as big as the full one
        self.fail_fit = False

    def render_spec(
        self, plan: EditPlan, output: Path, *, draft: bool = False, target_size_bytes: int | None = None
    ) -> RenderSpec:
        spec = super().render_spec(plan, output, draft=draft)
        return spec.model_copy(update={"target_size_bytes": target_size_bytes})

    async def render(
        self, plan: EditPlan, library: Library, spec: RenderSpec, progress: ProgressFn = no_progress
    ) -> RenderResult:
        self.targets.append(spec.target_size_bytes)
        await progress("rendering", 0.1)
        if self.fail_fit and spec.target_size_bytes is not None:
            raise RuntimeError("encoder exploded")
        seconds = plan.duration
        quality: list[str] = ["-crf", "12", "-c:a", "aac"]
        if spec.target_size_bytes is not None and self.honour_target:
            total = spec.target_size_bytes * 8 * 0.8 / seconds
            video = int(total - 48_000)
            quality = ["-vf", "scale=160:90", "-b:v", str(video), "-maxrate", str(video),
                       "-bufsize", str(video // 2), "-c:a", "aac", "-b:a", "48k"]  # fmt: skip
        cmd = [
            self.ffmpeg, "-nostdin", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", f"testsrc2=size={spec.width}x{spec.height}:rate=25:duration={seconds}",
            "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", *quality,
            "-shortest", "-movflags", "+faststart", str(spec.output),
        ]  # fmt: skip
        proc = await asyncio.create_subprocess_exec(*cmd)
        assert await proc.wait() == 0
        await progress("rendering", 0.9)
        return RenderResult(path=spec.output, duration=seconds, width=spec.width, height=spec.height,
                            size_bytes=spec.output.stat().st_size)  # fmt: skip
