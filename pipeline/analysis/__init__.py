"""Analysis: accepted `MediaItem`s in, a `Library` (per-item analyses + duplicate groups) out.

Each item's result is cached by content hash (see cache.py), so only new media costs time. Photos
and clips are analysed in worker threads (OpenCV, dlib and the decoders run in C); songs go to a
child process (`python -m pipeline.analysis.music`, not multiprocessing: that re-imports the
caller's main script), because importing librosa (numba) holds the GIL for seconds and would stall
everything else on a 2-core machine.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib.util
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from pipeline.analysis.cache import AnalysisCache
from pipeline.analysis.tagging import filename_words
from pipeline.models import (
    Library,
    MediaItem,
    MediaKind,
    MusicAnalysis,
    PhotoAnalysis,
    ProgressFn,
    VideoAnalysis,
    no_progress,
)
from pipeline.settings import PipelineSettings

log = logging.getLogger(__name__)

PARALLEL = 2
SONG_TIMEOUT_S = 60.0  # per song (plus one for the child's start-up); a 4-minute song takes ~1 s

Analysis = PhotoAnalysis | VideoAnalysis | MusicAnalysis


async def analyse_media(
    items: Sequence[MediaItem], settings: PipelineSettings, progress: ProgressFn = no_progress
) -> Library:
    cache = AnalysisCache(settings.cache_dir)
    unique = list({item.id: item for item in items}.values())
    await progress("analysis", 0.0)
    total = max(len(unique), 1)
    results: dict[str, Analysis] = {}
    pending: list[MediaItem] = []
    for item in unique:
        cached = _load_cached(cache, item)
        if cached is not None:
            results[item.id] = cached
        else:
            pending.append(item)
    done = len(results)
    if done:
        await progress("analysis", done / total * 0.95)

    gate = asyncio.Semaphore(PARALLEL)
    songs = [i for i in pending if i.kind == MediaKind.MUSIC]
    others = [i for i in pending if i.kind != MediaKind.MUSIC]

    async def visual(item: MediaItem) -> None:
        nonlocal done
        async with gate:
            try:
                result = await asyncio.to_thread(_analyse_visual, item, cache)
            except Exception:  # one unreadable item costs its analysis, never the library
                log.warning("analysis failed for %s", item.original_name, exc_info=True)
            else:
                results[item.id] = result
        done += 1
        await progress("analysis", done / total * 0.95)

    async def music() -> None:
        nonlocal done
        for item, song in zip(songs, await _analyse_songs(songs, settings), strict=True):
            if song is not None:
                cache.store("music", item.sha256, song)
                results[item.id] = song
        done += len(songs)
        await progress("analysis", done / total * 0.95)

    # songs start first: their process imports librosa while the photos are analysed
    await asyncio.gather(*([music()] if songs else []), *(visual(i) for i in others))

    library = _assemble(unique, results)
    groups = await asyncio.to_thread(_groups, library, cache)
    await progress("analysis", 1.0)
    return library.model_copy(update={"duplicate_groups": groups})


def _load_cached(cache: AnalysisCache, item: MediaItem) -> Analysis | None:
    if item.kind == MediaKind.PHOTO:
        return cache.load("photo", item.sha256, PhotoAnalysis)
    if item.kind == MediaKind.VIDEO:
        return cache.load("video", item.sha256, VideoAnalysis)
    return cache.load("music", item.sha256, MusicAnalysis)


def _analyse_visual(item: MediaItem, cache: AnalysisCache) -> Analysis:
    if item.kind == MediaKind.PHOTO:
        from pipeline.analysis.photo import analyse_photo

        photo, features = analyse_photo(item)
        cache.store_arrays(
            "photo", item.sha256, keypoints=features.keypoints, descriptors=features.descriptors
        )
        cache.store("photo", item.sha256, photo)
        return photo
    from pipeline.analysis.video import analyse_video

    video = analyse_video(item)
    cache.store("video", item.sha256, video)
    return video


async def _analyse_songs(songs: list[MediaItem], settings: PipelineSettings) -> list[MusicAnalysis | None]:
    """Songs in a child process (`python -m pipeline.analysis.music`), in a thread if that fails."""
    payload = json.dumps([s.model_dump(mode="json") for s in songs]).encode()
    try:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "pipeline.analysis.music",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            env=_child_env(settings),
        )  # fmt: skip
        try:
            out, err = await asyncio.wait_for(proc.communicate(payload), SONG_TIMEOUT_S * (1 + len(songs)))
        except TimeoutError:  # a song that hangs a decoder: the movie goes on without music analysis
            proc.kill()
            await proc.wait()
            log.warning("music analysis timed out for %s", ", ".join(s.original_name for s in songs))
            return [None] * len(songs)
        except asyncio.CancelledError:  # the job was cancelled: don't leave the child computing
            proc.kill()
            await proc.wait()
            raise
        if proc.returncode == 0:
            raw = json.loads(out)
            if err.strip():
                log.warning("music analysis: %s", err.decode(errors="replace").strip()[-2000:])
            return [MusicAnalysis.model_validate(r) if r is not None else None for r in raw]
        log.warning(
            "music analysis process failed (%s): %s", proc.returncode, err.decode(errors="replace")[-2000:]
        )
    except (OSError, ValueError):
        log.warning("music analysis process could not run; analysing in-process", exc_info=True)
    from pipeline.analysis.music import analyse_music

    results: list[MusicAnalysis | None] = []
    for song in songs:
        try:
            results.append(await asyncio.to_thread(analyse_music, song))
        except Exception:
            log.warning("music analysis failed for %s", song.original_name, exc_info=True)
            results.append(None)
    return results


def _child_env(settings: PipelineSettings) -> dict[str, str]:
    env = dict(os.environ)  # the child inherits the process environment, plus two needs of ours
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    if "NUMBA_CACHE_DIR" not in env:
        spec = importlib.util.find_spec("librosa")
        package_dir = Path(spec.origin).parent if spec and spec.origin else None
        if package_dir is None or not os.access(package_dir, os.W_OK):
            # numba caches compiled beat tracking next to librosa; elsewhere when that's read-only
            env["NUMBA_CACHE_DIR"] = str(settings.cache_dir / "numba")
    return env


def _assemble(items: list[MediaItem], results: dict[str, Analysis]) -> Library:
    """Per-run facts (id, file-name words, capture time) go on top of the cached, content-only analysis."""
    photos: dict[str, PhotoAnalysis] = {}
    videos: dict[str, VideoAnalysis] = {}
    music: dict[str, MusicAnalysis] = {}
    for item in items:
        result = results.get(item.id)
        if result is None:
            continue
        tags = tuple(dict.fromkeys([*filename_words(item.original_name), *result.tags]))
        if isinstance(result, PhotoAnalysis):
            photos[item.id] = result.model_copy(
                update={"media_id": item.id, "tags": tags, "capture_time": item.capture_time}
            )
        elif isinstance(result, VideoAnalysis):
            videos[item.id] = result.model_copy(
                update={"media_id": item.id, "tags": tags, "capture_time": item.capture_time}
            )
        else:
            music[item.id] = result.model_copy(update={"media_id": item.id, "tags": tags})
    return Library(items={i.id: i for i in items}, photos=photos, videos=videos, music=music)


class _Groups(Library):
    """Cache wrapper for duplicate groups (a Library has exactly the right field)."""


def _groups(library: Library, cache: AnalysisCache) -> tuple[tuple[str, ...], ...]:
    photos = list(library.photos.values())
    if len(photos) < 2:
        return ()
    key = hashlib.sha256(
        "|".join(f"{p.media_id}:{library.items[p.media_id].sha256}:{p.quality}" for p in photos).encode()
    ).hexdigest()[:32]
    cached = cache.load("dups", key, _Groups)
    if cached is not None:
        return cached.duplicate_groups
    from pipeline.analysis.duplicates import duplicate_groups  # OpenCV: not needed by the music child

    features = {}
    for p in photos:
        arrays = cache.load_arrays("photo", library.items[p.media_id].sha256)
        if arrays is not None:
            features[p.media_id] = (arrays["keypoints"], arrays["descriptors"])
    groups = duplicate_groups(photos, features)
    cache.store("dups", key, _Groups(duplicate_groups=groups))
    return groups
