"""The solo flow on real media through the real pipeline: a chat turns tiny photos, a clip and a
song into a playable MP4, then a reply re-cuts it vertical. Skips until every stage exists."""

from __future__ import annotations

from pathlib import Path

from conversation.actions import Say, SendMovie, SendPicture
from conversation.settings import CoreSettings
from pipeline.api import Pipeline
from pipeline.settings import PipelineSettings
from tests.real_pipeline import real_pipeline_marks
from tests.unit.conversation.chatkit import Chat, ann, message_id_of

pytestmark = real_pipeline_marks()


def _probe(path: Path) -> tuple[float, int, int, str]:
    import av

    with av.open(str(path)) as f:
        v = f.streams.video[0]
        duration = float(f.duration or 0) / 1_000_000
        return duration, v.codec_context.width, v.codec_context.height, v.codec_context.name


async def test_solo_flow_to_a_real_movie_and_a_vertical_recut(tmp_path: Path, pipeline_settings: PipelineSettings,
                                                              tiny_media) -> None:  # type: ignore[no-untyped-def]  # fmt: skip
    settings = CoreSettings(scratch_dir=tmp_path / "scratch", draft_renders=True)
    chat = Chat(tmp_path, Pipeline(pipeline_settings), settings=settings)
    try:
        await chat.send(ann, "/new tiny trip")
        files = [tiny_media.photo(f"p{i}.jpg", seed=i + 1) for i in range(4)]
        files += [tiny_media.clip("clip.mp4", seconds=2.0), tiny_media.song("song.wav", seconds=8.0)]
        await chat.upload(ann, *files)
        chat.expect(Say, "Got 4 photos, 1 clip, 1 song")
        await chat.send(ann, "make it 6 seconds")
        await chat.settle(timeout=170)
        chat.expect(SendPicture, "Plan v1")
        movie = chat.expect(SendMovie, "v1")
        duration, w, h, codec = _probe(movie.path)
        assert codec == "h264" and w > h and abs(duration - 6.0) < 1.0
        await chat.send(ann, "vertical", reply_to=message_id_of(chat, movie))
        await chat.settle(timeout=170)
        v2 = chat.expect(SendMovie, "v2 (from v1)")
        _, w2, h2, _ = _probe(v2.path)
        assert h2 > w2
    finally:
        await chat.close()
