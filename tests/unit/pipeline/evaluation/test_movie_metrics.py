"""Rendered-movie metrics on real MP4s made with ffmpeg: black and frozen picture, loudness,
duration, joined with the plan metrics into one score."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from pipeline.evaluation.movie_metrics import evaluate_movie, measure_movie
from pipeline.models import PlanRequest
from pipeline.planning.planner import heuristic_plan
from tests.unit.pipeline.planning.synth import make_library


def _movie(ffmpeg: str, out: Path, *, broken: bool, volume: float = 3.6) -> Path:
    """6.5 s: moving picture, then (broken) 1.5 s black and 3 s of one still frame."""
    if broken:
        video = ["-f", "lavfi", "-i", "testsrc2=s=320x180:r=25:d=2", "-f", "lavfi", "-i", "color=black:s=320x180:r=25:d=1.5",
                 "-f", "lavfi", "-i", "color=gray:s=320x180:r=25:d=3"]  # fmt: skip
        graph = "[0:v][1:v][2:v]concat=n=3:v=1:a=0[v];"
    else:
        video = ["-f", "lavfi", "-i", "testsrc2=s=320x180:r=25:d=6.5"]
        graph = "[0:v]null[v];"
    n = 3 if broken else 1
    audio = ["-f", "lavfi", "-i", "anoisesrc=d=6.5:c=pink:a=0.3"]
    subprocess.run(
        [ffmpeg, "-y", "-loglevel", "error", *video, *audio, "-filter_complex", f"{graph}[{n}:a]volume={volume}[a]",
         "-map", "[v]", "-map", "[a]", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", str(out)],
        check=True,
    )  # fmt: skip
    return out


async def test_black_and_frozen_picture_are_found(ffmpeg, tmp_path):
    facts = await measure_movie(_movie(ffmpeg, tmp_path / "bad.mp4", broken=True), ffmpeg)
    assert facts.duration == pytest.approx(6.5, abs=0.1)
    assert len(facts.black) == 1 and facts.black[0][0] == pytest.approx(2.0, abs=0.1)
    assert sum(b - a for a, b in facts.frozen) == pytest.approx(3.0, abs=0.3)
    assert facts.loudness is not None and facts.has_audio

    clean = await measure_movie(_movie(ffmpeg, tmp_path / "ok.mp4", broken=False), ffmpeg)
    assert clean.black == () and clean.frozen == ()


async def test_one_score_with_parts_plan_only_and_with_library(ffmpeg, tmp_path):
    library = make_library(n_photos=6)
    plan = heuristic_plan(PlanRequest(duration=6.5), library)
    good = await evaluate_movie(_movie(ffmpeg, tmp_path / "ok.mp4", broken=False), plan, None, ffmpeg=ffmpeg)
    bad = await evaluate_movie(
        _movie(ffmpeg, tmp_path / "bad.mp4", broken=True, volume=0.02), plan, None, ffmpeg=ffmpeg
    )
    assert set(good.parts) == {"duration", "movie_duration", "loudness", "black_frames", "frozen_frames"}
    assert good.parts["black_frames"] == 1.0 and good.parts["frozen_frames"] == 1.0
    assert bad.parts["black_frames"] < 0.5 and bad.parts["frozen_frames"] < 0.5
    assert good.parts["loudness"] > 0.8 and bad.parts["loudness"] < 0.2
    assert bad.score < good.score
    assert any("black" in i for i in bad.issues) and any("freezes" in i for i in bad.issues)

    full = await evaluate_movie(tmp_path / "ok.mp4", plan, library, ffmpeg=ffmpeg)
    assert {"on_beat", "faces", "story_arc", "loudness"} <= set(full.parts)
    assert full.critic == "metrics+movie"


async def test_a_movie_longer_than_its_plan_is_marked_down(ffmpeg, tmp_path):
    library = make_library(n_photos=6)
    plan = heuristic_plan(PlanRequest(duration=12.0), library)
    critique = await evaluate_movie(
        _movie(ffmpeg, tmp_path / "ok.mp4", broken=False), plan, None, ffmpeg=ffmpeg
    )
    assert critique.parts["movie_duration"] < 0.2
    assert any("lasts 6.5 s" in i for i in critique.issues)
