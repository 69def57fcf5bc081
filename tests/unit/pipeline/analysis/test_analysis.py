"""Analysis on small synthetic media: photo metrics, duplicates, cache, clip cuts, beats, speech."""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFilter

from pipeline.analysis import analyse_media
from pipeline.analysis.speech import RATE, is_speech
from pipeline.intake import intake_files
from pipeline.models import Library, MediaItem
from pipeline.settings import PipelineSettings


async def _library(paths: list[Path], settings: PipelineSettings) -> tuple[Library, dict[str, MediaItem]]:
    report = await intake_files(paths, settings)
    assert not report.rejected, report.rejected
    library = await analyse_media(report.accepted, settings)
    return library, {i.original_name: i for i in report.accepted}


async def test_blurred_copy_is_grouped_behind_the_sharp_photo(
    tiny_media, pipeline_settings: PipelineSettings
) -> None:
    sharp = tiny_media.photo("beach_day.jpg", size=(640, 360), seed=2)
    blurred = tiny_media.root / "beach_day_shaky.jpg"
    Image.open(sharp).filter(ImageFilter.GaussianBlur(6)).save(blurred, quality=90)
    other = tiny_media.root / "garden.jpg"  # a different picture: stripes, not the gradient
    yy, xx = np.mgrid[0:360, 0:640]
    stripes = ((np.sin(xx / 9.0 + yy / 23.0) > 0) * 200 + 30).astype(np.uint8)
    Image.fromarray(np.stack([stripes, 255 - stripes, stripes // 2], -1)).save(other, quality=90)
    lib, items = await _library([blurred, sharp, other], pipeline_settings)
    s, b = lib.photos[items["beach_day.jpg"].id], lib.photos[items["beach_day_shaky.jpg"].id]
    assert b.is_blurry and not s.is_blurry
    assert b.sharpness < s.sharpness and b.quality < s.quality
    assert lib.duplicate_groups == ((s.media_id, b.media_id),)
    assert {"beach", "day"} <= set(s.tags) and "blurry" in b.tags


async def test_dark_photo_is_flagged(tmp_path: Path, pipeline_settings: PipelineSettings) -> None:
    rng = np.random.default_rng(0)
    dark = (rng.integers(0, 40, size=(180, 320, 3))).astype(np.uint8)
    path = tmp_path / "night.jpg"
    Image.fromarray(dark).save(path)
    lib, items = await _library([path], pipeline_settings)
    p = lib.photos[items["night.jpg"].id]
    assert p.is_dark and "dark" in p.tags and p.brightness < 0.2
    assert p.faces == () and p.salient is not None


async def test_second_run_uses_the_cache_even_without_the_files(
    tiny_media, pipeline_settings: PipelineSettings
) -> None:
    files = [tiny_media.photo("a.jpg", seed=1), tiny_media.clip("c.mp4", seconds=2.0)]
    first, items = await _library(files, pipeline_settings)
    for item in items.values():  # nothing left to decode: only the cache can answer
        item.path.unlink()
    second = await analyse_media(list(items.values()), pipeline_settings)
    assert second == first
    entries = sorted(p.name.split("-")[0] for p in (pipeline_settings.cache_dir / "analysis").glob("*.json"))
    assert entries == ["photo", "video"]


async def test_an_unreadable_item_costs_only_itself(
    tiny_media, pipeline_settings: PipelineSettings, caplog: pytest.LogCaptureFixture
) -> None:
    report = await intake_files(
        [tiny_media.photo("a.jpg", seed=1), tiny_media.photo("b.jpg", seed=2)], pipeline_settings
    )
    broken = report.accepted[1]
    broken.path.write_bytes(b"not a photo any more")
    with caplog.at_level(logging.WARNING):
        lib = await analyse_media(report.accepted, pipeline_settings)
    assert set(lib.photos) == {report.accepted[0].id}
    assert set(lib.items) == {i.id for i in report.accepted}
    assert any("b.jpg" in r.getMessage() for r in caplog.records)


async def test_progress_reaches_one(tiny_media, pipeline_settings: PipelineSettings) -> None:
    seen: list[float] = []

    async def progress(stage: str, fraction: float) -> None:
        assert stage == "analysis"
        seen.append(fraction)

    report = await intake_files([tiny_media.photo("a.jpg")], pipeline_settings)
    await analyse_media(report.accepted, pipeline_settings, progress)
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen)


def _two_scenes(ffmpeg: str, path: Path, gop: int = 250) -> Path:
    subprocess.run(
        [
            ffmpeg, "-nostdin", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25:duration=3",
            "-f", "lavfi", "-i", "smptebars=size=320x180:rate=25:duration=3",
            "-f", "lavfi", "-i", "sine=frequency=440:duration=6",
            "-filter_complex", "[0:v][1:v]concat=n=2:v=1:a=0[v]", "-map", "[v]", "-map", "2:a",
            "-c:v", "libx264", "-preset", "ultrafast", "-g", str(gop), "-pix_fmt", "yuv420p", "-c:a", "aac", str(path),
        ],
        check=True,
    )  # fmt: skip
    return path


async def test_clip_scene_cut_and_segments(
    tiny_media, ffmpeg: str, pipeline_settings: PipelineSettings
) -> None:
    path = _two_scenes(ffmpeg, tiny_media.root / "two_scenes.mp4")
    lib, items = await _library([path], pipeline_settings)
    v = lib.videos[items["two_scenes.mp4"].id]
    assert v.duration == pytest.approx(6.0, abs=0.1)
    assert len(v.scene_cuts) == 1 and v.scene_cuts[0] == pytest.approx(3.0, abs=0.05)
    assert v.has_audio and not v.has_speech  # a held tone is not a voice
    assert (v.width, v.height) == (320, 180)
    assert len(v.best_segments) >= 2
    for seg in v.best_segments:
        assert not seg.start < 3.0 < seg.end
        assert 2.0 <= seg.end - seg.start <= 5.0 + 1e-6


@pytest.mark.parametrize(("gop", "tolerance"), [(10, 0.45), (250, 0.05)])
async def test_heavy_clip_is_sampled_on_keyframes(
    tiny_media,
    ffmpeg: str,
    pipeline_settings: PipelineSettings,
    monkeypatch: pytest.MonkeyPatch,
    gop: int,
    tolerance: float,
) -> None:
    """Over the work budget only keyframes are decoded; too few keyframes (gop 250: two in 6 s)
    and the whole clip is decoded after all."""
    import pipeline.analysis.video as video

    monkeypatch.setattr(video, "HEAVY_WORK", 1.0)
    path = _two_scenes(ffmpeg, tiny_media.root / f"heavy_{gop}.mp4", gop=gop)
    lib, items = await _library([path], pipeline_settings)
    v = lib.videos[items[path.name].id]
    assert len(v.scene_cuts) == 1 and v.scene_cuts[0] == pytest.approx(3.0, abs=tolerance)
    assert v.best_segments and all(s.end <= 6.0 + 1e-6 for s in v.best_segments)


async def test_song_beats_land_on_the_clicks(tiny_media, pipeline_settings: PipelineSettings) -> None:
    song = tiny_media.song("click_track.wav", seconds=12.0, bpm=120.0)
    lib, items = await _library([song], pipeline_settings)
    m = lib.music[items["click_track.wav"].id]
    assert any(abs(m.tempo - bpm) / bpm < 0.03 for bpm in (60, 120, 240)), m.tempo
    inner = [b for b in m.beats if 1.0 < b < 11.0]
    assert len(inner) >= 8
    offsets = [abs(b - round(b * 2) / 2) for b in inner]  # clicks every 0.5 s
    assert max(offsets) < 0.05
    assert set(m.downbeats) <= set(m.beats)
    assert len(m.energy) == 24 and m.energy_hop == 0.5
    assert m.sections[0].start == 0 and m.sections[-1].end == pytest.approx(m.duration)


def _syllables(seconds: float = 5.0, seed: int = 0) -> np.ndarray:
    """Voiced syllables: a glottal pulse train through three formant resonators, 3-5 per second."""
    from scipy.signal import lfilter

    rng = np.random.default_rng(seed)
    out = np.zeros(int(seconds * RATE))
    t = 0
    while t < out.size:
        syl, gap = int(rng.uniform(0.12, 0.3) * RATE), int(rng.uniform(0.03, 0.15) * RATE)
        seg = np.zeros(syl)
        seg[:: int(RATE / rng.uniform(100, 220))] = 1.0
        for freq, bw in ((rng.uniform(300, 800), 80), (rng.uniform(900, 2000), 100), (2600, 150)):
            r = np.exp(-np.pi * bw / RATE)
            seg = lfilter([1], [1, -2 * r * np.cos(2 * np.pi * freq / RATE), r * r], seg)
        seg *= np.hanning(syl)
        n = min(syl, out.size - t)
        out[t : t + n] = seg[:n]
        t += syl + gap
    return (out / np.abs(out).max() * 16000).astype(np.int16)


def test_speech_detector_separates_voice_from_tone_and_noise() -> None:
    t = np.arange(3 * RATE) / RATE
    tone = (10000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)
    noise = np.random.default_rng(1).normal(0, 3000, 3 * RATE).astype(np.int16)
    assert is_speech(_syllables())
    assert not is_speech(tone)
    assert not is_speech(noise)
    assert not is_speech(np.zeros(RATE * 2, np.int16))


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("d13_sunset_boats.jpg", ["sunset", "boats"]),
        ("IMG_20230101_beach-sunset.jpg", ["beach", "sunset"]),
        ("dv2_street_bikes_no_audio.mp4", ["street", "bikes"]),
        ("GrandmaBirthdayCake.HEIC", ["grandma", "birthday", "cake"]),
    ],
)
def test_file_name_words_become_tags(name: str, words: list[str]) -> None:
    from pipeline.analysis.tagging import filename_words

    assert filename_words(name) == words


