"""`memory-movie evaluate movie.mp4 --plan plan.json [--media DIR]` through the real CLI entry."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.models import PlanRequest
from pipeline.planning.planner import heuristic_plan
from tests.unit.pipeline.planning.synth import make_library

REPO = Path(__file__).resolve().parents[3]


def _cli(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "MEMORY_MOVIE_HOME": str(home), "HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "bots.cli", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def movie(ffmpeg: str, tmp_path: Path) -> Path:
    out = tmp_path / "movie.mp4"
    subprocess.run(
        [ffmpeg, "-y", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=s=320x180:r=25:d=5", "-f", "lavfi", "-i",
         "anoisesrc=d=5:c=pink:a=0.3", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac",
         "-shortest", str(out)], check=True,
    )  # fmt: skip
    return out


def test_evaluate_prints_a_table_with_one_score(movie: Path, tmp_path: Path) -> None:
    plan = heuristic_plan(PlanRequest(duration=5.0), make_library(n_photos=5))
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(plan.model_dump_json())
    run = _cli("evaluate", str(movie), "--plan", str(plan_file), home=tmp_path / "home")
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].split() == ["metric", "score", "weight"]
    rows = {
        line.split()[0]: line.split()[1]
        for line in lines[2:]
        if line and line[0].isalpha() and not line.startswith("not")
    }
    assert {"duration", "movie_duration", "loudness", "black_frames", "frozen_frames", "overall"} <= set(rows)
    assert 0.0 <= float(rows["overall"]) <= 1.0 and float(rows["black_frames"]) == 1.0
    assert "not scored without --media" in run.stdout and "on_beat" in run.stdout


def test_evaluate_refuses_a_file_that_is_not_a_plan(movie: Path, tmp_path: Path) -> None:
    junk = tmp_path / "plan.json"
    junk.write_text('{"hello": 1}')
    run = _cli("evaluate", str(movie), "--plan", str(junk), home=tmp_path / "home")
    assert run.returncode == 2 and "is not an edit plan" in run.stderr
    run = _cli("evaluate", str(tmp_path / "nope.mp4"), "--plan", str(junk), home=tmp_path / "home")
    assert run.returncode == 2 and "not found" in run.stderr


@pytest.mark.slow
def test_evaluate_with_media_scores_every_part_of_a_rendered_movie(make_tiny_set, tmp_path: Path) -> None:
    """make -> plan.json + MP4, then evaluate with --media: the library parts join in."""
    media = make_tiny_set(3)
    folder = media[0].parent
    home = tmp_path / "home"
    movie, plan_file = tmp_path / "out.mp4", tmp_path / "plan.json"
    made = _cli(
        "make",
        *map(str, media),
        "--duration",
        "6",
        "--draft",
        "-o",
        str(movie),
        "--plan-out",
        str(plan_file),
        home=home,
    )
    assert made.returncode == 0, made.stderr
    run = _cli("evaluate", str(movie), "--plan", str(plan_file), "--media", str(folder), home=home)
    assert run.returncode == 0, run.stderr
    rows = {
        ln.split()[0]: ln.split()[1]
        for ln in run.stdout.splitlines()[2:]
        if ln and ln[0].isalpha() and ln.split()[0] != "not"
    }
    assert {
        "on_beat",
        "energy_match",
        "faces",
        "story_arc",
        "loudness",
        "black_frames",
        "frozen_frames",
        "overall",
    } <= set(rows)
    assert "not scored without --media" not in run.stdout
    assert float(rows["black_frames"]) == 1.0 and float(rows["movie_duration"]) > 0.8
    assert float(rows["overall"]) > 0.6
