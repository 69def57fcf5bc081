"""Benchmark: the standard render workload (DESIGN.md §5) against an encode-only floor.

Workload: 20 photos + 2 clips of ../shared/corpus/dev, 60 s at 1080p30, Ken Burns on every photo
(2.7 s each), 3 s per clip, 0.5 s crossfades, the 140 BPM song with fades. Built as an EditPlan
by hand (no planner), rendered with pipeline.render.render_movie.

Printed from one run (medians over --repeat): wall time, peak memory of the whole process tree
(this process + every ffmpeg child, polled from /proc), Ken Burns jitter (frame-to-frame position
error of the encoded output against an ideal float render of the same shot), colour error on
patches decoded as a player would, and ratios to
  - the encode-only floor measured in the same run: re-encoding the rendered 60 s with libx264
    veryfast CRF 21 (targets: <= 1.15x, peak <= 600 MB),
  - the draft preview (target <= 15 % of the full render),
  - an incremental re-render after changing only the last shot (target <= 30 %),
  - with --moviepy, MoviePy 2.2 rendering the same plan the idiomatic way (`pip install -e '.[bench]'`).

    .venv/bin/python benchmarks/render.py [--repeat 1] [--moviepy] [--seconds 60]

Last run here (2 cores, quiet machine, medians of 3, 2026-11-24): render 32.7 s wall / 58.7 s
cpu, peak 565 MB; floor 31.9 s / 57.8 s cpu -> 1.04x wall (runs 1.04, 1.02, 1.06), 1.02x cpu;
draft 12 %; last shot changed 13 % (1 of 6 chunks); jitter 0.100 px; colour error 2/255.
--moviepy (one run): MoviePy 219 s, 1.2 GB vs ours 34.7 s = 6.3x; the floor itself took 31.9 s
in that run, so 6.9x is the most any renderer using the same encoder settings could show here.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline.models import (  # noqa: E402
    Box,
    EditPlan,
    Library,
    MediaItem,
    MediaKind,
    Motion,
    MusicCue,
    RenderSpec,
    Segment,
    Transition,
)
from pipeline.render import probe_movie, render_movie  # noqa: E402
from pipeline.render.sources import PhotoShot  # noqa: E402
from pipeline.render.timeline import Timeline  # noqa: E402
from pipeline.settings import PipelineSettings  # noqa: E402

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "dev"
W, H, FPS = 1920, 1080, 30


# ----------------------------------------------------------------------------- workload
def _item(path: Path, kind: MediaKind, **kw: object) -> MediaItem:
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    return MediaItem(
        id=sha[:16], sha256=sha, kind=kind, path=path, original_name=path.name, mime="",
        size_bytes=path.stat().st_size, **kw,  # type: ignore[arg-type]
    )  # fmt: skip


def _motion(k: int, sw: int, sh: int) -> Motion:
    """Alternating push-in, pull-out and pans; far-off aspects are shown whole over the blurred fill."""
    out_aspect, src_aspect = W / H, sw / sh
    w, h = (out_aspect / src_aspect, 1.0) if src_aspect >= out_aspect else (1.0, src_aspect / out_aspect)
    if w * h < 0.55:  # portrait into 16:9: fit it
        s = 1 / min(w, h)
        w, h = w * s, h * s
    zoom = 1.15

    def box(z: float, fx: float, fy: float) -> Box:
        bw, bh = w / z, h / z
        return Box(x=(1 - bw) * fx, y=(1 - bh) * fy, w=bw, h=bh)

    kind = k % 3
    if kind == 0:
        return Motion(start=box(1.0, 0.5, 0.5), end=box(zoom, 0.45, 0.4))
    if kind == 1:
        return Motion(start=box(zoom, 0.55, 0.5), end=box(1.0, 0.5, 0.5))
    return Motion(start=box(1.1, 0.1, 0.5), end=box(1.1, 0.9, 0.5), easing="linear")


def workload(tmp: Path, seconds: float) -> tuple[EditPlan, Library]:
    photos: list[MediaItem] = []
    for p in sorted(CORPUS.glob("d[0-9][0-9]_*"))[:20]:
        with Image.open(p) as img:
            upright = ImageOps.exif_transpose(img)
            if upright is not img or p.suffix.lower() != ".jpg":
                p = tmp / (p.stem + ".jpg")  # the renderer reads upright photos (intake's job)
                upright.convert("RGB").save(p, quality=92)
            size = upright.size
        photos.append(_item(p, MediaKind.PHOTO, width=size[0], height=size[1]))
    clips = [
        _item(
            CORPUS / "dv1_rocket_launch_with_audio.mp4",
            MediaKind.VIDEO,
            width=640,
            height=360,
            has_audio=True,
        ),
        _item(CORPUS / "dv2_street_bikes_no_audio.mp4", MediaKind.VIDEO, width=640, height=272),
    ]
    song = _item(CORPUS / "dm1_sectoid_war_of_freedom_140bpm.ogg", MediaKind.MUSIC, duration=120.0)
    photo_len = (seconds - 6.0) / 20
    order: list[tuple[MediaItem, float]] = [(p, photo_len) for p in photos]
    order.insert(7, (clips[0], 3.0))
    order.insert(15, (clips[1], 3.0))
    segs, t = [], 0.0
    for i, (item, dur) in enumerate(order):
        motion = None
        if item.kind == MediaKind.PHOTO:
            motion = _motion(i, item.width or W, item.height or H)
        segs.append(
            Segment(
                index=i,
                media_id=item.id,
                kind=item.kind,
                timeline_start=round(t, 6),
                duration=dur,
                source_start=1.0 if item.kind == MediaKind.VIDEO else 0.0,
                source_end=1.0 + dur if item.kind == MediaKind.VIDEO else None,
                transition_in=Transition(kind="crossfade", duration=0.5) if i else Transition(),
                motion=motion,
                audio="duck" if item.has_audio else "mute",
            )  # fmt: skip
        )
        t += dur
    plan = EditPlan(
        duration=round(t, 6),
        aspect="16:9",
        segments=tuple(segs),
        music=MusicCue(media_id=song.id, fade_out=2.0),
    )
    lib = Library(items={i.id: i for i in [*photos, *clips, song]})
    return plan, lib


# ----------------------------------------------------------------------------- measuring
class TreeMemory:
    """Peak RSS of this process plus all its descendants, polled from /proc."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = os.getpid()
        while not self._stop.is_set():
            parents: dict[int, int] = {}
            rss: dict[int, int] = {}
            for d in os.listdir("/proc"):
                if not d.isdigit():
                    continue
                try:
                    with open(f"/proc/{d}/stat") as f:
                        fields = f.read().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                parents[int(d)] = int(fields[1])
                rss[int(d)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
            tree = {me}
            changed = True
            while changed:
                changed = False
                for pid, ppid in parents.items():
                    if ppid in tree and pid not in tree:
                        tree.add(pid)
                        changed = True
            self.peak = max(self.peak, sum(rss.get(p, 0) for p in tree))
            time.sleep(0.1)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _cpu() -> float:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


CPU: list[float] = []  # CPU seconds (this process + its ffmpeg children) of the last timed() call


def timed(fn):  # type: ignore[no-untyped-def]
    """Wall seconds, peak process-tree MB, result; CPU seconds go to CPU[-1] (steadier than wall
    on a shared machine: other tenants stretch wall time, not our CPU time)."""
    with TreeMemory() as mem:
        c0, t0 = _cpu(), time.perf_counter()
        out = fn()
        wall = time.perf_counter() - t0
        CPU.append(_cpu() - c0)
    return wall, mem.peak / 2**20, out


def encode_floor(ffmpeg: str, src: Path, out: Path) -> None:
    subprocess.run(
        [ffmpeg, "-nostdin", "-loglevel", "error", "-y", "-i", str(src), "-c:v", "libx264", "-preset", "veryfast",
         "-crf", "21", "-pix_fmt", "yuv420p", "-c:a", "copy", str(out)],
        check=True,
    )  # fmt: skip


def _lk_shift(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    ga, gb = (
        cv2.GaussianBlur(cv2.cvtColor(x, cv2.COLOR_RGB2GRAY).astype(np.float64), (0, 0), 2)[16:-16, 16:-16]
        for x in (a, b)
    )
    gy, gx = np.gradient((ga + gb) / 2)
    it = gb - ga
    m = np.array([[(gx * gx).sum(), (gx * gy).sum()], [(gx * gy).sum(), (gy * gy).sum()]])
    v = -np.linalg.solve(m, [(gx * it).sum(), (gy * it).sum()])
    return float(v[0]), float(v[1])


def jitter(plan: EditPlan, lib: Library, movie: Path) -> float:
    """Max frame-to-frame change of the position error of the first pan shot vs an ideal float render."""
    import av

    tl = Timeline(plan, FPS)
    shot = next(s for s in tl.shots if s.segment.motion is not None and s.segment.motion.easing == "linear")
    item = lib.items[shot.segment.media_id]
    assert shot.segment.motion is not None
    ideal_src = PhotoShot(item.path, shot.segment.motion, W, H, keep_rgb=True)
    assert ideal_src.canvas is not None
    full = ideal_src.canvas.astype(np.float32)
    f0, f1 = round((shot.start + shot.d_in / 2) * FPS) + 1, round((shot.end - shot.d_out / 2) * FPS) - 1
    errors = []
    with av.open(str(movie)) as box:
        for n, frame in enumerate(box.decode(video=0)):
            if n < f0:
                continue
            if n >= f1:
                break
            ours = frame.to_ndarray(
                format="rgb24", src_colorspace=frame.colorspace, src_color_range=frame.color_range
            )
            ideal = cv2.warpAffine(
                full,
                ideal_src.matrix(shot.local(n / FPS)),
                (W, H),
                flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP,
            )
            errors.append(_lk_shift(np.clip(ideal, 0, 255).astype(np.uint8), ours))
    steps = [np.hypot(b[0] - a[0], b[1] - a[1]) for a, b in zip(errors, errors[1:], strict=False)]
    return float(max(steps)) if steps else float("nan")


async def colour_error(settings: PipelineSettings, tmp: Path) -> int:
    import av

    patches = [
        (200, 40, 40),
        (40, 180, 60),
        (40, 60, 200),
        (230, 230, 230),
        (20, 20, 20),
        (128, 128, 128),
        (240, 200, 40),
        (60, 200, 220),
    ]
    img = np.zeros((H, W, 3), np.uint8)
    pw, ph = W // 4, H // 2
    for k, c in enumerate(patches):
        img[(k // 4) * ph : (k // 4 + 1) * ph, (k % 4) * pw : (k % 4 + 1) * pw] = c
    path = tmp / "patches.png"
    Image.fromarray(img).save(path)
    item = _item(path, MediaKind.PHOTO, width=W, height=H)
    still = Motion(start=Box(x=0, y=0, w=1, h=1), end=Box(x=0, y=0, w=1, h=1))
    plan = EditPlan(
        duration=0.5,
        aspect="16:9",
        segments=(
            Segment(
                index=0, media_id=item.id, kind=MediaKind.PHOTO, timeline_start=0, duration=0.5, motion=still
            ),
        ),
    )
    res = await render_movie(
        plan, Library(items={item.id: item}), RenderSpec(output=tmp / "patches.mp4", fps=FPS), settings
    )
    with av.open(str(res.path)) as box:
        frame = next(box.decode(video=0))
        rgb = frame.to_ndarray(
            format="rgb24", src_colorspace=frame.colorspace, src_color_range=frame.color_range
        ).astype(int)
    worst = 0
    for k, c in enumerate(patches):
        y, x = (k // 4) * ph + ph // 4, (k % 4) * pw + pw // 4
        worst = max(
            worst,
            int(np.abs(np.median(rgb[y : y + ph // 2, x : x + pw // 2].reshape(-1, 3), axis=0) - c).max()),
        )
    return worst


def moviepy_render(plan: EditPlan, lib: Library, out: Path) -> None:
    """The reference implementation's idiomatic MoviePy 2.2: per-frame Python compositing."""
    from moviepy import AudioFileClip, CompositeVideoClip, ImageClip, VideoFileClip, vfx

    layers = []
    for seg in plan.segments:
        item = lib.items[seg.media_id]
        half_in = seg.transition_in.duration / 2
        start = max(0.0, seg.timeline_start - half_in)
        dur = seg.duration + half_in + 0.25
        if item.kind == MediaKind.PHOTO:
            clip = ImageClip(str(item.path)).with_duration(dur)
            clip = clip.resized(height=H) if clip.w / clip.h < W / H else clip.resized(width=W)
            clip = clip.resized(lambda t, d=dur: 1.0 + 0.15 * t / d)
        else:
            clip = (
                VideoFileClip(str(item.path))
                .subclipped(seg.source_start, seg.source_start + dur)
                .resized(height=H)
            )
        clip = clip.with_start(start).with_position("center")
        if seg.index:
            clip = clip.with_effects([vfx.CrossFadeIn(seg.transition_in.duration)])
        layers.append(clip)
    video = CompositeVideoClip(layers, size=(W, H)).with_duration(plan.duration)
    if plan.music:
        from moviepy import afx

        music = AudioFileClip(str(lib.items[plan.music.media_id].path)).subclipped(0, plan.duration)
        video = video.with_audio(music.with_effects([afx.AudioFadeOut(2.0)]))
    video.write_videofile(
        str(out), fps=FPS, codec="libx264", audio_codec="aac", preset="veryfast", logger=None
    )


# ----------------------------------------------------------------------------- main
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--moviepy", action="store_true")
    args = ap.parse_args()
    if not CORPUS.is_dir():
        sys.exit(f"corpus not found at {CORPUS}")
    tmp = Path(tempfile.mkdtemp(prefix="mmm-bench-render-"))
    try:
        settings = PipelineSettings(work_dir=tmp / "work", local_only=True)
        ffmpeg = settings.ffmpeg_exe()
        plan, lib = workload(tmp, args.seconds)
        full_t, full_m, floor_t, floor_m, draft_t, inc_t = [], [], [], [], [], []
        full_c, floor_c = [], []
        result = None
        for r in range(args.repeat):
            cache = tmp / f"chunks{r}"
            spec = RenderSpec(output=tmp / f"movie{r}.mp4", width=W, height=H, fps=FPS, work_dir=cache)
            wall, mem, result = timed(lambda spec=spec: asyncio.run(render_movie(plan, lib, spec, settings)))
            full_t.append(wall)
            full_m.append(mem)
            full_c.append(CPU[-1])
            wall, mem, _ = timed(
                lambda r=r: encode_floor(ffmpeg, tmp / f"movie{r}.mp4", tmp / f"floor{r}.mp4")
            )
            floor_t.append(wall)
            floor_m.append(mem)
            floor_c.append(CPU[-1])
            dspec = RenderSpec(
                output=tmp / f"draft{r}.mp4",
                width=854,
                height=480,
                fps=FPS,
                draft=True,
                preset="ultrafast",
                crf=28,
            )
            draft_t.append(
                timed(lambda dspec=dspec: asyncio.run(render_movie(plan, lib, dspec, settings)))[0]
            )
            last = plan.segments[-1]
            changed = plan.model_copy(
                update={
                    "segments": (
                        *plan.segments[:-1],
                        last.model_copy(
                            update={"media_id": plan.segments[1].media_id, "motion": plan.segments[1].motion}
                        ),
                    )
                }
            )
            ispec = spec.model_copy(update={"output": tmp / f"changed{r}.mp4"})
            wall, _, inc = timed(
                lambda ispec=ispec, changed=changed: asyncio.run(render_movie(changed, lib, ispec, settings))
            )
            inc_t.append(wall)
        assert result is not None
        info = probe_movie(result.path)
        med = statistics.median
        print(
            f"standard workload: {len(plan.segments)} shots, {plan.duration:.1f} s, {W}x{H}@{FPS}; repeat={args.repeat}"
        )
        print(f"output: {info['duration']:.3f} s, {info['frames']} frames, {info['video_codec']}/{info['audio_codec']}, "
              f"{info['color_space']}/{info['color_primaries']}/{info['color_trc']}/{info['color_range']}, "
              f"{result.size_bytes / 2**20:.1f} MiB, {result.chunks_rendered} chunks")  # fmt: skip
        print(
            f"render        wall {med(full_t):6.1f} s   cpu {med(full_c):6.1f} s   peak {med(full_m):6.0f} MB (process tree)"
        )
        print(
            f"encode floor  wall {med(floor_t):6.1f} s   cpu {med(floor_c):6.1f} s   peak {med(floor_m):6.0f} MB"
        )
        ratios = [a / b for a, b in zip(full_t, floor_t, strict=True)]
        print(f"ratio to floor        {med(ratios):.2f}x wall (per-run ratios {', '.join(f'{r:.2f}' for r in ratios)}), "
              f"{med(full_c) / med(floor_c):.2f}x cpu   (target <= 1.15x)")  # fmt: skip
        print(
            f"draft preview  wall {med(draft_t):6.1f} s   = {med(draft_t) / med(full_t) * 100:.0f} % of full (target <= 15 %)"
        )
        print(f"last shot changed  wall {med(inc_t):6.1f} s   = {med(inc_t) / med(full_t) * 100:.0f} % of full, "
              f"{inc.chunks_rendered} rendered / {inc.chunks_reused} reused (target <= 30 %)")  # fmt: skip
        print(
            f"jitter (Ken Burns vs ideal float render): {jitter(plan, lib, result.path):.3f} px frame-to-frame"
        )
        print(f"colour error on patches (player decode): {asyncio.run(colour_error(settings, tmp))}/255")
        if args.moviepy:
            wall, mem, _ = timed(lambda: moviepy_render(plan, lib, tmp / "moviepy.mp4"))
            print(
                f"moviepy 2.2   wall {wall:6.1f} s   cpu {CPU[-1]:6.1f} s   peak {mem:6.0f} MB   -> ours is "
                f"{wall / med(full_t):.1f}x faster, {CPU[-1] / med(full_c):.1f}x less cpu (target >= 10x)"
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
