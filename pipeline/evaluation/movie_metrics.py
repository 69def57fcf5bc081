"""Objective metrics of a rendered movie: its real duration, loudness, black and frozen frames.

One ffmpeg pass (the imageio-ffmpeg binary; no ffprobe needed) runs `blackdetect`,
`freezedetect` and `ebur128` on a downscaled copy of the picture, and PyAV reads the duration.
`evaluate_movie` joins these with the plan metrics into one Critique."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from pathlib import Path

from pipeline.evaluation.plan_metrics import ALL, WEIGHTS, Metric
from pipeline.models import Critique, EditPlan, Library

TARGET_LUFS = -14.0  # what the renderer normalises to (RenderSpec.loudness_lufs)
BLACK_MIN = 0.4  # seconds of black before it counts (a dip-to-black transition is shorter)
FREEZE_MIN = 2.0  # seconds without change before a picture counts as frozen

MOVIE_WEIGHTS: dict[str, float] = {
    "movie_duration": 0.1,
    "loudness": 0.1,
    "black_frames": 0.1,
    "frozen_frames": 0.1,
}

# metrics that need nothing but the plan (the others read the library's analysis)
PLAN_ONLY = frozenset({"duration"})


@dataclass(frozen=True)
class MovieFacts:
    duration: float
    has_audio: bool
    loudness: float | None  # integrated LUFS
    true_peak: float | None  # dBTP
    black: tuple[tuple[float, float], ...]  # (start, end)
    frozen: tuple[tuple[float, float], ...]


_BLACK = re.compile(r"black_start:\s*([\d.]+)\s+black_end:\s*([\d.]+)")
_FREEZE_START = re.compile(r"freeze_start:\s*([\d.]+)")
_FREEZE_END = re.compile(r"freeze_end:\s*([\d.]+)")
_INTEGRATED = re.compile(r"Integrated loudness:\s*\n\s*I:\s*(-?[\d.]+|-inf)\s*LUFS")
_PEAK = re.compile(r"True peak:\s*\n\s*Peak:\s*(-?[\d.]+|-inf)\s*dBFS")


def probe_movie(path: Path) -> tuple[float, bool, bool]:
    """(duration, has_video, has_audio) via PyAV."""
    import av

    with av.open(str(path)) as container:
        duration = float(container.duration / 1_000_000) if container.duration else 0.0
        has_video = bool(container.streams.video)
        has_audio = bool(container.streams.audio)
        if not duration and has_video:
            s = container.streams.video[0]
            duration = float((s.duration or 0) * (s.time_base or 0))
    return duration, has_video, has_audio


async def measure_movie(path: Path, ffmpeg: str) -> MovieFacts:
    duration, has_video, has_audio = await asyncio.to_thread(probe_movie, path)
    chains = []
    if has_video:
        chains.append(
            f"[0:v]scale=160:-2,blackdetect=d={BLACK_MIN}:pix_th=0.08,freezedetect=n=-60dB:d={FREEZE_MIN}[v]"
        )
    if has_audio:
        chains.append("[0:a]ebur128=peak=true[a]")
    if not chains:
        return MovieFacts(duration, False, None, None, (), ())
    proc = await asyncio.create_subprocess_exec(
        ffmpeg, "-nostdin", "-hide_banner", "-nostats", "-i", str(path), "-filter_complex", ";".join(chains),
        *(["-map", "[v]"] if has_video else []), *(["-map", "[a]"] if has_audio else []), "-f", "null", "-",
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, err = await proc.communicate()
    log = err.decode("utf-8", "replace")
    if proc.returncode != 0:
        raise RuntimeError(f"ffmpeg could not read {path.name}: {log.strip().splitlines()[-1:]}")
    black = tuple((float(a), float(b)) for a, b in _BLACK.findall(log))
    starts = [float(x) for x in _FREEZE_START.findall(log)]
    ends = [float(x) for x in _FREEZE_END.findall(log)]
    ends += [duration] * (len(starts) - len(ends))  # frozen until the end
    loud = _INTEGRATED.search(log)
    peak = _PEAK.search(log)

    def num(m: re.Match[str] | None) -> float | None:
        if m is None:
            return None
        return float("-inf") if m.group(1) == "-inf" else float(m.group(1))

    return MovieFacts(duration, has_audio, num(loud), num(peak), black, tuple(zip(starts, ends, strict=True)))


def movie_metrics(facts: MovieFacts, plan: EditPlan) -> list[Metric]:
    out: list[Metric] = []
    err = abs(facts.duration - plan.duration)
    out.append(Metric("movie_duration", max(0.0, 1.0 - max(0.0, err - 0.1) / 2.0),
                      f"the movie lasts {facts.duration:.1f} s but its plan says {plan.duration:.1f} s" if err > 0.5 else None))  # fmt: skip
    if not facts.has_audio or facts.loudness is None or facts.loudness == float("-inf"):
        silent_ok = plan.music is None and all(s.audio == "mute" for s in plan.segments)
        out.append(
            Metric("loudness", 1.0 if silent_ok else 0.0, None if silent_ok else "the movie is silent")
        )
    else:
        off = abs(facts.loudness - TARGET_LUFS)
        issue = None
        if off > 2.0:
            issue = f"loudness is {facts.loudness:.1f} LUFS (target {TARGET_LUFS:.0f})"
        if facts.true_peak is not None and facts.true_peak > -0.5:
            issue = (issue + "; " if issue else "") + f"peaks at {facts.true_peak:.1f} dBFS and may clip"
        out.append(Metric("loudness", max(0.0, 1.0 - max(0.0, off - 1.0) / 6.0), issue))
    span = max(facts.duration, 1.0)
    black = sum(b - a for a, b in facts.black)
    out.append(Metric("black_frames", max(0.0, 1.0 - black / (0.1 * span)),
                      f"{black:.1f} s of black picture" if black > 0 else None))  # fmt: skip
    frozen = sum(b - a for a, b in facts.frozen)
    out.append(Metric("frozen_frames", max(0.0, 1.0 - frozen / (0.15 * span)),
                      f"the picture freezes for {frozen:.1f} s" if frozen > 0 else None))  # fmt: skip
    return out


def combine(metrics: list[Metric], critic: str) -> Critique:
    weights = {**WEIGHTS, **MOVIE_WEIGHTS}
    total = sum(weights.get(m.name, 0.1) for m in metrics) or 1.0
    score = sum(weights.get(m.name, 0.1) * m.score for m in metrics) / total
    ranked = sorted(
        (m for m in metrics if m.issue), key=lambda m: (-(weights.get(m.name, 0.1) * (1 - m.score)), m.name)
    )
    return Critique(
        score=round(score, 4),
        parts={m.name: round(m.score, 4) for m in metrics},
        issues=tuple(m.issue for m in ranked if m.issue),
        critic=critic,
    )


async def evaluate_movie(
    movie_path: Path, plan: EditPlan, library: Library | None, *, ffmpeg: str | None = None
) -> Critique:
    """The plan's metrics (all of them with a library, the plan-only ones without) plus the
    rendered movie's, as one score with its parts."""
    if ffmpeg is None:
        import imageio_ffmpeg

        ffmpeg = str(imageio_ffmpeg.get_ffmpeg_exe())
    facts = await measure_movie(movie_path, ffmpeg)
    lib = library if library is not None else Library()
    plan_parts = [m(plan, lib) for m in ALL]
    if library is None:
        plan_parts = [m for m in plan_parts if m.name in PLAN_ONLY]
    return combine(
        [*plan_parts, *movie_metrics(facts, plan)], "metrics+movie" if library else "plan-only+movie"
    )
