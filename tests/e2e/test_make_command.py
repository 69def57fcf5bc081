"""`memory-movie make` as a user runs it: a real process, real media, the MP4 probed afterwards.

The issue's acceptance run: the dev corpus (22 photos, 3 clips, a song) at 45 s, full 1080p, and
the same plan shape vertical (as a draft: same timing and framing, a fraction of the encode)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import av
import pytest

from pipeline.analysis import analyse_media
from pipeline.intake import intake_files
from pipeline.models import EditPlan, Library
from pipeline.settings import PipelineSettings
from tests.conftest import REPO

pytestmark = pytest.mark.slow


def _run_make(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MEMORY_MOVIE_HOME": str(home), "MEMORY_MOVIE_LOCAL_ONLY": "1"}
    env.pop("GEMINI_API_KEY", None)
    exe = Path(sys.executable).with_name("memory-movie")
    done = subprocess.run([str(exe), "make", *args], env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def _probe(path: Path) -> dict[str, object]:
    with av.open(str(path)) as f:
        v = f.streams.video[0]
        a = f.streams.audio[0]
        return {
            "duration": float(f.duration or 0) / 1e6,
            "size": (v.codec_context.width, v.codec_context.height),
            "codecs": (v.codec_context.name, a.codec_context.name),
        }


async def _library(home: Path, corpus: Path) -> Library:
    # the same settings as the CLI run, so this is served from its analysis cache
    settings = PipelineSettings(work_dir=home, local_only=True)
    report = await intake_files([corpus], settings)
    return await analyse_media(report.accepted, settings)


def _check_plan(plan: EditPlan, library: Library) -> None:
    shown = {s.media_id for s in plan.segments}
    for group in library.duplicate_groups:
        assert len(shown & set(group)) <= 1, f"near-duplicates shown together: {group}"
    weak = {m for m, p in library.photos.items() if p.is_blurry or p.is_dark}
    for s in plan.segments:
        if s.media_id in weak:  # allowed only to fill the time, and then as the shortest shots
            assert s.duration <= min(x.duration for x in plan.segments if x.media_id not in weak) + 1e-6
    beats = next(iter(library.music.values())).beats
    music_start = plan.music.source_start if plan.music else 0.0
    cuts = plan.cut_times()
    on_beat = [c for c in cuts if min(abs(c + music_start - b) for b in beats) <= 0.05]
    assert len(on_beat) >= 0.8 * len(cuts), f"{len(on_beat)}/{len(cuts)} cuts on the beat"


async def test_dev_corpus_45_seconds_full_hd(corpus_dev: Path, tmp_path: Path) -> None:
    home, out, plan_json = tmp_path / "home", tmp_path / "trip.mp4", tmp_path / "plan.json"
    done = _run_make(home, str(corpus_dev), "--music", str(corpus_dev / "dm1_sectoid_war_of_freedom_140bpm.ogg"),
                     "--prompt", "upbeat recap, end on the sunset", "--duration", "45", "-o", str(out),
                     "--plan-out", str(plan_json))  # fmt: skip
    info = _probe(out)
    assert abs(info["duration"] - 45) <= 0.5  # type: ignore[operator]
    assert info["size"] == (1920, 1080) and info["codecs"] == ("h264", "aac")
    # the summary names what was left out, and why
    assert "d08_blur_clock_motion_gray.jpg" in done.stdout and "blurry" in done.stdout
    assert "near-duplicate" in done.stdout
    plan = EditPlan.model_validate_json(plan_json.read_text())
    library = await _library(home, corpus_dev)
    _check_plan(plan, library)
    closing = library.items[plan.segments[-1].media_id].original_name
    assert "sunset" in closing


async def test_dev_corpus_vertical_keeps_every_face_in_frame(corpus_dev: Path, tmp_path: Path) -> None:
    home, out, plan_json = tmp_path / "home", tmp_path / "vertical.mp4", tmp_path / "plan.json"
    _run_make(home, str(corpus_dev), "--duration", "45", "--aspect", "9:16", "--draft", "-o", str(out),
              "--plan-out", str(plan_json))  # fmt: skip
    info = _probe(out)
    width, height = info["size"]  # type: ignore[misc]
    assert abs(info["duration"] - 45) <= 0.5 and height > width  # type: ignore[operator]
    plan = EditPlan.model_validate_json(plan_json.read_text())
    library = await _library(home, corpus_dev)
    _check_plan(plan, library)
    faces_checked = 0
    for s in plan.segments:
        photo = library.photos.get(s.media_id)
        if photo is None or s.motion is None:
            continue
        for face in photo.faces:
            for box in (s.motion.start, s.motion.end):
                assert box.x <= face.x and face.x + face.w <= box.x + box.w, (s.media_id, face, box)
                assert box.y <= face.y and face.y + face.h <= box.y + box.h, (s.media_id, face, box)
            faces_checked += 1
    assert faces_checked >= 2  # the astronaut and the portraits are in the cut


def test_readme_demo_runs_on_the_sample_media(tmp_path: Path) -> None:
    examples = REPO / "examples"
    media = sorted(p for p in examples.iterdir() if p.suffix in (".jpg", ".png", ".mp4"))
    out = tmp_path / "demo.mp4"
    _run_make(tmp_path / "home", *map(str, media), "--music", str(next(examples.glob("*.ogg"))),
              "--prompt", "upbeat 20 second recap, end on the mountain", "--duration", "20", "--draft",
              "-o", str(out))  # fmt: skip
    info = _probe(out)
    assert abs(info["duration"] - 20) <= 0.5  # type: ignore[operator]
    assert json.dumps(info["codecs"]) == json.dumps(["h264", "aac"])
