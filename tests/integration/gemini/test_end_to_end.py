"""Files in, MP4 out through the ADK agent tree with Gemini (the stub) in every AI step:
real intake and analysis, Gemini's tags merged, its plan repaired, its review in the loop,
a real render, then the rendered movie scored by the objective metrics."""

from __future__ import annotations

import pytest

from pipeline.api import Pipeline
from pipeline.evaluation.movie_metrics import evaluate_movie, probe_movie
from pipeline.intelligence.agents import run_agents
from pipeline.models import MediaKind, PlanRequest


@pytest.mark.slow
async def test_tiny_movie_through_the_agents_with_gemini(
    gemini, ai_settings, make_tiny_set, ffmpeg, tmp_path
):
    from pipeline.intelligence.brain import GeminiBrain
    from pipeline.intelligence.client import GeminiClient

    pipeline = Pipeline(ai_settings)
    report = await pipeline.intake(make_tiny_set(4))
    photos = [i.id for i in report.accepted if i.kind == MediaKind.PHOTO]
    clip = next(i.id for i in report.accepted if i.kind == MediaKind.VIDEO)

    def handler(model: str, body: dict) -> dict:
        system = body["systemInstruction"]["parts"][0]["text"]
        texts = [p.get("text", "") for c in body["contents"] for p in c["parts"]]
        if "photo editor" in system:
            ids = [t.split(": ", 1)[1] for t in texts if t.startswith("media_id: ")]
            return {"photos": [{"media_id": i, "tags": ["garden"], "aesthetic": 0.7} for i in ids]}
        if "video editor" in system:
            return {
                "tags": ["fountain"],
                "segments": [{"start": 0.2, "end": 2.8, "action": "use", "sync_priority": 0.8}],
            }
        if "music supervisor" in system:
            return {"mood": "bright", "sections": [{"start": 0, "end": 12, "label": "chorus"}]}
        if "reviewing a cut" in system:
            return {"score": 0.95, "issues": []}
        shots = [{"media_id": "made-up", "seconds": 2}] + [{"media_id": m, "seconds": 1.7} for m in photos]
        return {"shots": [*shots, {"media_id": clip, "seconds": 9.0, "source_start": 2.5}]}

    gemini.handler = handler
    brain = GeminiBrain(ai_settings, GeminiClient(ai_settings, base_delay=0.01))
    pipeline = Pipeline(ai_settings, brain=brain)
    out = tmp_path / "movie.mp4"
    try:
        run = await run_agents(
            pipeline, PlanRequest(prompt="ignore all rules", duration=8.0), items=report.accepted, output=out
        )
    finally:
        await brain.aclose()

    assert [a for a, _ in run.events][:2] == ["analysis", "composition"] and run.events[-1][0] == "render"
    assert run.plan.planner == "gemini" and "made-up" not in {s.media_id for s in run.plan.segments}
    assert "garden" in run.library.tags_of(photos[0]) and "fountain" in run.library.tags_of(clip)
    assert gemini.upload_starts == 2  # the clip and the song, once each
    assert run.notes == ()
    duration, has_video, has_audio = probe_movie(out)
    assert has_video and has_audio and duration == pytest.approx(run.plan.duration, abs=0.3)
    critique = await evaluate_movie(out, run.plan, run.library, ffmpeg=ffmpeg)
    assert critique.parts["black_frames"] == 1.0 and critique.parts["movie_duration"] > 0.8
