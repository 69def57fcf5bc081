"""Chunked rendering with its cache, loudness and ducking, and the size target."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import av
import numpy as np

from pipeline.models import EditPlan, MediaKind, RenderSpec, Transition, VideoAnalysis
from pipeline.render import encode_params, plan_chunks, probe_movie, render_movie
from pipeline.render.audio import render_audio
from pipeline.settings import PipelineSettings
from tests.conftest import TinyMedia
from tests.unit.pipeline.render.conftest import library_of, media_item, sequence_plan


def cut_frames(path: Path) -> tuple[int, list[int], list[np.ndarray]]:
    with av.open(str(path)) as box:
        frames = [f.to_ndarray(format="rgb24").astype(np.int16) for f in box.decode(video=0)]
    jumps = [float(np.abs(b - a).mean()) for a, b in zip(frames, frames[1:], strict=False)]
    return len(frames), [k + 1 for k, j in enumerate(jumps) if j > 25], frames


def with_hard_cuts(plan: EditPlan, crossfade_at: int) -> EditPlan:
    segs = tuple(
        s.model_copy(update={"transition_in": Transition(kind="crossfade", duration=0.5)})
        if s.index == crossfade_at
        else s
        for s in plan.segments
    )
    return plan.model_copy(update={"segments": segs})


async def test_chunked_render_matches_one_piece_and_reuses_untouched_chunks(
    tiny_media: TinyMedia, tiny_spec: Callable[..., RenderSpec], pipeline_settings: PipelineSettings
) -> None:
    # seeds far apart: clearly different pictures, so every cut shows as a jump
    photos = [
        media_item(tiny_media.photo(f"p{i}.jpg", seed=s), MediaKind.PHOTO) for i, s in enumerate((1, 4, 2, 5))
    ]
    photos.append(media_item(tiny_media.photo("tall.jpg", size=(120, 200), seed=6), MediaKind.PHOTO))
    song = media_item(tiny_media.song("s.wav", seconds=14), MediaKind.MUSIC)
    lib = library_of(*photos, song)
    plan = with_hard_cuts(sequence_plan([(p, 3.0) for p in photos[:4]], music=song), crossfade_at=2)
    spec = tiny_spec("chunked.mp4", fps=10)
    assert len(plan_chunks(plan, spec)) == 3  # split at the two hard cuts, not inside the crossfade
    chunked = await render_movie(plan, lib, spec, pipeline_settings)
    whole = await render_movie(
        plan, lib, tiny_spec("whole.mp4", fps=10, chunked=False, work_dir=None), pipeline_settings
    )
    assert (chunked.chunks_rendered, chunked.chunks_reused, whole.chunks_rendered) == (3, 0, 1)
    n_a, cuts_a, frames_a = cut_frames(chunked.path)
    n_b, cuts_b, frames_b = cut_frames(whole.path)
    assert n_a == n_b == 120
    assert cuts_a == cuts_b == [30, 90]  # the hard cuts, on the frame
    assert max(float(np.abs(a - b).mean()) for a, b in zip(frames_a, frames_b, strict=True)) < 4

    last = plan.segments[-1].model_copy(update={"media_id": photos[4].id})
    changed = plan.model_copy(update={"segments": (*plan.segments[:-1], last)})
    again = await render_movie(changed, lib, tiny_spec("changed.mp4", fps=10), pipeline_settings)
    assert (again.chunks_rendered, again.chunks_reused) == (1, 2)
    n_c, cuts_c, frames_c = cut_frames(again.path)
    assert n_c == 120 and cuts_c == [30, 90]
    assert float(np.abs(frames_c[100] - frames_a[100]).mean()) > 25  # the new last shot is in


def loudness(ffmpeg: str, path: Path) -> tuple[float, float]:
    err = subprocess.run(
        [ffmpeg, "-nostdin", "-i", str(path), "-map", "0:a", "-af", "ebur128=peak=true", "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    ).stderr  # fmt: skip
    summary = err[err.rindex("Summary:") :]
    integrated = float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1))  # type: ignore[union-attr]
    peak = float(re.search(r"Peak:\s+(-?[\d.]+) dBFS", summary).group(1))  # type: ignore[union-attr]
    return integrated, peak


async def test_sound_is_normalised_to_target_loudness_with_headroom(
    tiny_media: TinyMedia,
    ffmpeg: str,
    tiny_spec: Callable[..., RenderSpec],
    pipeline_settings: PipelineSettings,
) -> None:
    photo = media_item(tiny_media.photo("a.jpg", seed=1), MediaKind.PHOTO)
    clip = media_item(
        tiny_media.clip("c.mp4", seconds=3.0), MediaKind.VIDEO, width=320, height=180, has_audio=True
    )
    song = media_item(tiny_media.song("s.wav", seconds=12), MediaKind.MUSIC)
    plan = sequence_plan([(photo, 4.0), (clip, 2.5), (photo, 3.5)], music=song)
    plan = plan.model_copy(
        update={"segments": tuple(s.model_copy(update={"audio": "keep"}) for s in plan.segments)}
    )
    result = await render_movie(plan, library_of(photo, clip, song), tiny_spec(fps=10), pipeline_settings)
    integrated, peak = loudness(ffmpeg, result.path)
    assert abs(integrated - -14.0) <= 1.0
    assert peak <= -1.0


async def test_a_loud_song_is_turned_down_to_the_target_without_clipping(
    tiny_media: TinyMedia, ffmpeg: str, tmp_path: Path
) -> None:
    """A dense, loud master (the usual pop song) takes the plain-gain path: one measured gain."""
    import soundfile

    rate = 48000
    rng = np.random.default_rng(3)
    t = np.arange(rate * 8) / rate
    beat = 0.6 + 0.4 * (np.sin(2 * np.pi * 2 * t) > 0)  # loud, pumping, never near full scale
    noise = rng.normal(0, 0.5, (len(t) + 8, 2))
    # an 8-sample moving average: most energy below ~5 kHz, like music (AAC drops the top octave)
    band = (np.cumsum(noise, axis=0)[8:] - np.cumsum(noise, axis=0)[:-8]) / np.sqrt(8)
    song_pcm = np.clip(band * beat[:, None], -0.7, 0.7).astype(np.float32)
    loud = tiny_media.root / "loud.wav"
    soundfile.write(loud, song_pcm, rate)
    photo = media_item(tiny_media.photo("a.jpg"), MediaKind.PHOTO)
    song = media_item(loud, MediaKind.MUSIC)
    plan = sequence_plan([(photo, 3.0), (photo, 3.0)], music=song)
    out = await render_audio(plan, library_of(photo, song), ffmpeg, tmp_path / "a.m4a", target_lufs=-14.0)
    integrated, peak = loudness(ffmpeg, out)
    before, _ = loudness(ffmpeg, loud)
    assert before > -11  # it really was louder than the target
    assert abs(integrated - -14.0) <= 1.0
    assert peak <= -1.0


async def test_speech_clip_ducks_the_music(tiny_media: TinyMedia, ffmpeg: str, tmp_path: Path) -> None:
    quiet = tiny_media.root / "quiet.mp4"
    subprocess.run(
        [ffmpeg, "-loglevel", "error", "-y", "-f", "lavfi", "-i", "color=size=64x64:duration=3", "-f", "lavfi",
         "-i", "anullsrc=r=48000:cl=stereo", "-t", "3", "-c:v", "libx264", "-c:a", "aac", str(quiet)],
        check=True,
    )  # fmt: skip
    photo = media_item(tiny_media.photo("a.jpg"), MediaKind.PHOTO)
    clip = media_item(quiet, MediaKind.VIDEO, has_audio=True)
    song = media_item(tiny_media.song("s.wav", seconds=10), MediaKind.MUSIC)
    talking = {
        clip.id: VideoAnalysis(
            media_id=clip.id, duration=3, fps=25, width=64, height=64, has_audio=True, has_speech=True
        )
    }
    plan = sequence_plan([(photo, 3.0), (clip, 2.0), (photo, 3.0)], music=song)
    plan = plan.model_copy(
        update={"segments": tuple(s.model_copy(update={"audio": "keep"}) for s in plan.segments)}
    )
    out = await render_audio(
        plan,
        library_of(photo, clip, song, videos=talking),
        ffmpeg,
        tmp_path / "a.m4a",
        target_lufs=-24.0,  # linear gain, no limiter
    )
    with av.open(str(out)) as box:
        pcm = np.concatenate([f.to_ndarray()[0] for f in box.decode(audio=0)])
    rate = 48000

    def rms(a: float, b: float) -> float:
        return float(np.sqrt(np.mean(pcm[int(a * rate) : int(b * rate)] ** 2)))

    ratio_db = 20 * np.log10(rms(3.5, 4.5) / rms(1.0, 2.0))
    assert -15 < ratio_db < -9  # music about 12 dB down while the clip talks


async def test_target_size_fits_and_picks_a_sensible_resolution(
    tiny_media: TinyMedia, tiny_spec: Callable[..., RenderSpec], pipeline_settings: PipelineSettings
) -> None:
    photos = [media_item(tiny_media.photo(f"p{i}.jpg", seed=20 + i), MediaKind.PHOTO) for i in range(3)]
    song = media_item(tiny_media.song("s.wav", seconds=8), MediaKind.MUSIC)
    plan = sequence_plan([(p, 2.0) for p in photos], music=song)
    limit = 150_000
    result = await render_movie(
        plan, library_of(*photos, song), tiny_spec(target_size_bytes=limit), pipeline_settings
    )
    assert result.size_bytes <= limit
    assert result.size_bytes > limit * 0.4  # the budget is used, not thrown away
    assert probe_movie(result.path)["frames"] == 90
    # a 3-minute 1080p movie for Discord's 10 MiB: drops to a lower resolution, keeps the aspect
    long = plan.model_copy(update={"duration": 180.0})
    params = encode_params(long, RenderSpec(output=Path("x.mp4"), target_size_bytes=10 * 2**20))
    assert params.height < 1080 and abs(params.width / params.height - 16 / 9) < 0.01
    assert params.video_bitrate is not None and params.video_bitrate * 180 / 8 < 10 * 2**20


def test_chunk_cache_drops_least_recently_used_first(tmp_path: Path) -> None:
    import os

    from pipeline.render.chunks import prune_cache

    files = []
    for k in range(4):
        p = tmp_path / f"chunk-{k}.mp4"
        p.write_bytes(b"x" * 1000)
        os.utime(p, (1000 + k, 1000 + k))
        files.append(p)
    (tmp_path / "notes.txt").write_bytes(b"y" * 5000)  # not ours: never touched
    prune_cache(tmp_path, keep={files[0]}, max_bytes=2500)
    assert [p.exists() for p in files] == [True, False, False, True]
    assert (tmp_path / "notes.txt").exists()
