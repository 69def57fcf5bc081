"""Analysis of the awkward-but-valid files of ../shared/corpus/bad (after intake)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import cv2
import numpy as np
import pytest

from pipeline.analysis import analyse_media
from pipeline.analysis.video import _decode
from pipeline.intake import intake_files
from pipeline.models import IntakeReport, Library
from pipeline.settings import PipelineSettings

KEEP = [
    "animation_pedestrians.gif",
    "corrupt_garbage_in_mdat.mp4",
    "edge_rotation_metadata_stored_sideways.mp4",
    "panorama_360_garching_4096x464.jpg",
    "real_iphone8plus_rotated_arrow.heic",
]


@pytest.fixture(scope="module")
def awkward(corpus_bad: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[IntakeReport, Library]:
    settings = PipelineSettings(work_dir=tmp_path_factory.mktemp("awkward"), local_only=True)

    async def run() -> tuple[IntakeReport, Library]:
        report = await intake_files([corpus_bad / n for n in KEEP], settings)
        return report, await analyse_media(report.accepted, settings)

    return asyncio.run(run())


def _id(report: IntakeReport, name: str) -> str:
    return next(i.id for i in report.accepted if i.original_name == name)


def test_every_awkward_file_is_analysed(awkward: tuple[IntakeReport, Library]) -> None:
    report, lib = awkward
    assert len(report.accepted) == len(KEEP)
    assert set(lib.photos) | set(lib.videos) == {i.id for i in report.accepted}


def test_panorama_is_tagged_and_measured_at_full_width(awkward: tuple[IntakeReport, Library]) -> None:
    report, lib = awkward
    p = lib.photos[_id(report, "panorama_360_garching_4096x464.jpg")]
    assert (p.width, p.height) == (4096, 464)
    assert {"panorama", "landscape"} <= set(p.tags)
    assert not p.is_blurry and not p.is_dark


def test_gif_clip_and_damaged_clip_get_segments(awkward: tuple[IntakeReport, Library]) -> None:
    report, lib = awkward
    gif = lib.videos[_id(report, "animation_pedestrians.gif")]
    assert gif.duration == pytest.approx(4.0, abs=0.3) and gif.best_segments
    damaged = lib.videos[_id(report, "corrupt_garbage_in_mdat.mp4")]
    assert damaged.duration == pytest.approx(8.0, abs=0.3) and damaged.best_segments


def test_sideways_clip_is_analysed_upright(awkward: tuple[IntakeReport, Library], corpus_dev: Path) -> None:
    """The same fixed camera as dev/dv3: turned upright, its frames must match dv3's view."""
    report, lib = awkward
    item = next(i for i in report.accepted if i.original_name.startswith("edge_rotation"))
    v = lib.videos[item.id]
    assert (v.width, v.height) == (768, 576) and v.rotation == item.rotation
    frame = _decode(item, item.duration or 6.0).grey[0]
    assert frame.shape[1] > frame.shape[0]  # landscape after rotation

    import av

    with av.open(str(corpus_dev / "dv3_pedestrians_no_audio.mp4")) as c:
        reference = next(c.decode(video=0)).to_ndarray(format="gray")

    def similarity(a: np.ndarray, b: np.ndarray) -> float:
        a = cv2.resize(a, (96, 72)).astype(np.float32).ravel()
        b = cv2.resize(b, (96, 72)).astype(np.float32).ravel()
        return float(np.corrcoef(a, b)[0, 1])

    upright = similarity(frame, reference)
    upside_down = similarity(np.rot90(frame, 2), reference)
    assert upright > 0.7 and upright > upside_down + 0.2
