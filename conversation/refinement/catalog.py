"""What references are resolved against: the project's files, their tags, the parent plan."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePath

from conversation.models import MediaRecord
from pipeline.models import EditPlan, Library, MediaKind, PlanRequest, Segment


@dataclass(frozen=True)
class Entry:
    media_id: str
    name: str  # the file name as the user sent it
    kind: MediaKind
    contributor: str = ""  # display name, lower case
    contributor_key: str = ""
    tags: frozenset[str] = frozenset()
    blurry: bool = False
    dark: bool = False
    duplicate: bool = False  # a near-duplicate that isn't the best of its group
    capture_time: datetime | None = None

    @property
    def stem(self) -> str:
        return PurePath(self.name).stem.lower()

    @property
    def name_words(self) -> frozenset[str]:
        return frozenset(w for w in re.split(r"[^a-z0-9]+", self.stem) if w and not w.isdigit())


@dataclass(frozen=True)
class Catalog:
    entries: tuple[Entry, ...] = ()
    segments: tuple[Segment, ...] = ()  # the parent plan's shots, in order
    duration: float | None = None  # the parent movie's length
    request: PlanRequest = field(default_factory=PlanRequest)
    current_music: str | None = None
    focus: str | None = None  # media id "this shot" means (a timestamp, a replied-to shot)

    def by_id(self, media_id: str) -> Entry | None:
        return next((e for e in self.entries if e.media_id == media_id), None)

    def visual(self) -> tuple[Entry, ...]:
        return tuple(e for e in self.entries if e.kind != MediaKind.MUSIC)

    @property
    def music_ids(self) -> tuple[str, ...]:
        return tuple(e.media_id for e in self.entries if e.kind == MediaKind.MUSIC)

    def name(self, media_id: str) -> str:
        e = self.by_id(media_id)
        return e.name if e else media_id


def build_catalog(
    records: list[MediaRecord],
    library: Library | None = None,
    plan: EditPlan | None = None,
    request: PlanRequest | None = None,
) -> Catalog:
    lib = library or Library()
    dupes = {mid for group in lib.duplicate_groups for mid in group[1:]}
    entries = []
    for r in records:
        if r.removed:
            continue
        photo = lib.photos.get(r.media_id)
        tags = {t.lower() for t in lib.tags_of(r.media_id)}
        entries.append(
            Entry(
                media_id=r.media_id,
                name=r.item.original_name,
                kind=r.item.kind,
                contributor=(r.contributor_name or "").lower(),
                contributor_key=r.contributor_key,
                tags=frozenset(tags),
                blurry=bool(photo and photo.is_blurry) or "blurry" in tags,
                dark=bool(photo and photo.is_dark) or "dark" in tags,
                duplicate=r.media_id in dupes,
                capture_time=r.item.capture_time,
            )
        )
    return Catalog(
        entries=tuple(entries),
        segments=plan.segments if plan else (),
        duration=plan.duration if plan else None,
        request=request or (plan.request if plan else PlanRequest()),
        current_music=plan.music.media_id if plan and plan.music else None,
    )
