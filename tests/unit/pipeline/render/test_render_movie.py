"""render_movie end to end at tiny sizes: a real MP4, probed and decoded."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Callable
from pathlib import Path

import av
import numpy as np
import pytest

from pipeline.errors import RenderFailed
from pipeline.models import Box, MediaKind, Motion, RenderSpec, Segment, Transition
from pipeline.render import probe_movie, render_movie
from pipeline.settings import PipelineSettings
from tests.conftest import TinyMedia
from tests.unit.pipeline.render.conftest import library_of, media_item, sequence_plan


def frames_of(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as box:
        return [f.to_ndarray(format="rgb24") for f in box.decode(video=0)]


async def test_movie_has_exact_duration_h264_aac_bt709_and_poster(
    tiny_media: TinyMedia, tiny_spec: Callable[..., RenderSpec], pipeline_settings: PipelineSettings
) -> None:
    photo = media_item(tiny_media.photo("a.jpg", seed=1), MediaKind.PHOTO)
    tall = media_item(tiny_media.photo("b.jpg", size=(180, 320), seed=2), MediaKind.PHOTO)
    clip = media_item(tiny_media.clip("c.mp4"), MediaKind.VIDEO, width=320, height=180, has_audio=True)
    song = media_item(tiny_media.song("s.wav", seconds=12), MediaKind.MUSIC)
    plan = sequence_plan(
        [(photo, 1.6), (tall, 1.7), (clip, 2.1), (photo, 1.3)],
        transition=Transition(kind="crossfade", duration=0.4), music=song,
    )  # fmt: skip
    seen: list[float] = []

    async def progress(stage: str, fraction: float) -> None:
        assert stage == "rendering"
        seen.append(fraction)

    spec = tiny_spec()
    result = await render_movie(plan, library_of(photo, tall, clip, song), spec, pipeline_settings, progress)
    info = probe_movie(result.path)
    assert abs(info["duration"] - plan.duration) <= 1 / spec.fps
    assert info["frames"] == round(plan.duration * spec.fps)
    assert abs(info["audio_duration"] - info["video_duration"]) <= 1 / spec.fps
    assert (info["video_codec"], info["audio_codec"], info["pix_fmt"]) == ("h264", "aac", "yuv420p")
    assert (info["color_space"], info["color_primaries"], info["color_trc"], info["color_range"]) == (
        "bt709",
    ) * 3 + ("tv",)
    assert (result.width, result.height) == (320, 180)
    assert result.poster is not None and result.poster.stat().st_size > 1000
    assert seen and seen[-1] == 1.0 and seen == sorted(seen)
    # the faststart flag moved the index to the front: 'moov' before 'mdat'
    head = result.path.read_bytes()[:4096]
    assert 0 <= head.find(b"moov") < max(head.find(b"mdat"), 4096)


async def test_user_text_with_graph_syntax_renders_literally_and_is_drawn(
    tiny_media: TinyMedia, tiny_spec: Callable[..., RenderSpec], pipeline_settings: PipelineSettings
) -> None:
    photo = media_item(tiny_media.photo("a.jpg", seed=3), MediaKind.PHOTO)
    nasty = "It's \"fun\": a\\b; [x] %{pts} ${HOME} 'q',\n100%"
    plain = sequence_plan([(photo, 1.0)])
    with_text = plain.model_copy(
        update={"segments": (plain.segments[0].model_copy(update={"caption": nasty}),), "title": "T: %{n}\\'"}
    )
    lib = library_of(photo)
    a = await render_movie(plain, lib, tiny_spec("a.mp4"), pipeline_settings)
    b = await render_movie(with_text, lib, tiny_spec("b.mp4"), pipeline_settings)
    fa, fb = frames_of(a.path), frames_of(b.path)
    assert len(fa) == len(fb) == 15
    mid = len(fa) // 2
    diff = np.abs(fa[mid].astype(int) - fb[mid].astype(int)).max(axis=2)
    # caption near the bottom, title in the middle: both changed pixels
    assert (diff[130:175] > 60).sum() > 150
    assert (diff[60:110] > 60).sum() > 150


STILL = Motion(start=Box(x=0, y=0, w=1, h=1), end=Box(x=0, y=0, w=1, h=1))


@pytest.mark.parametrize("kind", ["dip_black", "dip_white", "wipeleft", "slideup", "circleopen"])
async def test_transitions_render_and_pass_through_their_midpoint(
    kind: str,
    tiny_media: TinyMedia,
    tiny_spec: Callable[..., RenderSpec],
    pipeline_settings: PipelineSettings,
) -> None:
    a = media_item(tiny_media.photo("a.jpg", seed=4), MediaKind.PHOTO)
    b = media_item(tiny_media.photo("b.jpg", seed=5), MediaKind.PHOTO)
    plan = sequence_plan([(a, 1.0), (b, 1.0)], transition=Transition(kind=kind, duration=0.6))  # type: ignore[arg-type]
    plan = plan.model_copy(
        update={"segments": tuple(s.model_copy(update={"motion": STILL}) for s in plan.segments)}
    )
    result = await render_movie(plan, library_of(a, b), tiny_spec(fps=10), pipeline_settings)
    frames = [f.astype(float) for f in frames_of(result.path)]
    assert len(frames) == 20
    mid, fa, fb = frames[10], frames[0], frames[19]  # t = 1.0 s: halfway through the transition

    def close(x: np.ndarray, y: np.ndarray) -> bool:
        return float(np.abs(x - y).mean()) < 12

    if kind == "dip_black":
        assert mid.mean() < 12
    elif kind == "dip_white":
        assert mid.mean() > 240
    elif kind == "wipeleft":
        assert close(mid[:, :150], fa[:, :150]) and close(mid[:, 170:], fb[:, 170:])
    elif kind == "slideup":
        assert close(mid[:80], fa[90:170]) and close(mid[100:], fb[10:90])
    else:
        assert close(mid[70:110, 140:180], fb[70:110, 140:180]) and close(mid[:20, :20], fa[:20, :20])
    assert not close(fa, fb)


async def test_rotated_clip_is_shown_upright(
    tiny_media: TinyMedia,
    ffmpeg: str,
    tiny_spec: Callable[..., RenderSpec],
    pipeline_settings: PipelineSettings,
) -> None:
    src = tiny_media.clip("land.mp4", seconds=1.0, size="320x180", audio=False)
    rotated = tiny_media.root / "rot.mp4"
    subprocess.run(
        [
            ffmpeg,
            "-loglevel",
            "error",
            "-y",
            "-display_rotation",
            "90",
            "-i",
            str(src),
            "-c",
            "copy",
            str(rotated),
        ],
        check=True,
    )
    clip = media_item(rotated, MediaKind.VIDEO, width=180, height=320, rotation=90)
    plan = sequence_plan([(clip, 1.0)])
    result = await render_movie(plan, library_of(clip), tiny_spec(), pipeline_settings)
    frame = frames_of(result.path)[7].astype(float)
    # a portrait picture in a landscape frame: a sharp centre column between darkened blurred sides
    centre, sides = frame[:, 120:200], np.concatenate([frame[:, :40], frame[:, -40:]], axis=1)
    assert np.abs(np.diff(centre, axis=1)).mean() > 2 * np.abs(np.diff(sides, axis=1)).mean()
    assert sides.mean() < centre.mean()


async def test_cancel_kills_ffmpeg(
    tiny_media: TinyMedia, tiny_spec: Callable[..., RenderSpec], pipeline_settings: PipelineSettings
) -> None:
    photo = media_item(tiny_media.photo("a.jpg", seed=6), MediaKind.PHOTO)
    plan = sequence_plan([(photo, 30.0)])
    task = asyncio.ensure_future(
        render_movie(
            plan,
            library_of(photo),
            tiny_spec(width=640, height=360, fps=30, preset="veryslow"),
            pipeline_settings,
        )
    )
    await asyncio.sleep(1.5)
    assert _ffmpeg_children(), "the render should be running ffmpeg by now"
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.sleep(0.2)
    assert _ffmpeg_children() == []


def _ffmpeg_children() -> list[int]:
    import os

    me = str(os.getpid())
    found = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text().rsplit(")", 1)[1].split()
                comm = (d / "comm").read_text().strip()
            except OSError:
                continue
            if stat[1] == me and "ffmpeg" in comm and stat[0] != "Z":
                found.append(int(d.name))
    return found


async def test_plan_with_missing_media_fails_clearly(
    tiny_media: TinyMedia, tiny_spec: Callable[..., RenderSpec], pipeline_settings: PipelineSettings
) -> None:
    photo = media_item(tiny_media.photo("a.jpg"), MediaKind.PHOTO)
    plan = sequence_plan([(photo, 1.0)])
    ghost = plan.model_copy(
        update={
            "segments": (
                Segment(index=0, media_id="nope", kind=MediaKind.PHOTO, timeline_start=0, duration=1),
            )
        }
    )
    with pytest.raises(RenderFailed, match="nope"):
        await render_movie(ghost, library_of(photo), tiny_spec(), pipeline_settings)


async def test_failing_ffmpeg_raises_render_failed_with_its_words(
    tiny_media: TinyMedia, tiny_spec: Callable[..., RenderSpec], pipeline_settings: PipelineSettings
) -> None:
    photo = media_item(tiny_media.photo("a.jpg"), MediaKind.PHOTO)
    junk = tiny_media.root / "song.ogg"
    junk.write_bytes(b"OggS" + bytes(range(256)) * 8)  # looks like a song, decodes as nothing
    song = media_item(junk, MediaKind.MUSIC)
    plan = sequence_plan([(photo, 1.0)], music=song)
    with pytest.raises(RenderFailed, match="ffmpeg exited with") as err:
        await render_movie(plan, library_of(photo, song), tiny_spec(), pipeline_settings)
    assert "song.ogg" in str(err.value) or "Invalid" in str(err.value)
