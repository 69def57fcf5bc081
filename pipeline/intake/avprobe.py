"""Probe videos and songs with PyAV (the ffmpeg wheel has no ffprobe), and turn animated GIFs
into short clips.

Opening a clip proves little (a damaged mdat still has a valid index), so a probe also decodes:
the first frames must come out, and within a small time budget we count packets that fail, which
tells a lightly damaged clip (kept, with a warning) from an undecodable one (refused).
"""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pipeline.intake import rejected

DECODE_BUDGET_S = 2.0  # wall time spent verifying a clip's frames at intake
_ATTACHED_PIC = 0x400  # AV_DISPOSITION_ATTACHED_PIC: cover art in an MP3/M4A is not a video


@dataclass(frozen=True)
class AvProbe:
    kind: str  # "video" | "audio"
    duration: float
    fps: float | None = None
    width: int | None = None  # display size, after rotation
    height: int | None = None
    rotation: int = 0
    has_audio: bool = False
    warnings: tuple[str, ...] = field(default=())
    capture_time: datetime | None = None


def probe_av(path: Path, name: str, label: str | None = None) -> AvProbe:
    import av

    try:
        container = av.open(str(path), metadata_errors="ignore")
    except av.error.FFmpegError as exc:
        if _mp4_without_moov(path):
            raise rejected.missing_index(name) from exc
        raise (rejected.damaged(name, label) if label else rejected.not_media(name)) from exc
    with container:
        videos = [s for s in container.streams.video if not (int(s.disposition) & _ATTACHED_PIC)]
        audios = list(container.streams.audio)
        if videos:
            return _probe_video(container, videos[0], bool(audios), name)
        if audios:
            return _probe_audio(container, audios[0], name)
    raise rejected.not_media(name)


def _probe_video(container: Any, stream: Any, has_audio: bool, name: str) -> AvProbe:
    import av

    stream.thread_type = "AUTO"
    first = None
    decoded = failed = 0
    last_time = 0.0
    started = time.monotonic()
    try:
        for packet in container.demux(stream):
            try:
                for frame in packet.decode():
                    decoded += 1
                    if frame.time is not None:
                        last_time = max(last_time, float(frame.time))
                    if first is None:
                        first = frame
            except av.error.FFmpegError:
                failed += 1
            if first is None and failed >= 30:
                break  # nothing decodes: don't walk the whole file to prove it
            if first is not None and time.monotonic() - started > DECODE_BUDGET_S:
                break
    except av.error.FFmpegError:
        failed += 1  # demuxing stopped early: keep what decoded
    if first is None:
        raise rejected.corrupt_video(name)

    rotation = int(getattr(first, "rotation", 0) or 0) % 360
    width, height = first.width, first.height
    if rotation in (90, 270):
        width, height = height, width
    fps = float(stream.average_rate or stream.guessed_rate or 0) or None
    duration = _duration(container, stream) or last_time + (1.0 / fps if fps else 0.0)
    warnings: tuple[str, ...] = ()
    if failed:
        share = failed / max(failed + decoded, 1)
        warnings = (
            f"{name} is partly damaged ({share:.0%} of the frames checked could not be decoded); damaged parts may look glitchy.",
        )
    return AvProbe(
        "video", duration, fps, width, height, rotation, has_audio, warnings, _capture_time(container)
    )


def _capture_time(container: Any) -> datetime | None:
    """Local wall-clock time of recording, comparable with photos' EXIF times. Only Apple's
    creationdate carries it; the generic creation_time is UTC on phones but local time on most
    cameras, so trusting it would misplace clips by hours against the photos of the same day."""
    raw = (container.metadata or {}).get("com.apple.quicktime.creationdate")
    if not isinstance(raw, str):
        return None
    try:
        when = datetime.strptime(raw[:19], "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        return None
    return when if when.year > 1970 else None


def _probe_audio(container: Any, stream: Any, name: str) -> AvProbe:
    import av

    decoded = 0
    try:
        for packet in container.demux(stream):
            try:
                decoded += len(packet.decode())
            except av.error.FFmpegError:
                continue
            if decoded >= 5:
                break
    except av.error.FFmpegError:
        pass
    if decoded == 0:
        raise rejected.corrupt_audio(name)
    duration = _duration(container, stream)
    if not duration:
        raise rejected.corrupt_audio(name)
    return AvProbe("audio", duration, has_audio=True)


def _duration(container: Any, stream: Any) -> float:
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return container.duration / 1_000_000
    return 0.0


def _mp4_without_moov(path: Path) -> bool:
    """Walk the top-level ISO-BMFF boxes: ftyp/mdat present, moov absent = an interrupted write."""
    seen: set[bytes] = set()
    size_total = path.stat().st_size
    with path.open("rb") as fh:
        pos = 0
        for _ in range(64):
            fh.seek(pos)
            header = fh.read(16)
            if len(header) < 8:
                break
            size = int.from_bytes(header[:4], "big")
            kind = header[4:8]
            if size == 1 and len(header) >= 16:
                size = int.from_bytes(header[8:16], "big")
            elif size == 0:
                size = size_total - pos
            seen.add(kind)
            if size < 8:
                break
            pos += size
    return b"ftyp" in seen and b"moov" not in seen


def gif_frame_count(path: Path) -> int:
    from PIL import Image

    with Image.open(path) as image:
        return int(getattr(image, "n_frames", 1))


def gif_to_clip(src: Path, out: Path, ffmpeg: str) -> None:
    """An animated GIF becomes an H.264 clip (played once): one shot, not a pile of frames."""
    tmp = out.with_name(f".{out.stem}.{uuid.uuid4().hex}.mp4")
    cmd = [
        ffmpeg, "-nostdin", "-loglevel", "error", "-y", "-i", str(src),
        "-vf", "scale=trunc(iw/2)*2:trunc(ih/2)*2:flags=lanczos,format=yuv420p",
        "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-movflags", "+faststart", "-an", str(tmp),
    ]  # fmt: skip
    try:
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
