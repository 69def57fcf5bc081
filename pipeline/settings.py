"""Settings the pipeline needs. Built once by an entry point (bots.settings) and passed down."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, SecretStr


class PipelineSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    work_dir: Path  # normalised media, analysis cache, render chunks live below this
    ffmpeg: str | None = None  # None: the ffmpeg in the imageio-ffmpeg wheel
    max_image_pixels: int = 100_000_000  # refuse larger images from the header, before decoding
    max_video_seconds: float = 600.0
    threads: int = 0  # ffmpeg/opencv threads; 0 = let them decide
    # intelligence: no key or local_only -> the offline implementations
    gemini_api_key: SecretStr | None = None
    gemini_model: str = "gemini-2.5-flash"
    gemini_base_url: str | None = None  # tests point this at the local stub
    local_only: bool = False
    refine_rounds: int = 3

    @property
    def cache_dir(self) -> Path:
        return self.work_dir / "cache"

    @property
    def media_dir(self) -> Path:
        return self.work_dir / "media"

    @property
    def renders_dir(self) -> Path:
        return self.work_dir / "renders"

    def ffmpeg_exe(self) -> str:
        if self.ffmpeg:
            return self.ffmpeg
        import imageio_ffmpeg  # imported here: only rendering needs it

        return str(imageio_ffmpeg.get_ffmpeg_exe())

    @property
    def use_ai(self) -> bool:
        return self.gemini_api_key is not None and not self.local_only
