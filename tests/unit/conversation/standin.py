"""A stand-in for the pipeline facade: real content sniffing for intake, tags from file names
(plus a table), a planner that honours the request (exclude, opening/closing, aspect, duration,
music) and a 'render' that writes a small file. Fast and exact, so core tests check behaviour;
the real pipeline runs in test_real_media.py."""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Sequence
from pathlib import Path

from pipeline.api import PlanOutcome
from pipeline.edits import EditCommand
from pipeline.models import (
    EditPlan,
    IntakeReport,
    Library,
    MediaItem,
    MediaKind,
    MusicCue,
    PhotoAnalysis,
    PlanRequest,
    ProgressFn,
    Rejection,
    RenderResult,
    RenderSpec,
    Segment,
    no_progress,
)

MAGIC = [
    (b"\xff\xd8\xff", MediaKind.PHOTO, "image/jpeg"),
    (b"\x89PNG", MediaKind.PHOTO, "image/png"),
    (b"OggS", MediaKind.MUSIC, "audio/ogg"),
    (b"RIFF", MediaKind.MUSIC, "audio/wav"),
]


class StandInPipeline:
    def __init__(self, tags: dict[str, tuple[str, ...]] | None = None, blurry: set[str] | None = None) -> None:
        self.tags = tags or {}  # file name -> analysis tags
        self.blurry = blurry or set()
        self.render_gate: asyncio.Event | None = None  # hold renders mid-way (cancel/restart tests)
        self.render_started = asyncio.Event()
        self.planned: list[tuple[PlanRequest, EditPlan | None]] = []
        self.analyse_calls = 0
        # what an AI brain would read in free text (Pipeline.interpret_feedback); empty = offline
        self.ai_reads: dict[str, tuple[EditCommand, ...]] = {}

    async def intake(self, paths: Sequence[Path], progress: ProgressFn = no_progress) -> IntakeReport:
        accepted, rejected = [], []
        for p in paths:
            data = p.read_bytes() if p.is_file() else b""
            if not data:
                rejected.append(Rejection(name=p.name, code="empty", reason=f"{p.name} is empty"))
                continue
            kind_mime = next(((k, m) for magic, k, m in MAGIC if data.startswith(magic)), None)
            if kind_mime is None and data[4:8] == b"ftyp":
                kind_mime = (MediaKind.VIDEO, "video/mp4")
            if kind_mime is None:
                rejected.append(Rejection(name=p.name, code="not_media", reason=f"{p.name} is not a photo, video or song"))
                continue
            digest = hashlib.sha256(data).hexdigest()
            accepted.append(
                MediaItem(id=digest[:16], sha256=digest, kind=kind_mime[0], path=p, original_name=p.name,
                          mime=kind_mime[1], size_bytes=len(data), duration=4.0 if kind_mime[0] != MediaKind.PHOTO else None)
            )  # fmt: skip
        return IntakeReport(accepted=tuple(accepted), rejected=tuple(rejected))

    async def analyse(self, items: Sequence[MediaItem], progress: ProgressFn = no_progress) -> Library:
        self.analyse_calls += 1
        photos = {
            i.id: PhotoAnalysis(
                media_id=i.id, width=320, height=180, sharpness=100.0, brightness=0.5, exposure=1.0,
                colourfulness=10.0, tags=self.tags.get(i.original_name, ()) + tuple(re.findall(r"[a-z]+", i.original_name.lower())),
                is_blurry=i.original_name in self.blurry,
            )  # fmt: skip
            for i in items
            if i.kind == MediaKind.PHOTO
        }
        await progress("analysis", 1.0)
        return Library(items={i.id: i for i in items}, photos=photos)

    async def plan(
        self, request: PlanRequest, library: Library, parent: EditPlan | None = None, progress: ProgressFn = no_progress
    ) -> PlanOutcome:
        self.planned.append((request, parent))
        await progress("planning", 0.5)
        visual = [i for i in library.items.values() if i.kind != MediaKind.MUSIC and i.id not in request.exclude]
        if request.opening_id:
            visual.sort(key=lambda i: i.id != request.opening_id)
        if request.closing_id:
            visual.sort(key=lambda i: i.id == request.closing_id)
        total = request.duration or 2.0 * len(visual)
        each = total / max(1, len(visual))
        segs = tuple(
            Segment(index=n, media_id=i.id, kind=i.kind, timeline_start=round(n * each, 3), duration=round(each, 3),
                    caption=request.captions.get(i.id))
            for n, i in enumerate(visual)
        )  # fmt: skip
        songs = sorted(i.id for i in library.items.values() if i.kind == MediaKind.MUSIC)
        music = request.music_id or (songs[0] if songs else None)
        plan = EditPlan(duration=total, aspect=request.aspect, segments=segs, request=request,
                        music=MusicCue(media_id=music) if music else None, tempo=120.0 if music else None,
                        title=request.title)  # fmt: skip
        return PlanOutcome(plan=plan)

    @property
    def reads_feedback(self) -> bool:
        return bool(self.ai_reads)

    async def interpret_feedback(self, text: str, plan: EditPlan, library: Library) -> tuple[EditCommand, ...] | None:
        return self.ai_reads.get(text)

    async def storyboard(self, plan: EditPlan, library: Library, output: Path) -> Path:
        output.write_bytes(b"\x89PNG\r\n\x1a\n storyboard")
        return output

    def render_spec(self, plan: EditPlan, output: Path, *, draft: bool = False, target_size_bytes: int | None = None) -> RenderSpec:
        w, h = {"16:9": (320, 180), "9:16": (180, 320), "1:1": (240, 240)}[plan.aspect]
        return RenderSpec(output=output, width=w, height=h, draft=draft)

    async def render(self, plan: EditPlan, library: Library, spec: RenderSpec, progress: ProgressFn = no_progress) -> RenderResult:
        await progress("rendering", 0.1)
        self.render_started.set()
        if self.render_gate is not None:
            await self.render_gate.wait()
        await progress("rendering", 0.9)
        spec.output.write_bytes(b"\x00\x00\x00\x18ftypmp42 movie " + plan.model_dump_json().encode()[:200])
        return RenderResult(path=spec.output, duration=plan.duration, width=spec.width, height=spec.height,
                            size_bytes=spec.output.stat().st_size)  # fmt: skip