async def test_songs_are_analysed_in_process_when_the_child_cannot_start(
    tiny_media,
    pipeline_settings: PipelineSettings,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    import pipeline.analysis as analysis

    report = await intake_files([tiny_media.song("s.wav", seconds=6.0)], pipeline_settings)
    monkeypatch.setattr(analysis.sys, "executable", str(tiny_media.root / "no-such-python"))
    with caplog.at_level(logging.WARNING):
        lib = await analyse_media(report.accepted, pipeline_settings)
    (song,) = lib.music.values()
    assert len(song.beats) >= 8
    assert any("in-process" in r.getMessage() for r in caplog.records)


async def test_cancelling_analysis_stops_the_music_child(
    tiny_media, pipeline_settings: PipelineSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    import pipeline.analysis as analysis

    started: list[asyncio.subprocess.Process] = []
    real_exec = asyncio.create_subprocess_exec

    async def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        proc = await real_exec(*args, **kwargs)
        started.append(proc)
        return proc

    monkeypatch.setattr(analysis.asyncio, "create_subprocess_exec", spy)
    report = await intake_files([tiny_media.song("s.wav", seconds=6.0)], pipeline_settings)
    task = asyncio.create_task(analyse_media(report.accepted, pipeline_settings))
    for _ in range(500):
        await asyncio.sleep(0.01)
        if started:
            break
    assert started, "the music child never started"
    await asyncio.sleep(0.2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert started[0].returncode is not None  # killed and reaped, not left computing


async def test_a_hanging_music_child_is_killed_after_the_timeout(
    tiny_media, pipeline_settings: PipelineSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pipeline.analysis as analysis

    monkeypatch.setattr(analysis, "SONG_TIMEOUT_S", 0.05)
    report = await intake_files(
        [tiny_media.song("s.wav", seconds=4.0), tiny_media.photo("p.jpg")], pipeline_settings
    )
    lib = await analyse_media(report.accepted, pipeline_settings)
    assert lib.music == {} and len(lib.photos) == 1  # the photo is still analysed
