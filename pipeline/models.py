"""Typed data passed between pipeline stages.

Every stage is `async def stage(inp, deps) -> Out`; these frozen models are the only thing that
crosses a stage boundary (and the only pipeline types the conversation layer sees). Fields may be
added with defaults; never renamed or repurposed, since stores persist them as JSON.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


Aspect = Literal["16:9", "9:16", "1:1"]
ASPECT_SIZES: dict[str, tuple[int, int]] = {"16:9": (1920, 1080), "9:16": (1080, 1920), "1:1": (1080, 1080)}

# Progress reports: stage name ("intake", "analysis", "planning", "rendering") and 0..1.
ProgressFn = Callable[[str, float], Awaitable[None]]


async def no_progress(stage: str, fraction: float) -> None:
    """Default progress sink for callers that don't show progress."""


# --------------------------------------------------------------------------- intake


class MediaKind(StrEnum):
    PHOTO = "photo"
    VIDEO = "video"
    MUSIC = "music"


class MediaItem(Frozen):
    """One accepted input, normalised by intake.

    `path` is what later stages read: photos are stored upright (EXIF/HEIF transforms applied
    once, HEIC converted), videos keep their file and report `rotation` (display rotation in
    degrees, which ffmpeg applies on decode), animated GIFs become short videos.
    """

    id: str  # first 16 hex chars of sha256 of the original bytes: same file -> same id
    sha256: str
    kind: MediaKind
    path: Path
    original_name: str
    mime: str
    size_bytes: int
    width: int | None = None  # display size (after rotation)
    height: int | None = None
    duration: float | None = None  # seconds, videos and music
    fps: float | None = None
    has_audio: bool = False
    rotation: int = 0
    capture_time: datetime | None = None
    warnings: tuple[str, ...] = ()


RejectionCode = Literal[
    "empty", "not_media", "truncated", "corrupt", "too_large", "bomb", "unsupported", "unavailable"
]


class Rejection(Frozen):
    """A file intake refused, with a sentence the user can act on (names the file)."""

    name: str
    code: RejectionCode
    reason: str


class IntakeReport(Frozen):
    accepted: tuple[MediaItem, ...] = ()
    rejected: tuple[Rejection, ...] = ()


# --------------------------------------------------------------------------- analysis


class Box(Frozen):
    """A rectangle in normalised coordinates (0..1 of the upright image)."""

    x: float
    y: float
    w: float
    h: float


class PhotoAnalysis(Frozen):
    media_id: str
    width: int
    height: int
    sharpness: float  # variance of Laplacian at a fixed working size
    brightness: float  # mean luma 0..1
    exposure: float  # 0..1, 1 = well exposed (histogram not crushed/clipped)
    colourfulness: float  # Hasler-Susstrunk M at the working size
    faces: tuple[Box, ...] = ()
    salient: Box | None = None  # where the interest is (faces, else saliency); Ken Burns aims here
    phash: str = ""
    quality: float = 0.5  # 0..1 overall
    is_blurry: bool = False
    is_dark: bool = False
    tags: tuple[str, ...] = ()  # filename words + analysis tags ("face", "dark", "sunset", ...)
    capture_time: datetime | None = None


class ClipSegment(Frozen):
    start: float
    end: float
    score: float  # 0..1, higher = better to show


class VideoAnalysis(Frozen):
    media_id: str
    duration: float
    fps: float
    width: int  # display size
    height: int
    rotation: int = 0
    has_audio: bool = False
    has_speech: bool = False
    scene_cuts: tuple[float, ...] = ()
    best_segments: tuple[ClipSegment, ...] = ()
    sharpness: float = 0.0
    brightness: float = 0.5
    motion: float = 0.0  # mean frame difference 0..1
    quality: float = 0.5
    faces: tuple[Box, ...] = ()
    tags: tuple[str, ...] = ()
    capture_time: datetime | None = None


SectionLabel = Literal["intro", "build", "peak", "outro"]


class MusicSection(Frozen):
    start: float
    end: float
    label: SectionLabel
    energy: float  # 0..1 relative to the song


class MusicAnalysis(Frozen):
    media_id: str
    duration: float
    tempo: float  # BPM as estimated (octave errors possible)
    beats: tuple[float, ...] = ()  # seconds; cut on these, not on a 60/tempo grid
    downbeats: tuple[float, ...] = ()
    energy_hop: float = 0.5  # seconds between energy samples
    energy: tuple[float, ...] = ()  # 0..1 RMS envelope
    sections: tuple[MusicSection, ...] = ()
    mood: str | None = None
    tags: tuple[str, ...] = ()


class Library(Frozen):
    """Everything known about a project's media: the planner's and renderer's input."""

    items: dict[str, MediaItem] = Field(default_factory=dict)
    photos: dict[str, PhotoAnalysis] = Field(default_factory=dict)
    videos: dict[str, VideoAnalysis] = Field(default_factory=dict)
    music: dict[str, MusicAnalysis] = Field(default_factory=dict)
    # near-duplicate groups (photos): best first
    duplicate_groups: tuple[tuple[str, ...], ...] = ()

    def tags_of(self, media_id: str) -> tuple[str, ...]:
        analysis = self.photos.get(media_id) or self.videos.get(media_id) or self.music.get(media_id)
        return analysis.tags if analysis is not None else ()


