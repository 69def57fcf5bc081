"""Gemini analysis: photos in batches, clips and songs through the File API, merged into the
Library's tags and scores. Cached per content hash (a file per sha), so nothing is analysed or
uploaded twice; a failed item keeps its local analysis and costs nothing else."""

from __future__ import annotations

import asyncio
import io
import logging
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from pipeline.intelligence import prompts
from pipeline.intelligence.client import GeminiClient, GeminiError
from pipeline.intelligence.schemas import MusicInsight, PhotoBatch, PhotoInsight, VideoInsight
from pipeline.models import ClipSegment, Library, MediaItem, MediaKind, MusicSection

log = logging.getLogger(__name__)

PHOTO_BATCH = 8
PHOTO_EDGE = 768  # long edge sent to the model: plenty to tell a beach from a party

_SECTION = {
    "intro": "intro",
    "verse": "build",
    "bridge": "build",
    "chorus": "peak",
    "drop": "peak",
    "outro": "outro",
}


class InsightCache:
    def __init__(self, root: Path) -> None:
        self.root = root / "gemini"

    def _path(self, sha: str, kind: str) -> Path:
        return self.root / f"{sha}.{kind}.json"

    def get(self, sha: str, kind: str, model: type[BaseModel]) -> Any:
        path = self._path(sha, kind)
        try:
            return model.model_validate_json(path.read_text())
        except (OSError, ValueError):
            return None

    def put(self, sha: str, kind: str, value: BaseModel) -> None:
        path = self._path(sha, kind)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(value.model_dump_json())
        tmp.replace(path)  # atomic: a crash never leaves half a cache entry


def _photo_bytes(path: Path) -> bytes:
    from PIL import Image

    with Image.open(path) as im:
        im = im.convert("RGB")
        im.thumbnail((PHOTO_EDGE, PHOTO_EDGE))
        buf = io.BytesIO()
        im.save(buf, "JPEG", quality=85)
    return buf.getvalue()


class GeminiAnalyst:
    def __init__(self, client: GeminiClient, cache_dir: Path, project_id: str | None = None) -> None:
        self.client = client
        self.cache = InsightCache(cache_dir)
        self.project_id = project_id
        self.failures: list[str] = []

    async def photos(self, items: list[MediaItem]) -> dict[str, PhotoInsight]:
        from google.genai import types

        out: dict[str, PhotoInsight] = {}
        todo = []
        for item in items:
            cached = self.cache.get(item.sha256, "photo", PhotoInsight)
            if cached is not None:
                out[item.id] = cached.model_copy(update={"media_id": item.id})
            else:
                todo.append(item)
        for k in range(0, len(todo), PHOTO_BATCH):
            batch = todo[k : k + PHOTO_BATCH]
            parts: list[Any] = []
            for item in batch:
                try:
                    data = await asyncio.to_thread(_photo_bytes, item.path)
                except (OSError, ValueError) as e:  # gone or unreadable: it keeps its local analysis
                    log.info("gemini analysis skips %s: %s", item.original_name, e)
                    continue
                parts += [f"media_id: {item.id}", types.Part.from_bytes(data=data, mime_type="image/jpeg")]
            if not parts:
                continue
            try:
                answer = await self.client.generate(
                    PhotoBatch,
                    parts,
                    system=prompts.PHOTO_ANALYST,
                    purpose="analyse photos",
                    project_id=self.project_id,
                )
            except GeminiError as e:
                self.failures.append(str(e))
                continue
            by_id = {item.id: item for item in batch}
            for insight in answer.photos:
                sent = by_id.get(insight.media_id)
                if sent is None:
                    continue  # an id we didn't send: ignore it
                clean = _clean_photo(insight)
                self.cache.put(sent.sha256, "photo", clean)
                out[sent.id] = clean
        return out

    async def _file_insight(self, item: MediaItem, kind: str, schema: type[BaseModel], system: str) -> Any:
        from google.genai import types

        cached = self.cache.get(item.sha256, kind, schema)
        if cached is not None:
            return cached
        if not item.path.is_file():  # not Gemini's fault: no note, the local analysis stands
            log.info("gemini analysis skips %s: file missing", item.original_name)
            return None
        try:
            handle = await self.client.upload(item.path, item.sha256, item.mime)
            answer = await self.client.generate(
                schema,
                [
                    types.Part.from_uri(file_uri=handle.uri, mime_type=handle.mime_type or item.mime),
                    f"media_id: {item.id}",
                ],
                system=system,
                purpose=f"analyse {kind}",
                project_id=self.project_id,
            )
        except GeminiError as e:
            self.failures.append(str(e))
            return None
        self.cache.put(item.sha256, kind, answer)
        return answer

    async def video(self, item: MediaItem) -> VideoInsight | None:
        result: VideoInsight | None = await self._file_insight(
            item, "video", VideoInsight, prompts.VIDEO_ANALYST
        )
        return result

    async def music(self, item: MediaItem) -> MusicInsight | None:
        result: MusicInsight | None = await self._file_insight(
            item, "music", MusicInsight, prompts.MUSIC_ANALYST
        )
        return result

    async def enrich(self, library: Library) -> Library:
        """The library with Gemini's tags, scores, segments and song sections merged in."""
        items = list(library.items.values())
        photos = await self.photos([i for i in items if i.kind == MediaKind.PHOTO])
        videos = {i.id: await self.video(i) for i in items if i.kind == MediaKind.VIDEO}
        songs = {i.id: await self.music(i) for i in items if i.kind == MediaKind.MUSIC}
        return merge(
            library, photos, {k: v for k, v in videos.items() if v}, {k: v for k, v in songs.items() if v}
        )


