"""The core tests' stand-in pipeline, with a render that takes real time in chunks and keeps a
chunk cache on disk (like pipeline/render's): a worker killed mid-render leaves its finished
chunks for the next worker. Every chunk actually rendered is appended to `<chunk_dir>/log`."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

from pipeline.models import EditPlan, Library, ProgressFn, RenderResult, RenderSpec, no_progress
from tests.unit.conversation.standin import StandInPipeline


class ChunkedSlowPipeline(StandInPipeline):
    def __init__(self, chunk_dir: Path, chunks: int = 5, chunk_seconds: float = 0.4) -> None:
        super().__init__()
        self.chunk_dir = chunk_dir
        self.chunks = chunks
        self.chunk_seconds = chunk_seconds

    async def render(
        self, plan: EditPlan, library: Library, spec: RenderSpec, progress: ProgressFn = no_progress
    ) -> RenderResult:
        self.chunk_dir.mkdir(parents=True, exist_ok=True)
        key = hashlib.sha256(plan.model_dump_json().encode()).hexdigest()[:12]
        rendered = reused = 0
        for i in range(self.chunks):
            chunk = self.chunk_dir / f"{key}-{i}.ts"
            if chunk.exists():
                reused += 1
            else:
                await asyncio.sleep(self.chunk_seconds)
                tmp = chunk.with_suffix(".part")
                tmp.write_bytes(b"chunk %d" % i)
                tmp.rename(chunk)  # a chunk is cached only once complete
                with (self.chunk_dir / "log").open("a") as log:
                    log.write(f"{chunk.name}\n")
                rendered += 1
            await progress("rendering", (i + 1) / self.chunks)
        spec.output.write_bytes(b"\x00\x00\x00\x18ftypmp42 movie " + key.encode())
        return RenderResult(
            path=spec.output,
            duration=plan.duration,
            width=spec.width,
            height=spec.height,
            size_bytes=spec.output.stat().st_size,
            chunks_rendered=rendered,
            chunks_reused=reused,
        )
