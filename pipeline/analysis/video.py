"""One clip: scene cuts, motion, sharpness, brightness, best segments, speech, faces.

Frames are decoded once with PyAV. Every frame gives a tiny HSV histogram (scene cuts need frame
accuracy); a few per second give a small grey image (motion, sharpness, brightness); three give a
larger colour image for faces. Cuts use an adaptive threshold — a histogram jump much larger than
its neighbours' — the idea behind PySceneDetect's AdaptiveDetector (which we can't install: it
pulls the non-headless OpenCV).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np

from pipeline.analysis.faces import detect_faces
from pipeline.analysis.speech import detect_speech
from pipeline.models import Box, ClipSegment, MediaItem, VideoAnalysis

SAMPLE_FPS = 4.0
GREY_WIDTH = 320
FACE_WIDTH = 640
HIST_SIZE = (64, 36)
CUT_MIN = 0.30  # histogram distance (0..1) a cut must exceed...
CUT_RATIO = 3.0  # ... and exceed this multiple of the surrounding frames' average
MIN_SCENE = 0.6  # seconds between cuts
SEG_MIN, SEG_MAX = 2.0, 5.0
# Decoding is the cost (40 s of 1080p30 took 6 s here, under load). Work is counted in 1080p-frame
# equivalents (a 4K frame counts 4); beyond a minute of 1080p30 only keyframes are decoded (phones
# key every ~1 s, so samples come ~1 per second and cuts land on the next keyframe). Skipping only
# non-reference frames saved nothing: phone H.264 has no B-frames.
HEAVY_WORK = 60 * 30.0


@dataclass
class _Samples:
    hist_t: list[float] = field(default_factory=list)
    hists: list[np.ndarray] = field(default_factory=list)
    t: list[float] = field(default_factory=list)
    grey: list[np.ndarray] = field(default_factory=list)
    faces_at: list[tuple[float, np.ndarray]] = field(default_factory=list)
    decode_errors: int = 0


def analyse_video(item: MediaItem) -> VideoAnalysis:
    duration = float(item.duration or 0.0)
    samples = None
    if decode_work(item, duration) > HEAVY_WORK:
        samples = _decode(item, duration, keyframes_only=True)
        if len(samples.t) < max(3.0, duration / 4):  # keyframes too sparse to judge: decode it all
            samples = None
    if samples is None:
        samples = _decode(item, duration)
    if samples.t:
        duration = max(duration, samples.t[-1])
    cuts = _scene_cuts(samples.hist_t, samples.hists)

    t = np.array(samples.t)
    motion = _motion(samples.grey)
    sharp = (
        np.array([cv2.Laplacian(g, cv2.CV_64F).var() for g in samples.grey]) if samples.grey else np.zeros(0)
    )
    bright = np.array([g.mean() / 255.0 for g in samples.grey]) if samples.grey else np.zeros(0)

    faces: list[Box] = []
    for _, rgb in samples.faces_at:
        found = detect_faces(rgb)
        if len(found) > len(faces):
            faces = found
    segments = _best_segments(t, motion, sharp, bright, cuts, duration)
    sharpness = float(np.median(sharp)) if sharp.size else 0.0
    brightness = float(bright.mean()) if bright.size else 0.5
    mean_motion = float(motion.mean()) if motion.size else 0.0
    quality = _quality(sharpness, brightness, mean_motion)
    has_speech = bool(item.has_audio) and detect_speech(item.path)

    tags = ["face"] * bool(faces) + ["speech"] * has_speech
    tags += ["action"] if mean_motion > 0.06 else ["calm"] if mean_motion < 0.01 else []
    tags += ["dark"] * (brightness < 0.2)
    width, height = item.width or 0, item.height or 0
    tags += ["portrait"] if height > width else ["landscape"] if width > height else ["square"]
    return VideoAnalysis(
        media_id=item.id,
        duration=round(duration, 3),
        fps=float(item.fps or 0.0),
        width=width,
        height=height,
        rotation=item.rotation,
        has_audio=item.has_audio,
        has_speech=has_speech,
        scene_cuts=tuple(round(c, 3) for c in cuts),
        best_segments=tuple(segments),
        sharpness=round(sharpness, 2),
        brightness=round(brightness, 4),
        motion=round(mean_motion, 4),
        quality=round(quality, 4),
        faces=tuple(faces),
        tags=tuple(dict.fromkeys(tags)),
        capture_time=item.capture_time,
    )


def _decode(item: MediaItem, duration: float, keyframes_only: bool = False) -> _Samples:
    import av

    out = _Samples()
    face_times = [duration * f for f in (0.2, 0.5, 0.8)] if duration else [0.0]
    with av.open(str(item.path), metadata_errors="ignore") as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        if keyframes_only:
            stream.codec_context.skip_frame = "NONKEY"
        next_sample = 0.0
        rotation = item.rotation % 360
        for packet in container.demux(stream):
            try:
                frames = packet.decode()
            except av.error.FFmpegError:
                out.decode_errors += 1
                continue
            for frame in frames:
                if frame.time is None:
                    continue
                ft = float(frame.time)
                small = _upright(
                    frame.to_ndarray(format="rgb24", width=HIST_SIZE[0], height=HIST_SIZE[1]), rotation
                )
                out.hist_t.append(ft)
                out.hists.append(_hsv_hist(small))
                if ft + 1e-6 >= next_sample:
                    next_sample = ft + 1.0 / SAMPLE_FPS
                    gw, gh = _scaled(frame.width, frame.height, GREY_WIDTH)
                    grey = frame.to_ndarray(format="gray", width=gw, height=gh)
                    out.t.append(ft)
                    out.grey.append(_upright(grey, rotation))
                if face_times and ft + 1e-6 >= face_times[0]:
                    face_times.pop(0)
                    fw, fh = _scaled(frame.width, frame.height, FACE_WIDTH)
                    rgb = frame.to_ndarray(format="rgb24", width=fw, height=fh)
                    out.faces_at.append((ft, _upright(rgb, rotation)))
    order = np.argsort(out.hist_t, kind="stable")  # B-frames come out in display order, but be safe
    out.hist_t = [out.hist_t[i] for i in order]
    out.hists = [out.hists[i] for i in order]
    return out


def decode_work(item: MediaItem, duration: float) -> float:
    pixels = (item.width or 1920) * (item.height or 1080) / (1920 * 1080)
    return duration * float(item.fps or 30.0) * pixels


def _scaled(width: int, height: int, target: int) -> tuple[int, int]:
    if width <= target:
        return width - width % 2, height - height % 2
    h = max(2, round(height * target / width))
    return target, h - h % 2


def _upright(arr: np.ndarray, rotation: int) -> np.ndarray:
    """PyAV reports the display matrix rotation counter-clockwise; np.rot90 also turns counter-clockwise."""
    if rotation in (90, 180, 270):
        return np.ascontiguousarray(np.rot90(arr, k=rotation // 90))
    return arr


def _hsv_hist(rgb: np.ndarray) -> np.ndarray:
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)
    hist = cv2.calcHist([hsv], [0, 1, 2], None, [12, 4, 4], [0, 180, 0, 256, 0, 256]).ravel()
    return hist / max(float(hist.sum()), 1.0)


def _scene_cuts(times: list[float], hists: list[np.ndarray]) -> list[float]:
    if len(hists) < 3:
        return []
    h = np.stack(hists)
    # total-variation distance between consecutive colour histograms: 0 same, 1 disjoint
    diff = 0.5 * np.abs(h[1:] - h[:-1]).sum(axis=1)
    cuts: list[float] = []
    for i, d in enumerate(diff):
        lo, hi = max(0, i - 3), min(len(diff), i + 4)
        neighbours = np.concatenate([diff[lo:i], diff[i + 1 : hi]])
        local = float(neighbours.mean()) if neighbours.size else 0.0
        if d >= CUT_MIN and d >= CUT_RATIO * max(local, 0.02):
            at = times[i + 1]
            if not cuts or at - cuts[-1] >= MIN_SCENE:
                cuts.append(at)
    return cuts


def _motion(grey: list[np.ndarray]) -> np.ndarray:
    """Mean absolute difference to the previous sample, 0..1 (first sample copies the second)."""
    if len(grey) < 2:
        return np.zeros(len(grey))
    d = [float(np.mean(cv2.absdiff(a, b))) / 255.0 for a, b in zip(grey[:-1], grey[1:], strict=True)]
    return np.array([d[0], *d])


def _best_segments(
    t: np.ndarray,
    motion: np.ndarray,
    sharp: np.ndarray,
    bright: np.ndarray,
    cuts: list[float],
    duration: float,
) -> list[ClipSegment]:
    if duration <= 0 or t.size == 0:
        return []
    # per-sample appeal: crisp, well lit, and moving (but not shaking)
    sharp_s = np.clip(np.log(np.maximum(sharp, 1.0) / 10.0) / math.log(50.0), 0, 1)
    bright_s = np.clip(1.0 - 2.5 * np.maximum(0.0, np.abs(bright - 0.47) - 0.15), 0, 1)
    motion_s = np.clip(motion / 0.04, 0, 1) - np.clip((motion - 0.15) / 0.15, 0, 0.6)
    score = 0.45 * sharp_s + 0.25 * bright_s + 0.30 * motion_s
    bounds = [0.0, *[c for c in cuts if 0 < c < duration], duration]
    segments: list[ClipSegment] = []
    for start, end in zip(bounds[:-1], bounds[1:], strict=True):
        lo, hi = start + 0.1 * (start > 0), end - 0.1 * (end < duration)
        length = hi - lo
        if length < 1.0:
            continue
        window = min(SEG_MAX, length)
        inside = (t >= lo) & (t < hi)
        candidates = []
        for s in np.arange(lo, hi - window + 1e-6, 0.5) if length > window else [lo]:
            mask = inside & (t >= s) & (t < s + window)
            value = (
                float(score[mask].mean())
                if mask.any()
                else float(score[inside].mean())
                if inside.any()
                else 0.3
            )
            candidates.append((value, float(s)))
        # greedy non-overlapping windows, best first (at most 3 per scene)
        taken: list[tuple[float, float, float]] = []
        for value, s in sorted(candidates, key=lambda c: (-c[0], c[1])):
            if len(taken) == 3:
                break
            if all(s + window <= a or s >= b for a, b, _ in taken):
                taken.append((s, s + window, value))
        penalty = 0.85 if window < SEG_MIN else 1.0  # short scenes are usable but weaker
        segments += [
            ClipSegment(start=round(a, 3), end=round(b, 3), score=round(v * penalty, 4)) for a, b, v in taken
        ]
    segments.sort(key=lambda s: s.start)
    return segments


def _quality(sharpness: float, brightness: float, motion: float) -> float:
    sharp = min(1.0, max(0.0, math.log(max(sharpness, 1.0) / 10.0) / math.log(50.0)))
    light = max(0.0, 1.0 - 2.5 * max(0.0, abs(brightness - 0.47) - 0.15))
    moving = min(1.0, motion / 0.03)
    return float(min(1.0, 0.5 * sharp + 0.3 * light + 0.2 * moving))
