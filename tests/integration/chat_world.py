"""What the Telegram and Discord end-to-end tests share behind their bots: the real conversation
core, SQLite store, local media folder and in-process job runner, with either the real pipeline or
the core tests' stand-in pipeline whose `render` makes a real short H.264/AAC MP4 (so what the
platform receives can be probed like a user's player would see it)."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Any

from conversation.clock import SystemClock
from conversation.core import ConversationCore
from conversation.jobs import JobDeps, job_function
from conversation.ports import Outbox
from conversation.runner import InProcessJobQueue
from conversation.settings import CoreSettings
from conversation.store.local_media import LocalMediaStore
from conversation.store.sqlite import SQLiteProjectStore
from pipeline.models import EditPlan, Library, ProgressFn, RenderResult, RenderSpec, no_progress
from tests.unit.conversation.standin import StandInPipeline


class Mp4Render(StandInPipeline):
    """Exact, instant planning; a real (tiny) MP4 of at most `max_seconds` (2 shared cores)."""

    max_seconds = 3.0

    def __init__(self, ffmpeg: str) -> None:
        super().__init__()
        self.ffmpeg = ffmpeg

    async def render(
        self, plan: EditPlan, library: Library, spec: RenderSpec, progress: ProgressFn = no_progress
    ) -> RenderResult:
        await progress("rendering", 0.1)
        seconds = min(self.max_seconds, plan.duration)
        cmd = [
            self.ffmpeg, "-nostdin", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", f"testsrc2=size={spec.width}x{spec.height}:rate=25:duration={seconds}",
            "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-shortest", "-movflags", "+faststart", str(spec.output),
        ]  # fmt: skip
        proc = await asyncio.create_subprocess_exec(*cmd)
        if await proc.wait() != 0:
            raise RuntimeError("ffmpeg failed")
        await progress("rendering", 0.9)
        return RenderResult(path=spec.output, duration=seconds, width=spec.width, height=spec.height,
                            size_bytes=spec.output.stat().st_size)  # fmt: skip


class ChatWorld:
    """`ChatWorld(root, pipeline).factory` is the core factory the bot calls with its outbox."""

    settle_timeout = 120.0

    def __init__(self, root: Path, pipeline: Any, *, draft: bool = False) -> None:
        self.root = root
        self.pipeline = pipeline
        self.settings = CoreSettings(scratch_dir=root / "scratch", draft_renders=draft)
        self.store = SQLiteProjectStore(root / "core.sqlite3")
        self.media = LocalMediaStore(root / "media-store")
        deps = JobDeps(store=self.store, media=self.media, pipeline=pipeline, scratch_dir=root / "jobs")
        self.queue = InProcessJobQueue(self.store, job_function(deps), retry_delays=())
        self.core: ConversationCore | None = None

    def factory(self, outbox: Outbox) -> ConversationCore:
        self.core = ConversationCore(
            self.store, self.media, self.queue, outbox, self.pipeline, SystemClock(), self.settings
        )
        self.queue.set_sink(self.core.on_job_update)  # job updates end in the core, which posts them
        return self.core

    async def settle(self, timeout: float | None = None) -> None:
        await asyncio.wait_for(self.queue.join(), timeout or self.settle_timeout)

    async def close(self) -> None:
        await self.queue.close()
        await self.store.close()


def probe(data: bytes) -> dict[str, Any]:
    """What a player sees in an uploaded MP4 (PyAV: the ffmpeg wheel has no ffprobe)."""
    import av

    with av.open(io.BytesIO(data)) as box:
        video, audio = box.streams.video[0], box.streams.audio[0]
        return {
            "video": video.codec_context.name,
            "audio": audio.codec_context.name,
            "width": video.codec_context.width,
            "height": video.codec_context.height,
            "duration": float(box.duration or 0) / 1_000_000,
        }
