"""Shared fixtures: corpus paths, tiny synthetic media, settings, and a guard that fails any
test which logs at ERROR (a swallowed error is still a bug)."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pipeline.settings import PipelineSettings

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus"
IN_CI = os.environ.get("CI") == "true"


def _corpus(sub: str) -> Path:
    path = CORPUS / sub
    if not path.is_dir():
        pytest.skip(f"shared corpus not found at {path} (it sits beside the repo as ../shared/corpus)")
    return path


@pytest.fixture(scope="session")
def corpus_dev() -> Path:
    return _corpus("dev")


@pytest.fixture(scope="session")
def corpus_bad() -> Path:
    return _corpus("bad")


@pytest.fixture(scope="session")
def ffmpeg() -> str:
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


@pytest.fixture
def pipeline_settings(tmp_path: Path) -> PipelineSettings:
    return PipelineSettings(work_dir=tmp_path / "work", local_only=True)


@pytest.fixture(autouse=True)
def _fail_on_error_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    caplog.set_level(logging.WARNING)
    yield
    errors = [r for r in caplog.get_records("call") if r.levelno >= logging.ERROR]
    if errors and not getattr(caplog, "errors_expected", False):
        pytest.fail("logged at ERROR: " + "; ".join(r.getMessage() for r in errors[:3]))


class TinyMedia:
    """Small synthetic media made on the fly (ffmpeg lavfi + numpy): fast unit-test inputs."""

    def __init__(self, root: Path, ffmpeg: str) -> None:
        self.root = root
        self.ffmpeg = ffmpeg
        root.mkdir(parents=True, exist_ok=True)

    def _run(self, *args: str) -> None:
        subprocess.run([self.ffmpeg, "-nostdin", "-loglevel", "error", "-y", *args], check=True)

    def photo(self, name: str = "photo.jpg", size: tuple[int, int] = (320, 180), seed: int = 0) -> Path:
        rng = np.random.default_rng(seed)
        w, h = size
        # smooth gradient + texture: sharp enough to pass the blur check, distinct per seed
        yy, xx = np.mgrid[0:h, 0:w]
        base = np.stack([(xx * 255 // max(w - 1, 1)), (yy * 255 // max(h - 1, 1)), np.full_like(xx, seed * 40 % 255)], -1)
        noise = rng.integers(0, 60, size=(h, w, 3))
        img = np.clip(base + noise, 0, 255).astype(np.uint8)
        path = self.root / name
        Image.fromarray(img).save(path, quality=90)
        return path

    def clip(self, name: str = "clip.mp4", seconds: float = 3.0, size: str = "320x180", audio: bool = True) -> Path:
        path = self.root / name
        args = ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate=25:duration={seconds}"]
        if audio:
            args += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}", "-c:a", "aac"]
        self._run(*args, "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-shortest", str(path))
        return path

    def song(self, name: str = "song.wav", seconds: float = 12.0, bpm: float = 120.0) -> Path:
        """Clicks on every beat over a quiet tone: a song whose beat times are known exactly."""
        sr = 22050
        t = np.arange(int(sr * seconds)) / sr
        y = 0.05 * np.sin(2 * np.pi * 220 * t)
        period = 60.0 / bpm
        for k in range(int(seconds / period) + 1):
            start = int(k * period * sr)
            n = min(int(0.03 * sr), len(y) - start)
            if n > 0:
                y[start : start + n] += 0.8 * np.exp(-np.arange(n) / (0.004 * sr)) * np.sin(
                    2 * np.pi * 1000 * np.arange(n) / sr
                )
        import soundfile

        path = self.root / name
        soundfile.write(path, y.astype(np.float32), sr)
        return path

    def copy(self, src: Path, name: str | None = None) -> Path:
        dest = self.root / (name or src.name)
        shutil.copyfile(src, dest)
        return dest


@pytest.fixture
def tiny_media(tmp_path: Path, ffmpeg: str) -> TinyMedia:
    return TinyMedia(tmp_path / "media", ffmpeg)


@pytest.fixture
def make_tiny_set(tiny_media: TinyMedia) -> Callable[[int], list[Path]]:
    """n distinct photos + one clip + one song."""

    def make(n_photos: int = 4) -> list[Path]:
        files = [tiny_media.photo(f"p{i}.jpg", seed=i + 1) for i in range(n_photos)]
        return [*files, tiny_media.clip(), tiny_media.song()]

    return make
