"""Synthetic Libraries built in code: the planner's, critic's and storyboard's fast test input."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from PIL import Image

from pipeline.models import (
    Box,
    ClipSegment,
    Library,
    MediaItem,
    MediaKind,
    MusicAnalysis,
    MusicSection,
    PhotoAnalysis,
    VideoAnalysis,
)

BPM = 120.0
SONG_LEN = 90.0
BEAT_LAG = 0.03  # librosa-like constant lag: beats are not on a neat 0.5 s grid


def _id(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()[:16]


def _item(name: str, kind: MediaKind, root: Path, **kw: object) -> MediaItem:
    mid = _id(name)
    return MediaItem(
        id=mid,
        sha256=hashlib.sha256(name.encode()).hexdigest(),
        kind=kind,
        path=root / name,
        original_name=name,
        mime={"photo": "image/jpeg", "video": "video/mp4", "music": "audio/ogg"}[kind.value],
        size_bytes=1000,
        **kw,  # type: ignore[arg-type]
    )


def song(name: str = "song.ogg", bpm: float = BPM, length: float = SONG_LEN) -> MusicAnalysis:
    period = 60.0 / bpm
    beats = tuple(round(BEAT_LAG + k * period, 4) for k in range(int((length - BEAT_LAG) / period) + 1))
    hop = 0.5
    # quiet intro, build, loud peak two thirds in, soft outro
    shape = [(0.0, 0.2), (0.25, 0.45), (0.55, 0.95), (0.8, 0.3), (1.0, 0.15)]
    energy = tuple(round(float(np.interp(t / length, [s[0] for s in shape], [s[1] for s in shape])), 3)
                   for t in np.arange(0, length, hop))  # fmt: skip
    q = length / 4
    sections = (
        MusicSection(start=0, end=q, label="intro", energy=0.25),
        MusicSection(start=q, end=2 * q, label="build", energy=0.55),
        MusicSection(start=2 * q, end=3 * q, label="peak", energy=0.9),
        MusicSection(start=3 * q, end=length, label="outro", energy=0.25),
    )
    return MusicAnalysis(
        media_id=_id(name), duration=length, tempo=bpm, beats=beats, downbeats=beats[::4],
        energy_hop=hop, energy=energy, sections=sections,
    )  # fmt: skip


def make_library(
    root: Path = Path("/nonexistent"),
    *,
    n_photos: int = 12,
    videos: int = 1,
    blurry: int = 1,
    dark: int = 1,
    dup_pair: bool = True,
    faces_on: tuple[int, ...] = (0, 3),
    dated: bool = True,
    music: bool = True,
    landscape_group: bool = False,
    write_files: bool = False,
) -> Library:
    """n_photos good photos (p00..), plus `blurry` blurry (b0..), `dark` dark (k0..), a
    near-duplicate pair (dupA best, dupB), `videos` clips (v0..) and one song."""
    items: dict[str, MediaItem] = {}
    photos: dict[str, PhotoAnalysis] = {}
    vids: dict[str, VideoAnalysis] = {}
    t0 = datetime(2024, 7, 1, 9, 0)
    specs: list[tuple[str, dict]] = [
        (f"p{i:02d}_photo.jpg", {"q": 0.6 + 0.03 * (i % 10)}) for i in range(n_photos)
    ]
    specs += [(f"b{i}_blurry.jpg", {"q": 0.2, "blurry": True}) for i in range(blurry)]
    specs += [(f"k{i}_dark.jpg", {"q": 0.25, "dark": True}) for i in range(dark)]
    if dup_pair:
        specs += [("dupA_boat.jpg", {"q": 0.85}), ("dupB_boat.jpg", {"q": 0.8})]
    if landscape_group:
        specs += [("group_people.jpg", {"q": 0.9, "group": True})]
    # interleave capture times so "as sent" differs from chronological
    for n, (name, spec) in enumerate(specs):
        w, h = (1200, 800) if n % 5 != 4 else (800, 1200)
        faces: tuple[Box, ...] = ()
        if name.startswith("p") and int(name[1:3]) in faces_on:
            faces = (Box(x=0.42, y=0.25, w=0.12, h=0.18),)
        if spec.get("group"):
            w, h = 1500, 1000
            faces = tuple(Box(x=0.05 + 0.16 * k, y=0.3, w=0.1, h=0.15) for k in range(6))
        when = t0 + timedelta(minutes=(n * 7) % (len(specs) * 3)) if dated else None
        it = _item(name, MediaKind.PHOTO, root, width=w, height=h, capture_time=when)
        items[it.id] = it
        photos[it.id] = PhotoAnalysis(
            media_id=it.id, width=w, height=h, sharpness=40.0 if spec.get("blurry") else 300.0,
            brightness=0.08 if spec.get("dark") else 0.5, exposure=0.2 if spec.get("dark") else 0.9,
            colourfulness=30.0, faces=faces, quality=spec["q"], is_blurry=bool(spec.get("blurry")),
            is_dark=bool(spec.get("dark")), tags=tuple(name.split(".")[0].split("_")[1:]) + (("face",) if faces else ()),
            capture_time=when, salient=faces[0] if faces else None,
        )  # fmt: skip
        if write_files:
            _write_photo(it.path, w // 10, h // 10, n)
    for k in range(videos):
        name = f"v{k}_clip.mp4"
        it = _item(
            name, MediaKind.VIDEO, root, width=640, height=360, duration=8.0, fps=25.0, has_audio=k == 0
        )
        items[it.id] = it
        vids[it.id] = VideoAnalysis(
            media_id=it.id, duration=8.0, fps=25.0, width=640, height=360, has_audio=k == 0,
            best_segments=(ClipSegment(start=1.0, end=5.0, score=0.8), ClipSegment(start=5.5, end=7.5, score=0.6)),
            quality=0.7, tags=("clip",),
        )  # fmt: skip
    lib_music = {}
    if music:
        m = song()
        items[m.media_id] = _item("song.ogg", MediaKind.MUSIC, root, duration=SONG_LEN)
        lib_music[m.media_id] = m
    groups: tuple[tuple[str, ...], ...] = ()
    if dup_pair:
        groups = ((_id("dupA_boat.jpg"), _id("dupB_boat.jpg")),)
    return Library(items=items, photos=photos, videos=vids, music=lib_music, duplicate_groups=groups)


def _write_photo(path: Path, w: int, h: int, seed: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    img = np.stack(
        [xx * 255 // max(w - 1, 1), yy * 255 // max(h - 1, 1), np.full_like(xx, seed * 37 % 255)], -1
    )
    img = np.clip(img + rng.integers(0, 40, size=(h, w, 3)), 0, 255).astype(np.uint8)
    Image.fromarray(img).save(path, quality=85)


def mid(name: str) -> str:
    return _id(name)
