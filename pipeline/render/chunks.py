"""Chunked rendering: split the timeline, render each piece as its own MP4, join by stream copy.

A chunk's file name is the hash of everything that decides its pixels (the shots it shows, their
media's content hashes, the encoding), so a refinement that changes the last ten seconds finds
the earlier chunks already on disk. Chunks are what the workers fan out across machines:
`plan_chunks` + `render_chunk(index)` on any machine + `join_chunks` on one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from pipeline.models import EditPlan, Frozen, Library, RenderSpec
from pipeline.render.compose import Compositor
from pipeline.render.ffmpeg import Children, Fraction, encode_frames, run_ffmpeg
from pipeline.render.timeline import Timeline, chunk_bounds
from pipeline.settings import PipelineSettings

RENDERER_VERSION = "mmm-render-1"  # bump when the pictures change for the same inputs
DRAFT_LINES = 480
LADDER = (1080, 720, 540, 480, 360)  # short sides tried when a size target is tight
MIN_BITS_PER_PIXEL = 0.045


class EncodeParams(Frozen):
    width: int
    height: int
    fps: int
    preset: str
    crf: int
    video_bitrate: int | None = None  # bits/s, capped VBR; None = constant quality (CRF)
    audio_bitrate: int = 160_000


class Chunk(Frozen):
    index: int
    start_frame: int
    end_frame: int  # exclusive
    start: float  # seconds
    end: float


def _even(x: float) -> int:
    return max(2, round(x / 2) * 2)


def _scaled(w: int, h: int, short: int) -> tuple[int, int]:
    k = short / min(w, h)
    return _even(w * k), _even(h * k)


def encode_params(plan: EditPlan, spec: RenderSpec, size_factor: float = 1.0) -> EncodeParams:
    """Resolution, preset and rate control for a spec (draft and target-size modes decided here)."""
    w, h, preset, crf = spec.width // 2 * 2, spec.height // 2 * 2, spec.preset, spec.crf  # 4:2:0 needs even
    if spec.draft:
        preset = "ultrafast"
        if min(w, h) > DRAFT_LINES:
            w, h = _scaled(w, h, DRAFT_LINES)
    if spec.target_size_bytes is None:
        return EncodeParams(width=w, height=h, fps=spec.fps, preset=preset, crf=crf)
    seconds = max(1.0, plan.duration)
    # ~4 % of the file goes to the container and rate-control overshoot
    total = spec.target_size_bytes * 8 * 0.94 * size_factor / seconds
    audio = 128_000 if total > 1_500_000 else 96_000 if total > 600_000 else 64_000
    video = max(80_000, int(total - audio))
    for short in LADDER:
        if short > min(w, h):
            continue
        cw, ch = _scaled(w, h, short)
        if video / (cw * ch * spec.fps) >= MIN_BITS_PER_PIXEL or short == LADDER[-1]:
            w, h = cw, ch
            break
    return EncodeParams(
        width=w, height=h, fps=spec.fps, preset=preset, crf=crf, video_bitrate=video, audio_bitrate=audio
    )


def plan_chunks(plan: EditPlan, spec: RenderSpec, max_seconds: float = 12.0) -> list[Chunk]:
    tl = Timeline(plan, spec.fps)
    if not spec.chunked:
        return [Chunk(index=0, start_frame=0, end_frame=tl.n_frames, start=0.0, end=tl.n_frames / spec.fps)]
    return [
        Chunk(index=i, start_frame=a, end_frame=b, start=a / spec.fps, end=b / spec.fps)
        for i, (a, b) in enumerate(chunk_bounds(tl, max_seconds=max_seconds))
    ]


def chunk_key(plan: EditPlan, library: Library, params: EncodeParams, chunk: Chunk) -> str:
    tl = Timeline(plan, params.fps)
    touched = tl.shots_touching(chunk.start_frame, chunk.end_frame)
    shots = []
    for i in touched:
        shot = tl.shots[i]
        item = library.items.get(shot.segment.media_id)
        seg = shot.segment.model_dump(mode="json", exclude={"index", "reasoning", "story_beat", "energy"})
        shots.append(
            {
                "seg": seg,
                "sha": item.sha256 if item else None,
                "span": [shot.show_from, shot.show_to, shot.d_in, shot.d_out],
            }
        )
    title = plan.title if chunk.start_frame < round(3.0 * params.fps) else None
    blob = json.dumps(
        {"v": RENDERER_VERSION, "frames": [chunk.start_frame, chunk.end_frame], "shots": shots, "title": title,
         "enc": params.model_dump(exclude={"audio_bitrate"})},
        sort_keys=True, default=str,
    )  # fmt: skip
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def encoder_args(ffmpeg: str, params: EncodeParams, out: Path, threads: int = 0) -> list[str]:
    rate = (
        [
            "-b:v",
            str(params.video_bitrate),
            "-maxrate",
            str(int(params.video_bitrate * 1.3)),
            "-bufsize",
            str(params.video_bitrate * 2),
        ]
        if params.video_bitrate
        else ["-crf", str(params.crf)]
    )
    return [
        ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
        # frames arrive as BT.709 limited-range yuv420p (converted once per shot, see sources.py);
        # say so on the input and tag the stream: untagged, players guess the matrix and miss by
        # up to 22/255 (a setparams filter would say it too, at a frame copy each)
        "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", f"{params.width}x{params.height}",
        "-framerate", str(params.fps), "-color_range", "tv", "-colorspace", "bt709",
        "-color_primaries", "bt709", "-color_trc", "bt709", "-i", "pipe:0",
        "-c:v", "libx264", "-preset", params.preset, *rate,
        *(["-threads", str(threads)] if threads else []),
        "-pix_fmt", "yuv420p", "-colorspace", "bt709", "-color_primaries", "bt709",
        "-color_trc", "bt709", "-color_range", "tv",
        "-video_track_timescale", "90000", "-an",
        "-progress", "pipe:1", "-nostats", str(out),
    ]  # fmt: skip


async def render_chunk(
    plan: EditPlan,
    library: Library,
    spec: RenderSpec,
    settings: PipelineSettings,
    index: int,
    *,
    work_dir: Path | None = None,
    params: EncodeParams | None = None,
    on_progress: Fraction | None = None,
) -> tuple[Path, bool]:
    """Render chunk `index` (video only) into work_dir (default: spec.work_dir, else the
    settings' renders dir); returns (path, reused_from_cache). Any machine with the media can
    run it: the result depends only on the plan, the media and the spec."""
    params = params or encode_params(plan, spec)
    work_dir = work_dir or spec.work_dir or settings.renders_dir / "chunks"
    chunk = plan_chunks(plan, spec)[index]
    out = work_dir / f"chunk-{chunk_key(plan, library, params, chunk)}.mp4"
    if out.is_file() and out.stat().st_size > 0:
        os.utime(out)  # recently used: the cache prunes least recently used first
        return out, True
    work_dir.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.stem}.{uuid.uuid4().hex[:8]}.tmp.mp4")  # concurrent renders may race
    tl = Timeline(plan, params.fps)
    ffmpeg = settings.ffmpeg_exe()

    def frames(children: Children) -> Iterator[np.ndarray]:
        comp = Compositor(tl, library, params.width, params.height, ffmpeg)
        comp.procs = children.procs  # clip decoders die with the encoder on cancel
        try:
            for n in range(chunk.start_frame, chunk.end_frame):
                yield comp.frame(n)
        finally:
            comp.close()

    try:
        await encode_frames(
            encoder_args(ffmpeg, params, tmp, settings.threads),
            frames,
            chunk.end_frame - chunk.start_frame,
            on_progress,
        )
        os.replace(tmp, out)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return out, False


def _concat_line(path: Path) -> str:
    return "file '" + str(path.resolve()).replace("'", "'\\''") + "'\n"


async def join_chunks(
    chunks: list[Path], audio: Path | None, output: Path, settings: PipelineSettings
) -> Path:
    """Concatenate chunk MP4s by stream copy and mux the continuous audio track; +faststart."""
    output.parent.mkdir(parents=True, exist_ok=True)
    listing = output.with_name(f".{output.name}.{uuid.uuid4().hex[:8]}.concat.txt")
    listing.write_text("".join(_concat_line(p) for p in chunks))
    tmp = output.with_name(f".{output.stem}.{uuid.uuid4().hex[:8]}.tmp{output.suffix or '.mp4'}")
    args = ["-loglevel", "error", "-f", "concat", "-safe", "0", "-i", str(listing)]
    if audio is not None:
        args += ["-i", str(audio), "-map", "0:v:0", "-map", "1:a:0"]
    args += ["-c", "copy", "-movflags", "+faststart", str(tmp)]
    try:
        await run_ffmpeg(settings.ffmpeg_exe(), args)
        os.replace(tmp, output)
    finally:
        listing.unlink(missing_ok=True)
        tmp.unlink(missing_ok=True)
    return output


def prune_cache(work_dir: Path, keep: set[Path], max_bytes: int) -> None:
    """Delete the least recently used chunk/audio files until the cache fits in max_bytes."""
    files = [
        p
        for p in work_dir.glob("*")
        if p.suffix in (".mp4", ".m4a") and p.name.startswith(("chunk-", "audio-"))
    ]
    stats = []
    for p in files:
        with contextlib.suppress(FileNotFoundError):
            st = p.stat()
            stats.append((st.st_mtime, st.st_size, p))
    total = sum(size for _, size, _ in stats)
    for _, size, p in sorted(stats, key=lambda x: x[0]):
        if total <= max_bytes:
            break
        if p in keep:
            continue
        p.unlink(missing_ok=True)
        total -= size
