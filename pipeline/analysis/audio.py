"""Audio decoding shared by the song and speech analyses: PyAV, so anything intake accepted
(Ogg, MP3, M4A, Opus, FLAC, WAV, a clip's AAC track) reads the same way."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np


def decode_mono(
    path: str | Path, rate: int, max_seconds: float, sample_format: Literal["flt", "s16"] = "flt"
) -> np.ndarray:
    """The first `max_seconds` resampled to mono at `rate` (float32 or int16); empty when the
    file has no audio. Packets that don't decode are skipped, so a damaged stretch costs only itself."""
    import av

    dtype = np.float32 if sample_format == "flt" else np.int16
    chunks: list[np.ndarray] = []
    total, limit = 0, int(max_seconds * rate)
    with av.open(str(path), metadata_errors="ignore") as container:
        if not container.streams.audio:
            return np.zeros(0, dtype)
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format=sample_format, layout="mono", rate=rate)
        for packet in container.demux(stream):
            try:
                frames = packet.decode()
            except av.error.FFmpegError:
                continue
            for frame in frames:
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().reshape(-1))
                    total += chunks[-1].size
            if total >= limit:
                break
        chunks.extend(out.to_ndarray().reshape(-1) for out in resampler.resample(None))
    return np.concatenate(chunks).astype(dtype) if chunks else np.zeros(0, dtype)