def _tags(words: list[str]) -> tuple[str, ...]:
    out: list[str] = []
    for w in words:
        t = " ".join(str(w).lower().split())[:32]
        if t and t not in out:
            out.append(t)
    return tuple(out[:12])


def _clean_photo(p: PhotoInsight) -> PhotoInsight:
    return p.model_copy(
        update={
            "aesthetic": min(1.0, max(0.0, p.aesthetic)),
            "tags": list(_tags(p.tags)),
            "subjects": list(_tags(p.subjects)),
        }
    )


def merge(
    library: Library,
    photos: dict[str, PhotoInsight],
    videos: dict[str, VideoInsight],
    songs: dict[str, MusicInsight],
) -> Library:
    new_photos = dict(library.photos)
    for mid, ins in photos.items():
        if (p := new_photos.get(mid)) is not None:
            tags = _tags([*p.tags, *ins.tags, *ins.subjects])
            # the local metrics stay the judge of blur/exposure; the model's taste nudges quality
            quality = round(0.7 * p.quality + 0.3 * ins.aesthetic, 4)
            new_photos[mid] = p.model_copy(update={"tags": tags, "quality": quality})
    new_videos = dict(library.videos)
    for mid, vins in videos.items():
        if (v := new_videos.get(mid)) is None:
            continue
        update: dict = {"tags": _tags([*v.tags, *vins.tags])}
        if any(m.transcript.strip() for m in vins.segments):
            update["has_speech"] = True
        if not v.best_segments:
            segs = [
                ClipSegment(
                    start=max(0.0, m.start),
                    end=min(v.duration, m.end),
                    score=min(1.0, max(0.0, m.sync_priority)),
                )
                for m in vins.segments
                if m.action != "skip" and min(v.duration, m.end) - max(0.0, m.start) > 0.5
            ]
            update["best_segments"] = tuple(segs)
        new_videos[mid] = v.model_copy(update=update)
    new_music = dict(library.music)
    for mid, mins in songs.items():
        if (s := new_music.get(mid)) is None:
            continue
        update = {"tags": _tags([*s.tags, mins.mood, mins.genre]), "mood": s.mood or (mins.mood or None)}
        if not s.sections and mins.sections:
            update["sections"] = tuple(
                MusicSection(start=max(0.0, x.start), end=min(s.duration, x.end), label=_SECTION.get(x.label.lower(), "build"),  # type: ignore[arg-type]
                             energy=0.9 if _SECTION.get(x.label.lower()) == "peak" else 0.5)
                for x in mins.sections if x.end > x.start
            )  # fmt: skip
        new_music[mid] = s.model_copy(update=update)
    return library.model_copy(update={"photos": new_photos, "videos": new_videos, "music": new_music})
