"""Every file of ../shared/corpus/bad/ handled as its MANIFEST.md documents."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from pipeline.intake import intake_files
from pipeline.models import IntakeReport, MediaItem, MediaKind, Rejection
from pipeline.settings import PipelineSettings

EXPECTED = {
    "truncated_photo.jpg": "rejected",
    "zero_bytes.jpg": "rejected",
    "text_file_named.jpg": "rejected",
    "bomb_20000x20000_rgb.png": "rejected",
    "corrupt_truncated_no_moov.mp4": "rejected",
    "corrupt_garbage_in_mdat.mp4": "video",  # kept with a warning: 51 of 80 frames decode
    "audio_ogg_vorbis_named.mp3": "music",
    "real_xiaomi_phone_photo.heic": "photo",
    "real_iphone8plus_rotated_arrow.heic": "photo",
    "animation_pedestrians.gif": "video",
    "panorama_360_garching_4096x464.jpg": "photo",
    "edge_rotation_metadata_stored_sideways.mp4": "video",
}


class Outcome:
    def __init__(self, report: IntakeReport, seconds: float) -> None:
        self.report = report
        self.seconds = seconds

    def item(self, name: str) -> MediaItem:
        found = [i for i in self.report.accepted if i.original_name == name]
        assert len(found) == 1, (
            f"{name}: expected one accepted item, got {len(found)}; rejected: {self.report.rejected}"
        )
        return found[0]

    def rejection(self, name: str) -> Rejection:
        found = [r for r in self.report.rejected if r.name == name]
        assert len(found) == 1, f"{name}: expected one rejection, got {len(found)}"
        return found[0]


@pytest.fixture(scope="module")
def bad(corpus_bad: Path, tmp_path_factory: pytest.TempPathFactory) -> Outcome:
    settings = PipelineSettings(work_dir=tmp_path_factory.mktemp("bad-intake"), local_only=True)
    files = [corpus_bad / name for name in EXPECTED]
    started = time.monotonic()
    report = asyncio.run(intake_files(files, settings))
    return Outcome(report, time.monotonic() - started)


def test_every_bad_file_has_an_expectation(corpus_bad: Path) -> None:
    on_disk = {p.name for p in corpus_bad.iterdir() if p.is_file() and p.suffix not in (".md", ".json")}
    assert on_disk == set(EXPECTED)


def test_whole_bad_batch_finishes_with_one_outcome_per_file(bad: Outcome) -> None:
    names = [i.original_name for i in bad.report.accepted] + [r.name for r in bad.report.rejected]
    assert sorted(names) == sorted(EXPECTED)
    for name, verdict in EXPECTED.items():
        if verdict == "rejected":
            assert bad.rejection(name).reason.startswith(name)
        else:
            assert bad.item(name).kind == MediaKind(verdict)
    assert bad.seconds < 60  # nothing hangs (garbage mdat, bomb)


def test_truncated_photo_is_rejected_as_cut_off(bad: Outcome) -> None:
    r = bad.rejection("truncated_photo.jpg")
    assert r.code == "truncated"
    assert "cut off" in r.reason and "send it again" in r.reason


def test_zero_byte_file_is_rejected_as_empty(bad: Outcome) -> None:
    r = bad.rejection("zero_bytes.jpg")
    assert r.code == "empty"
    assert "empty" in r.reason


def test_text_named_jpg_is_rejected_by_content(bad: Outcome) -> None:
    r = bad.rejection("text_file_named.jpg")
    assert r.code == "not_media"
    assert "text file" in r.reason


def test_decompression_bomb_is_refused_from_the_header(bad: Outcome) -> None:
    r = bad.rejection("bomb_20000x20000_rgb.png")
    assert r.code == "bomb"
    assert "20000x20000" in r.reason
    assert Image.MAX_IMAGE_PIXELS == 89478485  # Pillow's global untouched


def test_mp4_without_moov_is_rejected_as_incomplete(bad: Outcome) -> None:
    r = bad.rejection("corrupt_truncated_no_moov.mp4")
    assert r.code == "truncated"
    assert "moov" in r.reason


def test_garbage_in_mdat_is_kept_with_a_warning(bad: Outcome) -> None:
    item = bad.item("corrupt_garbage_in_mdat.mp4")
    assert item.kind == MediaKind.VIDEO
    assert item.duration == pytest.approx(8.0, abs=0.2)
    assert (item.width, item.height) == (768, 576)
    assert item.warnings and "damaged" in item.warnings[0]


def test_ogg_named_mp3_is_accepted_as_ogg_music(bad: Outcome) -> None:
    item = bad.item("audio_ogg_vorbis_named.mp3")
    assert item.kind == MediaKind.MUSIC
    assert item.mime == "audio/ogg"
    assert item.duration == pytest.approx(20.0, abs=0.5)
    assert item.path.suffix == ".ogg" and item.path.is_file()


def test_xiaomi_heic_is_decoded_to_a_jpeg(bad: Outcome) -> None:
    item = bad.item("real_xiaomi_phone_photo.heic")
    assert (item.width, item.height) == (2592, 1944)
    assert item.capture_time is not None and item.capture_time.year == 2023
    with Image.open(item.path) as img:
        assert img.format == "JPEG" and img.size == (2592, 1944)


def arrow_points_up(path: Path) -> bool:
    """The arrowhead is the widest run of ink: in an upright arrow it sits in the upper half."""
    with Image.open(path) as img:
        grey = np.asarray(img.convert("L").resize((150, 200)))
    ink = grey < 90
    rows = [np.ptp(np.nonzero(r)[0]) if r.sum() > 1 else 0 for r in ink]
    widest = int(np.argmax(rows))
    return widest < len(rows) * 0.5


def test_iphone_heic_is_portrait_with_the_arrow_up(bad: Outcome) -> None:
    item = bad.item("real_iphone8plus_rotated_arrow.heic")
    assert (item.width, item.height) == (3024, 4032)
    with Image.open(item.path) as img:
        assert img.size == (3024, 4032)
        assert img.getexif().get(0x0112, 1) == 1  # nothing left for a viewer to rotate again
    assert arrow_points_up(item.path)


def test_animated_gif_becomes_one_short_clip(bad: Outcome) -> None:
    item = bad.item("animation_pedestrians.gif")
    assert item.kind == MediaKind.VIDEO
    assert item.duration == pytest.approx(4.0, abs=0.3)
    assert (item.width, item.height) == (320, 240)
    with av.open(str(item.path)) as c:
        assert c.streams.video[0].codec_context.name == "h264"
        assert sum(1 for _ in c.decode(video=0)) == 32


def test_panorama_keeps_its_full_width(bad: Outcome) -> None:
    item = bad.item("panorama_360_garching_4096x464.jpg")
    assert (item.width, item.height) == (4096, 464)
    with Image.open(item.path) as img:
        assert img.size == (4096, 464)


def test_sideways_stored_clip_reports_its_display_size_and_rotation(bad: Outcome) -> None:
    item = bad.item("edge_rotation_metadata_stored_sideways.mp4")
    assert (item.width, item.height) == (768, 576)
    assert item.rotation in (90, 270)
    assert item.duration == pytest.approx(6.0, abs=0.2)
    assert not item.warnings and not item.has_audio
