"""Intake: files in, `MediaItem`s (normalised, upright) and `Rejection`s (with a reason) out.

Content decides what a file is (magic bytes, then a decoder), never its name. Each file is handled
on its own in a worker thread: one bad file is reported and the rest of the batch goes on.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import shutil
import subprocess
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pipeline.intake import rejected
from pipeline.intake.avprobe import gif_frame_count, gif_to_clip, probe_av
from pipeline.intake.headers import declared_size
from pipeline.intake.photos import normalise_photo
from pipeline.intake.rejected import Rejected
from pipeline.intake.sniff import HEAD_BYTES, Sniffed, looks_like_text, sniff
from pipeline.models import IntakeReport, MediaItem, MediaKind, ProgressFn, Rejection, no_progress
from pipeline.settings import PipelineSettings

log = logging.getLogger(__name__)

PARALLEL = 2  # the machines have 2 cores; decoding is mostly C that releases the GIL


def expand_paths(paths: Sequence[Path]) -> list[Path]:
    """Directories become their visible files (sorted, not recursive)."""
    out: list[Path] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            out.extend(p for p in sorted(path.iterdir()) if p.is_file() and not p.name.startswith("."))
        else:
            out.append(path)
    return out


async def intake_files(
    paths: Sequence[Path], settings: PipelineSettings, progress: ProgressFn = no_progress
) -> IntakeReport:
    files = expand_paths(paths)
    settings.media_dir.mkdir(parents=True, exist_ok=True)
    await progress("intake", 0.0)
    if not files:
        await progress("intake", 1.0)
        return IntakeReport()

    gate = asyncio.Semaphore(PARALLEL)
    done = 0

    async def digest_of(path: Path) -> str | None:
        async with gate:
            try:
                return await asyncio.to_thread(_sha256, path)
            except OSError:
                return None

    # every file is hashed before any is taken, so of the same bytes sent twice the one sent
    # first is kept (its name is the one the user sees), however the hashing threads race
    digests = await asyncio.gather(*(digest_of(p) for p in files))
    first_sent: dict[str, int] = {}
    for k, digest in enumerate(digests):
        if digest is not None:
            first_sent.setdefault(digest, k)

    async def one(k: int, path: Path, digest: str | None) -> MediaItem | Rejection | None:
        nonlocal done
        result: MediaItem | Rejection | None = None
        if digest is None:
            result = rejected.unreadable(path.name).to_rejection(path.name)
        elif first_sent[digest] == k:
            async with gate:
                result = await asyncio.to_thread(intake_one, path, digest, settings)
        done += 1
        await progress("intake", done / len(files))
        return result

    results = await asyncio.gather(
        *(one(k, p, d) for k, (p, d) in enumerate(zip(files, digests, strict=True)))
    )
    accepted = tuple(r for r in results if isinstance(r, MediaItem))
    refused = tuple(r for r in results if isinstance(r, Rejection))
    return IntakeReport(accepted=accepted, rejected=refused)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def intake_one(path: Path, digest: str, settings: PipelineSettings) -> MediaItem | Rejection:
    """Classify and normalise one file; never raises for a bad file."""
    name = path.name
    try:
        return _intake(path, digest, settings)
    except Rejected as refusal:
        return refusal.to_rejection(name)
    except Exception:  # a decoder bug must cost one file, not the batch
        log.warning("intake failed unexpectedly for %s", name, exc_info=True)
        return Rejection(
            name=name,
            code="unsupported",
            reason=f"{name} could not be processed — please try another copy or format.",
        )


def _intake(path: Path, digest: str, settings: PipelineSettings) -> MediaItem:
    name = path.name
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(HEAD_BYTES)
    except OSError as exc:
        raise rejected.unreadable(name) from exc
    if size == 0:
        raise rejected.empty(name)
    sniffed = sniff(head)
    media_id = digest[:16]
    common: dict[str, Any] = {"id": media_id, "sha256": digest, "original_name": name, "size_bytes": size}

    if sniffed.family == "unknown":
        raise rejected.text_file(name) if looks_like_text(head) else rejected.not_media(name)

    if sniffed.family == "gif":
        declared = declared_size(path, sniffed.mime)
        if declared and declared[0] * declared[1] > settings.max_image_pixels:
            raise rejected.bomb(name, declared[0], declared[1], settings.max_image_pixels)
    if sniffed.family == "gif" and _animated_gif(path):
        out = settings.media_dir / f"{media_id}.mp4"
        try:
            gif_to_clip(path, out, settings.ffmpeg_exe())
            probe = probe_av(out, name)
        except (subprocess.SubprocessError, OSError, Rejected):
            # no usable clip: its first frame still makes a photo
            log.warning("could not turn %s into a clip; using its first frame", name, exc_info=True)
            return _photo_item(path, sniffed, name, media_id, settings, common)
        return MediaItem(
            **common, kind=MediaKind.VIDEO, path=out, mime="video/mp4", width=probe.width, height=probe.height,
            duration=probe.duration, fps=probe.fps, has_audio=False,
            warnings=(f"{name} is an animated GIF: it plays as a short silent clip.",),
        )  # fmt: skip

    if sniffed.family in ("image", "gif", "heif"):
        return _photo_item(path, sniffed, name, media_id, settings, common)

    probe = probe_av(path, name, sniffed.label)
    if probe.kind == "video":
        if probe.duration > settings.max_video_seconds:
            raise rejected.too_long(name, probe.duration, settings.max_video_seconds)
        mime = sniffed.mime if sniffed.mime.startswith("video/") else "video/mp4"
        return MediaItem(
            **common, kind=MediaKind.VIDEO, path=_store(path, settings.media_dir, media_id, mime), mime=mime,
            width=probe.width, height=probe.height, duration=probe.duration, fps=probe.fps,
            has_audio=probe.has_audio, rotation=probe.rotation, warnings=probe.warnings, capture_time=probe.capture_time,
        )  # fmt: skip
    mime = sniffed.mime if sniffed.mime.startswith("audio/") else "audio/mp4"
    return MediaItem(
        **common, kind=MediaKind.MUSIC, path=_store(path, settings.media_dir, media_id, mime), mime=mime,
        duration=probe.duration, has_audio=True, warnings=probe.warnings,
    )  # fmt: skip


_EXTENSIONS = {
    "video/mp4": ".mp4", "video/quicktime": ".mov", "video/x-matroska": ".mkv", "video/x-msvideo": ".avi",
    "audio/ogg": ".ogg", "audio/mpeg": ".mp3", "audio/wav": ".wav", "audio/flac": ".flac", "audio/mp4": ".m4a",
    "audio/aiff": ".aiff", "audio/amr": ".amr",
}  # fmt: skip


def _store(src: Path, media_dir: Path, media_id: str, mime: str) -> Path:
    """Keep our own copy under media_dir: chat downloads live in temp dirs that vanish."""
    out = media_dir / f"{media_id}{_EXTENSIONS.get(mime, '.bin')}"
    if out.exists() and out.stat().st_size == src.stat().st_size:
        return out
    tmp = out.with_name(f".{out.name}.{uuid.uuid4().hex}.tmp")
    try:
        os.link(src, tmp)  # same filesystem: free
    except OSError:
        shutil.copyfile(src, tmp)
    os.replace(tmp, out)
    return out


def _photo_item(
    path: Path, sniffed: Sniffed, name: str, media_id: str, settings: PipelineSettings, common: dict[str, Any]
) -> MediaItem:
    photo = normalise_photo(path, sniffed, name, media_id, settings.media_dir, settings.max_image_pixels)
    return MediaItem(
        **common, kind=MediaKind.PHOTO, path=photo.path, mime=photo.mime, width=photo.width,
        height=photo.height, capture_time=photo.capture_time, warnings=photo.warnings,
    )  # fmt: skip


def _animated_gif(path: Path) -> bool:
    try:
        return gif_frame_count(path) > 1
    except (OSError, ValueError, SyntaxError, EOFError):
        return False  # let the photo path produce the precise rejection
