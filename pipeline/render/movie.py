"""render_movie: chunks (cached) + one audio track -> the delivered MP4, and its poster."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from PIL import Image

from pipeline.errors import RenderFailed
from pipeline.models import EditPlan, Library, ProgressFn, RenderResult, RenderSpec, no_progress
from pipeline.render.audio import render_audio
from pipeline.render.chunks import (
    RENDERER_VERSION,
    EncodeParams,
    encode_params,
    join_chunks,
    plan_chunks,
    prune_cache,
    render_chunk,
)
from pipeline.render.compose import Compositor
from pipeline.render.probe import probe_movie
from pipeline.render.sources import yuv_to_rgb
from pipeline.render.timeline import Timeline
from pipeline.settings import PipelineSettings

POSTER_LONG_SIDE = 1280
CACHE_BYTES = 2 * 2**30  # chunk cache kept per work dir (least recently used goes first)
SIZE_RETRIES = 2


def check_plan(plan: EditPlan, library: Library) -> None:
    if not plan.segments or plan.duration <= 0:
        raise RenderFailed("the plan has no shots to render")
    missing = sorted({s.media_id for s in plan.segments if s.media_id not in library.items})
    if missing:
        raise RenderFailed(f"the plan uses media the library does not have: {', '.join(missing)}")
    for item_id in {s.media_id for s in plan.segments}:
        if not library.items[item_id].path.is_file():
            raise RenderFailed(f"media file missing on disk: {library.items[item_id].path}")


@contextlib.contextmanager
def _work_dir(spec: RenderSpec) -> Iterator[Path]:
    if spec.work_dir is not None:
        spec.work_dir.mkdir(parents=True, exist_ok=True)
        yield spec.work_dir
        return
    tmp = Path(tempfile.mkdtemp(prefix="mmm-render-"))
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _audio_key(plan: EditPlan, library: Library, spec: RenderSpec, params: EncodeParams) -> str:
    used = {s.media_id for s in plan.segments} | ({plan.music.media_id} if plan.music else set())
    blob = json.dumps(
        {"v": RENDERER_VERSION, "d": plan.duration, "music": plan.music.model_dump(mode="json") if plan.music else None,
         "segs": [(s.media_id, s.timeline_start, s.duration, s.source_start, s.source_end, s.audio) for s in plan.segments],
         "sha": sorted(library.items[i].sha256 for i in used if i in library.items),
         "lufs": spec.loudness_lufs, "abr": params.audio_bitrate},
        sort_keys=True, default=str,
    )  # fmt: skip
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


async def render_sound(
    plan: EditPlan,
    library: Library,
    spec: RenderSpec,
    settings: PipelineSettings,
    *,
    work: Path,
    params: EncodeParams | None = None,
) -> Path:
    """The movie's whole sound track as AAC in `work` (cached by its inputs), for `join_chunks`."""
    params = params or encode_params(plan, spec)
    path = work / f"audio-{_audio_key(plan, library, spec, params)}.m4a"
    if path.is_file() and path.stat().st_size > 0:
        os.utime(path)
        return path
    work.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{uuid.uuid4().hex[:8]}.tmp.m4a")
    try:
        await render_audio(
            plan,
            library,
            settings.ffmpeg_exe(),
            tmp,
            target_lufs=spec.loudness_lufs,
            bitrate=str(params.audio_bitrate),
        )
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


async def render_movie(
    plan: EditPlan,
    library: Library,
    spec: RenderSpec,
    settings: PipelineSettings,
    progress: ProgressFn = no_progress,
) -> RenderResult:
    started = time.monotonic()
    check_plan(plan, library)
    factor = 1.0
    with _work_dir(spec) as work:
        for attempt in range(SIZE_RETRIES + 1):
            params = encode_params(plan, spec, size_factor=factor)
            rendered, reused = await _render_once(plan, library, spec, settings, params, work, progress)
            size = spec.output.stat().st_size
            if spec.target_size_bytes is None or size <= spec.target_size_bytes or attempt == SIZE_RETRIES:
                break
            factor *= spec.target_size_bytes / size * 0.93  # rate control overshot: aim lower
        poster = await render_poster(plan, library, spec, settings)
    info = probe_movie(spec.output)
    await progress("rendering", 1.0)
    return RenderResult(
        path=spec.output, duration=info["duration"], width=info["width"], height=info["height"],
        size_bytes=spec.output.stat().st_size, video_codec=info["video_codec"], audio_codec=info["audio_codec"],
        poster=poster, chunks_rendered=rendered, chunks_reused=reused, seconds=time.monotonic() - started,
    )  # fmt: skip


async def _render_once(
    plan: EditPlan, library: Library, spec: RenderSpec, settings: PipelineSettings, params: EncodeParams,
    work: Path, progress: ProgressFn,
) -> tuple[int, int]:  # fmt: skip
    chunks = plan_chunks(plan, spec)
    total = sum(c.end_frame - c.start_frame for c in chunks)

    async def audio() -> Path:
        return await render_sound(plan, library, spec, settings, work=work, params=params)

    # the sound renders alongside the first chunks: it is small next to the video work
    audio_task = asyncio.ensure_future(audio())
    paths: list[Path] = []
    rendered = reused = 0
    done = 0
    try:
        for chunk in chunks:
            frames = chunk.end_frame - chunk.start_frame

            async def report(f: float, base: int = done, n: int = frames) -> None:
                await progress("rendering", 0.97 * (base + f * n) / total)

            path, was_cached = await render_chunk(
                plan, library, spec, settings, chunk.index, work_dir=work, params=params, on_progress=report
            )
            paths.append(path)
            reused += was_cached
            rendered += not was_cached
            done += frames
            await progress("rendering", 0.97 * done / total)
        audio_file = await audio_task
    except BaseException:
        audio_task.cancel()
        with contextlib.suppress(BaseException):
            await audio_task
        raise
    await join_chunks(paths, audio_file, spec.output, settings)
    if spec.work_dir is not None:
        prune_cache(work, keep={*paths, audio_file}, max_bytes=CACHE_BYTES)
    return rendered, reused


def _poster_time(plan: EditPlan, tl: Timeline) -> float:
    """The middle of the first peak shot (else the opening shot): a frame that says what the movie is."""
    pick = next((s for s in tl.shots if s.segment.story_beat == "peak"), tl.shots[0])
    if pick.index == 0 and plan.title:
        return min(plan.duration - 1e-3, max(pick.end - 0.01, 0.0))  # past the title card
    return (pick.start + pick.end) / 2


async def render_poster(
    plan: EditPlan, library: Library, spec: RenderSpec, settings: PipelineSettings, output: Path | None = None
) -> Path:
    """A JPEG frame of the movie (as it will look, motion and all) for chats to show as a thumbnail."""
    check_plan(plan, library)
    k = min(1.0, POSTER_LONG_SIDE / max(spec.width, spec.height))
    w, h = max(2, round(spec.width * k / 2) * 2), max(2, round(spec.height * k / 2) * 2)
    out = output or spec.output.with_suffix(".jpg")
    tl = Timeline(plan, spec.fps)
    n = min(tl.n_frames - 1, round(_poster_time(plan, tl) * spec.fps))

    def draw() -> None:
        comp = Compositor(tl, library, w, h, settings.ffmpeg_exe())
        try:
            Image.fromarray(yuv_to_rgb(comp.frame(n), w, h)).save(out, quality=88)
        finally:
            comp.close()

    out.parent.mkdir(parents=True, exist_ok=True)
    await asyncio.to_thread(draw)
    return out
