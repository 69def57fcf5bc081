"""Analysis of ../shared/corpus/dev, checked against its MANIFEST.md (the calibration set).

One analysis run is shared by the whole module (it takes several seconds cold)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipeline.analysis import analyse_media
from pipeline.intake import intake_files
from pipeline.models import Library
from pipeline.settings import PipelineSettings

pytestmark = pytest.mark.slow

PHOTOS = [f"d{n:02d}" for n in range(1, 23)]


@dataclass
class Dev:
    library: Library
    ids: dict[str, str]  # "d08" / "dv1" / "dm1" -> media id
    settings: PipelineSettings

    def photo(self, key: str):  # type: ignore[no-untyped-def]
        return self.library.photos[self.ids[key]]

    def name(self, media_id: str) -> str:
        return next(k for k, v in self.ids.items() if v == media_id)


@pytest.fixture(scope="module")
def dev(corpus_dev: Path, tmp_path_factory: pytest.TempPathFactory) -> Dev:
    settings = PipelineSettings(work_dir=tmp_path_factory.mktemp("dev-analysis"), local_only=True)

    async def run() -> Library:
        report = await intake_files([corpus_dev], settings)
        assert not [r for r in report.rejected if not r.name.lower().startswith("manifest")]
        return await analyse_media(report.accepted, settings)

    library = asyncio.run(run())
    ids = {item.original_name.split("_")[0]: item.id for item in library.items.values()}
    return Dev(library, ids, settings)


def test_every_item_is_analysed(dev: Dev) -> None:
    assert len(dev.library.photos) == 22
    assert len(dev.library.videos) == 3
    assert len(dev.library.music) == 2


def test_blurry_photos_are_exactly_d08_and_d09(dev: Dev) -> None:
    blurry = sorted(k for k in PHOTOS if dev.photo(k).is_blurry)
    assert blurry == ["d08", "d09"]
    assert all("blurry" in dev.photo(k).tags for k in blurry)


def test_dark_photos_are_exactly_d10_and_d11(dev: Dev) -> None:
    dark = sorted(k for k in PHOTOS if dev.photo(k).is_dark)
    assert dark == ["d10", "d11"]


def test_blurry_and_dark_photos_rank_below_the_good_ones(dev: Dev) -> None:
    weak = {"d08", "d09", "d10", "d11"}
    worst_good = min(dev.photo(k).quality for k in PHOTOS if k not in weak)
    assert max(dev.photo(k).quality for k in weak) < worst_good


def test_near_duplicate_groups_match_the_manifest(dev: Dev) -> None:
    groups = {frozenset(dev.name(i) for i in g) for g in dev.library.duplicate_groups}
    assert groups == {frozenset({"d02", "d03"}), frozenset({"d06", "d07"}), frozenset({"d12", "d22"})}
    for group in dev.library.duplicate_groups:  # best first
        qualities = [dev.library.photos[i].quality for i in group]
        assert qualities == sorted(qualities, reverse=True)
    crop_group = next(g for g in dev.library.duplicate_groups if dev.ids["d03"] in g)
    assert crop_group[0] == dev.ids["d02"]  # the full photo beats its crop


def test_faces_found_on_portraits_and_nowhere_else(dev: Dev) -> None:
    for key in ("d01", "d02", "d03"):
        p = dev.photo(key)
        assert len(p.faces) == 1, key
        assert "face" in p.tags
        face = p.faces[0]
        s = p.salient
        assert s is not None and (s.x, s.y, s.w, s.h) == pytest.approx(
            (face.x, face.y, face.w, face.h), abs=1e-3
        )
    assert dev.photo("d01").faces[0].y < 0.4  # the astronaut's head is in the upper part
    for key in PHOTOS[4:]:
        assert dev.photo(key).faces == (), key


def test_boxes_are_normalised(dev: Dev) -> None:
    for p in dev.library.photos.values():
        for b in (*p.faces, p.salient):
            assert b is not None
            assert (
                b.x >= 0 and b.y >= 0 and b.x + b.w <= 1.0001 and b.y + b.h <= 1.0001 and b.w > 0 and b.h > 0
            )


def test_orientation_shape_and_tags(dev: Dev) -> None:
    d05 = dev.photo("d05")
    assert (d05.width, d05.height) == (1536, 2048)
    assert "portrait" in d05.tags
    assert "landscape" in dev.photo("d13").tags
    assert "sunset" in dev.photo("d13").tags
    assert {"monochrome"} <= set(dev.photo("d04").tags)
    assert dev.photo("d13").capture_time is None
    assert dev.photo("d18").capture_time is not None and dev.photo("d18").capture_time.year == 2007
    assert dev.photo("d18").colourfulness > dev.photo("d04").colourfulness


def test_clips_cuts_segments_and_speech(dev: Dev) -> None:
    dv1, dv2, dv3 = (dev.library.videos[dev.ids[k]] for k in ("dv1", "dv2", "dv3"))
    assert dv1.has_audio and not dv2.has_audio and not dv3.has_audio
    assert not dv1.has_speech  # a rocket's roar is not speech
    assert len(dv2.scene_cuts) >= 2  # "several cuts"
    assert dv3.scene_cuts == ()  # one static camera
    assert dv1.scene_cuts and 2.5 < dv1.scene_cuts[0] < 3.6  # wide pad shot, then the close-up
    for v in (dv1, dv2, dv3):
        assert v.best_segments
        for seg in v.best_segments:
            assert 0 <= seg.start < seg.end <= v.duration + 1e-6
            assert seg.end - seg.start <= 5.0 + 1e-6
            assert 0 <= seg.score <= 1
            assert not any(seg.start < cut < seg.end for cut in v.scene_cuts)  # never straddles a cut
    long_scenes = [s for s in dv3.best_segments if s.end - s.start >= 2.0]
    assert long_scenes
    assert dv2.motion > dv3.motion  # handheld street scenes vs a fixed camera


def test_music_tempo_beats_and_sections(dev: Dev) -> None:
    dm1 = dev.library.music[dev.ids["dm1"]]
    assert any(abs(dm1.tempo - bpm) / bpm < 0.03 for bpm in (70, 140, 280)), dm1.tempo
    assert dm1.duration == pytest.approx(120.0, abs=0.2)
    intervals = [b - a for a, b in zip(dm1.beats, dm1.beats[1:], strict=False)]
    period = 60.0 / dm1.tempo
    steady = sum(abs(i - period) < 0.06 for i in intervals) / len(intervals)
    assert steady > 0.8
    assert set(dm1.downbeats) <= set(dm1.beats)
    assert len(dm1.downbeats) == pytest.approx(len(dm1.beats) / 4, abs=1)
    assert len(dm1.energy) == 240 and max(dm1.energy) <= 1.0 and min(dm1.energy) >= 0.0
    for song in dev.library.music.values():
        sections = song.sections
        assert sections[0].start == 0.0 and sections[-1].end == pytest.approx(song.duration)
        assert all(a.end == b.start for a, b in zip(sections, sections[1:], strict=False))
        assert "peak" in {s.label for s in sections}
        peak = max(sections, key=lambda s: s.energy)
        assert peak.label == "peak"
    dm2 = dev.library.music[dev.ids["dm2"]]
    assert dm1.mood == "energetic" and dm2.mood == "calm"
    for song in (dm1, dm2):  # both open and close the story
        assert song.sections[0].label == "intro" and song.sections[-1].label == "outro"


def test_second_run_is_served_from_the_cache(dev: Dev) -> None:
    items = list(dev.library.items.values())
    again = asyncio.run(analyse_media(items, dev.settings))
    assert again == dev.library