# --------------------------------------------------------------------------- planning

PaceSection = Literal["start", "middle", "end", "all"]
Order = Literal["auto", "chronological", "as_sent"]
TransitionKind = Literal[
    "cut", "crossfade", "dip_black", "dip_white", "wipeleft", "wiperight", "slideleft", "slideup", "circleopen"
]
TransitionStyle = Literal["auto", "cuts", "crossfades", "dips", "playful"]
StoryBeat = Literal["opening", "build", "peak", "resolution"]


class PlanRequest(Frozen):
    """What the user asked for. Refinements produce a new request (see pipeline.edits)."""

    prompt: str = ""
    duration: float | None = None  # None: derived from the material and the song
    aspect: Aspect = "16:9"
    mood: str = "auto"  # auto | upbeat | calm | energetic | nostalgic | cinematic ...
    music_id: str | None = None  # None: the best song in the library, or silence
    pace: dict[PaceSection, float] = Field(default_factory=dict)  # shot-length factor, >1 = slower
    exclude: frozenset[str] = frozenset()
    include: frozenset[str] = frozenset()  # keep even if blurry/dark/duplicate
    opening_id: str | None = None
    closing_id: str | None = None
    order: Order = "auto"
    transition_style: TransitionStyle = "auto"
    title: str | None = None
    captions: dict[str, str] = Field(default_factory=dict)  # media_id -> caption text
    clip_audio: Literal["auto", "mute", "keep", "duck"] = "auto"


class Transition(Frozen):
    kind: TransitionKind = "cut"
    duration: float = 0.0  # straddles the cut point: half before, half after


class Motion(Frozen):
    """Ken Burns: crop rectangles (normalised, in the upright source) at the shot's start and end.

    The boxes have the output's aspect ratio in pixels. A box may reach outside 0..1 when the
    source's aspect is far from the output's (a portrait in 16:9, a panorama): the renderer fills
    the outside with a blurred, darkened copy of the photo instead of bars."""

    start: Box
    end: Box
    easing: Literal["linear", "ease_in_out"] = "ease_in_out"


class Segment(Frozen):
    """One shot. The timeline is a sequence of cut points: shot i is on screen from
    `timeline_start` to `timeline_start + duration`; a transition into it straddles
    `timeline_start` (the renderer extends neighbouring shots by half the transition)."""

    index: int
    media_id: str
    kind: MediaKind
    timeline_start: float
    duration: float
    source_start: float = 0.0  # trim in (videos)
    source_end: float | None = None  # trim out (videos); None for photos
    transition_in: Transition = Transition()
    motion: Motion | None = None
    story_beat: StoryBeat = "build"
    energy: float = 0.5  # music energy under this shot 0..1
    reasoning: str = ""
    caption: str | None = None
    audio: Literal["mute", "keep", "duck"] = "mute"


class MusicCue(Frozen):
    media_id: str
    source_start: float = 0.0
    fade_in: float = 0.5
    fade_out: float = 2.0
    gain_db: float = 0.0


class LeftOut(Frozen):
    media_id: str
    reason: str  # "blurry", "near-duplicate of d06_...", "too dark", "excluded by you", "no room"


class EditPlan(Frozen):
    duration: float
    aspect: Aspect
    segments: tuple[Segment, ...]
    music: MusicCue | None = None
    title: str | None = None
    tempo: float | None = None
    narrative_arc: str = ""
    variety_score: float = 0.0
    reasoning: str = ""
    request: PlanRequest = PlanRequest()
    left_out: tuple[LeftOut, ...] = ()
    planner: str = "heuristic"  # "heuristic" | "gemini" | ...

    def cut_times(self) -> list[float]:
        return [s.timeline_start for s in self.segments[1:]]


# --------------------------------------------------------------------------- critique


class Critique(Frozen):
    score: float  # 0..1 overall
    parts: dict[str, float] = Field(default_factory=dict)  # metric name -> 0..1
    issues: tuple[str, ...] = ()  # human-readable problems, most important first
    critic: str = "metrics"


# --------------------------------------------------------------------------- render


class RenderSpec(Frozen):
    output: Path
    width: int = 1920
    height: int = 1080
    fps: int = 30
    draft: bool = False  # 480p-class, faster preset, same timing
    crf: int = 21
    preset: str = "veryfast"
    target_size_bytes: int | None = None  # fit under a chat's upload limit
    loudness_lufs: float = -14.0
    work_dir: Path | None = None  # chunk cache; None = a temp dir
    chunked: bool = True  # split at hard cuts (and every ~12 s) into cached chunks; False = one piece


class RenderResult(Frozen):
    path: Path
    duration: float
    width: int
    height: int
    size_bytes: int
    video_codec: str = "h264"
    audio_codec: str | None = "aac"
    poster: Path | None = None
    chunks_rendered: int = 1
    chunks_reused: int = 0
    seconds: float = 0.0  # wall time spent
