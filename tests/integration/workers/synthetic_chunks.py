"""A ChunkRenderer that does real encoding work without real media: each chunk is an ffmpeg
test pattern of the chunk's length, joined by stream copy. CPU-bound like a real render, so
fan-out tests (and benchmarks/fanout.py) see real parallelism. Chunks rendered are logged."""

from __future__ import annotations

import asyncio
import hashlib
import math
from pathlib import Path

from pipeline.models import EditPlan, Library, RenderResult, RenderSpec
from workers.fanout import ChunkSpan


async def _ffmpeg(ffmpeg: str, *args: str) -> None:
    proc = await asyncio.create_subprocess_exec(
        ffmpeg,
        "-nostdin",
        "-hide_banner",
        "-loglevel",
        "error",
        "-y",
        *args,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        _, err = await proc.communicate()
    except asyncio.CancelledError:
        proc.kill()
        await proc.wait()
        raise
    if proc.returncode != 0:
        raise RuntimeError(f"ffmpeg failed: {err.decode(errors='replace')[-500:]}")


class PatternChunks:
    def __init__(self, ffmpeg: str, chunk_seconds: float = 10.0, preset: str = "veryfast",
                 log: Path | None = None, threads: int = 1) -> None:  # fmt: skip
        self.ffmpeg = ffmpeg
        self.chunk_seconds = chunk_seconds
        self.preset = preset
        self.log = log
        self.threads = threads  # one encoder thread per chunk: parallelism comes from the workers

    def split(self, plan: EditPlan, spec: RenderSpec) -> list[ChunkSpan]:
        n = max(1, math.ceil(plan.duration / self.chunk_seconds - 1e-9))
        base = hashlib.sha256(
            f"{plan.model_dump_json()}|{spec.width}x{spec.height}|{self.preset}".encode()
        ).hexdigest()
        out = []
        for i in range(n):
            start = i * self.chunk_seconds
            out.append(ChunkSpan(index=i, start=start, duration=min(self.chunk_seconds, plan.duration - start),
                                 key=hashlib.sha256(f"{base}|{i}".encode()).hexdigest()[:16]))  # fmt: skip
        return out

    async def render_chunk(self, plan: EditPlan, library: Library, spec: RenderSpec, chunk: ChunkSpan,
                           output: Path) -> Path:  # fmt: skip
        tmp = output.with_name(f".{output.name}.tmp.mp4")
        await _ffmpeg(
            self.ffmpeg, "-f", "lavfi",
            "-i", f"testsrc2=size={spec.width}x{spec.height}:rate={spec.fps}:duration={chunk.duration:.3f}",
            "-c:v", "libx264", "-preset", self.preset, "-threads", str(self.threads), "-pix_fmt", "yuv420p",
            "-video_track_timescale", "90000", str(tmp),
        )  # fmt: skip
        tmp.replace(output)
        if self.log is not None:
            with self.log.open("a") as fh:
                fh.write(f"{chunk.index}\n")
        return output

    async def join(
        self, plan: EditPlan, library: Library, spec: RenderSpec, chunks: list[Path]
    ) -> RenderResult:
        listing = spec.output.with_name(f".{spec.output.name}.txt")
        listing.write_text("".join(f"file '{p.resolve()}'\n" for p in chunks))
        await _ffmpeg(self.ffmpeg, "-f", "concat", "-safe", "0", "-i", str(listing), "-c", "copy",
                      "-movflags", "+faststart", str(spec.output))  # fmt: skip
        listing.unlink()
        import av

        with av.open(str(spec.output)) as box:
            duration = (box.duration or 0) / 1e6
        return RenderResult(path=spec.output, duration=duration, width=spec.width, height=spec.height,
                            size_bytes=spec.output.stat().st_size, chunks_rendered=len(chunks))  # fmt: skip
