"""Gemini analysis through the real client: structured answers parsed and merged into the
Library, clips uploaded once via the File API, everything cached by content hash."""

from __future__ import annotations

import json

from pipeline.intelligence.analysis import GeminiAnalyst
from pipeline.intelligence.client import GeminiClient, close_client
from tests.unit.pipeline.planning.synth import make_library, mid


def _answer_for(body: dict) -> dict:
    system = body["systemInstruction"]["parts"][0]["text"]
    texts = [p["text"] for c in body["contents"] for p in c["parts"] if "text" in p]
    ids = [t.split(": ", 1)[1] for t in texts if t.startswith("media_id: ")]
    if "photo editor" in system:
        return {"photos": [{"media_id": i, "subjects": ["Dog"], "tags": ["Beach", "sunset", "beach"], "aesthetic": 0.9,
                            "composition": "rule of thirds"} for i in ids] + [{"media_id": "stranger", "tags": ["x"]}]}  # fmt: skip
    if "video editor" in system:
        return {"tags": ["waves"], "segments": [
            {"start": 0.5, "end": 3.0, "visual": "waves", "transcript": "look at that!", "speaker": "A",
             "tone": "joyful", "sync_priority": 0.9, "action": "use"},
            {"start": 3.0, "end": 8.0, "visual": "shaky", "action": "skip"}]}  # fmt: skip
    return {"mood": "uplifting", "genre": "pop", "sections": [{"start": 0, "end": 20, "label": "intro"},
                                                              {"start": 20, "end": 60, "label": "chorus"}]}  # fmt: skip


async def test_structured_analysis_is_parsed_merged_and_cached(gemini, ai_settings, tmp_path):
    lib = make_library(tmp_path / "media", n_photos=9, blurry=0, dark=0, dup_pair=False, write_files=True)
    lib = lib.model_copy(
        update={"videos": {k: v.model_copy(update={"best_segments": ()}) for k, v in lib.videos.items()}}
    )
    lib = lib.model_copy(
        update={"music": {k: v.model_copy(update={"sections": ()}) for k, v in lib.music.items()}}
    )
    for item in lib.items.values():
        if not item.path.exists():  # clip and song: any bytes will do for the upload
            item.path.parent.mkdir(parents=True, exist_ok=True)
            item.path.write_bytes(item.original_name.encode() * 100)
    gemini.handler = lambda model, body: _answer_for(body)
    client = GeminiClient(ai_settings, base_delay=0.01)
    try:
        enriched = await GeminiAnalyst(client, ai_settings.cache_dir, project_id="proj1").enrich(lib)
    finally:
        await close_client(client)

    photo = enriched.photos[mid("p00_photo.jpg")]
    assert {"beach", "sunset", "dog"} <= set(photo.tags) and photo.tags.count("beach") == 1
    assert photo.quality > lib.photos[mid("p00_photo.jpg")].quality  # the model liked it
    video = enriched.videos[mid("v0_clip.mp4")]
    assert "waves" in video.tags and video.has_speech
    assert [(s.start, s.end) for s in video.best_segments] == [(0.5, 3.0)]  # "skip" moment left out
    song = enriched.music[mid("song.ogg")]
    assert song.mood is not None and [s.label for s in song.sections] == ["intro", "peak"]
    # 9 photos in batches of 8 -> 2 calls; one each for the clip and the song
    assert len(gemini.generate_calls) == 4
    first = gemini.generate_calls[0].body["contents"][0]["parts"]
    assert sum("inlineData" in p for p in first) == 8
    assert gemini.upload_starts == 2 and len(gemini.files) == 2
    assert all(name.startswith("mm-") for name in gemini.files)
    assert {u.project_id for u in client.usage} == {"proj1"}

    # a second run (another project, same media): all from the cache, nothing sent
    before = len(gemini.requests)
    client2 = GeminiClient(ai_settings)
    try:
        again = await GeminiAnalyst(client2, ai_settings.cache_dir).enrich(lib)
    finally:
        await close_client(client2)
    assert len(gemini.requests) == before
    assert again == enriched


async def test_a_file_gemini_already_holds_is_not_uploaded_again(gemini, ai_settings, tmp_path):
    clip = tmp_path / "c.mp4"
    clip.write_bytes(b"\0" * 5000)
    gemini.processing_polls = 1  # the first look says PROCESSING, like a real video
    client = GeminiClient(ai_settings, base_delay=0.001, sleep=_no_sleep)
    try:
        first = await client.upload(clip, "ab" * 32, "video/mp4")
        second = await client.upload(clip, "ab" * 32, "video/mp4")
    finally:
        await close_client(client)
    assert str(first.state).endswith("ACTIVE") and first.uri == second.uri
    assert gemini.upload_starts == 1
    start = next(r for r in gemini.requests if r.path == "/upload/v1beta/files")
    assert start.headers["X-Goog-Upload-Protocol"] == "resumable"
    assert json.dumps(start.body).count("files/mm-abab") == 1


async def _no_sleep(seconds: float) -> None:
    return None


async def test_the_facade_plans_on_geminis_tags_and_analyses_once(gemini, ai_settings, tmp_path):
    from pipeline.api import Pipeline
    from pipeline.intelligence.brain import GeminiBrain
    from pipeline.models import PlanRequest

    lib = make_library(tmp_path / "media", n_photos=6, videos=0, music=False, write_files=True)
    seen: list[str] = []

    def handler(model: str, body: dict) -> dict:
        system = body["systemInstruction"]["parts"][0]["text"]
        if "photo editor" in system:
            seen.append("photos")
            return _answer_for(body)
        if "reviewing a cut" in system:
            seen.append("critique")
            return {"score": 1.0}
        seen.append("plan")
        assert '"sunset"' in body["contents"][0]["parts"][0]["text"]  # Gemini's tag is in the brief
        return {"shots": [{"media_id": mid(f"p0{i}_photo.jpg"), "seconds": 2.5} for i in range(4)]}

    gemini.handler = handler
    brain = GeminiBrain(ai_settings, GeminiClient(ai_settings, base_delay=0.01))
    try:
        pipeline = Pipeline(ai_settings, brain=brain)
        first = await pipeline.plan(PlanRequest(duration=10.0), lib)
        second = await pipeline.plan(PlanRequest(duration=12.0), lib)
    finally:
        await brain.aclose()
    assert seen.count("photos") == 2  # 10 photos in batches of 8, once for both movies
    assert seen.count("plan") == 2 and first.plan.planner == second.plan.planner == "gemini"
    assert first.notes == () and second.notes == ()
