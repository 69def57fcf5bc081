"""End-to-end wiring for the Discord tests: the real conversation core, SQLite store, local media
folder and in-process job runner, behind the real discord.py bot talking to the fake Discord.

The pipeline is the conversation tests' stand-in (exact, fast planning) with one change: `render`
makes a real H.264/AAC MP4 with ffmpeg, so what Discord receives can be probed like a user's
player would see it.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from conversation.core import ConversationCore
from conversation.jobs import JobDeps, job_function
from conversation.ports import Outbox
from conversation.runner import InProcessJobQueue
from conversation.settings import CoreSettings
from conversation.store.local_media import LocalMediaStore
from conversation.store.sqlite import SQLiteProjectStore
from pipeline.models import EditPlan, Library, ProgressFn, RenderResult, RenderSpec, no_progress
from tests.unit.conversation.standin import StandInPipeline

MAX_SECONDS = 6.0  # keep renders short: 2 cores are shared by the whole team


class Mp4Pipeline(StandInPipeline):
    def __init__(self, ffmpeg: str) -> None:
        super().__init__()
        self.ffmpeg = ffmpeg

    async def render(
        self, plan: EditPlan, library: Library, spec: RenderSpec, progress: ProgressFn = no_progress
    ) -> RenderResult:
        await progress("rendering", 0.1)
        seconds = min(MAX_SECONDS, plan.duration)
        size = f"{spec.width}x{spec.height}"
        cmd = [
            self.ffmpeg, "-nostdin", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", f"testsrc2=size={size}:rate=25:duration={seconds}",
            "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-shortest", "-movflags", "+faststart", str(spec.output),
        ]  # fmt: skip
        proc = await asyncio.create_subprocess_exec(*cmd)
        if await proc.wait() != 0:
            raise RuntimeError("ffmpeg failed")
        await progress("rendering", 0.9)
        return RenderResult(
            path=spec.output, duration=seconds, width=spec.width, height=spec.height,
            size_bytes=spec.output.stat().st_size,
        )  # fmt: skip


class Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class World:
    """Everything behind the bot; `factory` is what the bot's setup_hook calls with its outbox."""

    def __init__(self, root: Path, pipeline: Any, *, draft: bool = False) -> None:
        self.root = root
        self.draft = draft
        self.store = SQLiteProjectStore(root / "core.sqlite3")
        self.media = LocalMediaStore(root / "media-store")
        self.pipeline = pipeline
        deps = JobDeps(store=self.store, media=self.media, pipeline=self.pipeline, scratch_dir=root / "jobs")  # type: ignore[arg-type]
        self.queue = InProcessJobQueue(self.store, job_function(deps), retry_delays=())
        self.core: ConversationCore | None = None

    def factory(self, outbox: Outbox) -> ConversationCore:
        settings = CoreSettings(scratch_dir=self.root / "scratch", draft_renders=self.draft)
        self.core = ConversationCore(
            self.store, self.media, self.queue, outbox, self.pipeline, Clock(), settings
        )
        self.queue.set_sink(self.core.on_job_update)
        return self.core

    async def settle(self, timeout: float = 90) -> None:
        await asyncio.wait_for(self.queue.join(), timeout)

    async def close(self) -> None:
        await self.queue.close()
        await self.store.close()


def probe(data: bytes, tmp: Path) -> dict[str, Any]:
    """Codecs, size and duration of an MP4 as a player sees them (PyAV: the wheel has no ffprobe)."""
    import av

    path = tmp / "probe.mp4"
    path.write_bytes(data)
    with av.open(str(path)) as box:
        video = box.streams.video[0]
        audio = box.streams.audio[0]
        return {
            "video": video.codec_context.name,
            "audio": audio.codec_context.name,
            "width": video.codec_context.width,
            "height": video.codec_context.height,
            "duration": float(box.duration or 0) / 1_000_000,
        }
