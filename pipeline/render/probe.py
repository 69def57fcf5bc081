"""Probing rendered movies with PyAV (the imageio-ffmpeg wheel ships no ffprobe)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def probe_movie(path: Path | str) -> dict[str, Any]:
    """Duration, size, codecs, frame count and colour tags of a movie file.

    Keys: duration, width, height, video_codec, audio_codec, fps, frames, video_duration,
    audio_duration, pix_fmt, color_space, color_primaries, color_trc, color_range."""
    import av  # imported here: only probing needs it

    info: dict[str, Any] = {"audio_codec": None, "audio_duration": None}
    with av.open(str(path)) as box:
        info["duration"] = (box.duration or 0) / 1e6
        v = next((s for s in box.streams if s.type == "video"), None)
        a = next((s for s in box.streams if s.type == "audio"), None)
        if v is not None:
            cc: Any = v.codec_context  # a VideoCodecContext (the stubs type it as the base class)
            info.update(
                video_codec=cc.name, width=cc.width, height=cc.height, pix_fmt=cc.format.name if cc.format else None,
                fps=float(v.average_rate) if v.average_rate else None, frames=v.frames,
                video_duration=float(v.duration * v.time_base) if v.duration and v.time_base else None,
                color_space=_name(cc.colorspace), color_primaries=_name(cc.color_primaries),
                color_trc=_name(cc.color_trc), color_range=_name(cc.color_range, _RANGES),
            )  # fmt: skip
        if a is not None:
            info["audio_codec"] = a.codec_context.name
            if a.duration and a.time_base:
                info["audio_duration"] = float(a.duration * a.time_base)
    return info


# ffmpeg's enum values (AVColorSpace/AVColorPrimaries/AVColorTransferCharacteristic share 1 = BT.709)
_NAMES = {0: "rgb", 1: "bt709", 2: "unknown", 4: "fcc", 5: "bt470bg", 6: "smpte170m", 9: "bt2020"}
_RANGES = {0: "unknown", 1: "tv", 2: "pc"}


def _name(value: Any, table: dict[int, str] = _NAMES) -> str | None:
    if value is None:
        return None
    try:
        return table.get(int(value), str(int(value)))
    except (TypeError, ValueError):
        return str(value).lower()
